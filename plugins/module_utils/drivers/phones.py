# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VoIP desk phones.

* Polycom / Poly VVX (``polycom_rest``). Source: "Poly UC Software REST API Reference
  Manual" (UC Software 5.9-6.4, 3725-46212) and the Poly community FAQ "Locking the Web
  Configuration Utility after Failed Login" (UC Software 5.5.0). Basic or Digest auth with
  the admin account ``Polycom``; ``GET /api/v1/mgmt/device/info`` proves a credential and
  names the firmware; ``POST /api/v1/mgmt/config/get`` ``{"data": [param, ...]}`` reads and
  ``POST /api/v1/mgmt/config/set`` ``{"data": {param: value}}`` writes configuration
  parameters, answering ``{"Status": "2000", ...}`` (4xxx/5xxx codes otherwise). The admin
  password is the parameter ``device.auth.localAdminPassword``; the web UI lock is
  ``httpd.cfg.lockWebUI.enable`` (1 by default since UCS 5.5.0),
  ``httpd.cfg.lockWebUI.noOfInvalidAttempts`` (3-20, default 5) and
  ``httpd.cfg.lockWebUI.lockOutDuration`` (60-300 s, default 60). Older UCS does not know
  those parameters: the lock does not exist there and cannot be set.
* ``phone_http`` (alias ``yealink_http``): the lab's own phone form (``GET /api/status``,
  ``POST /api/password``), kept for the Yealink lab phone until a driver follows Yealink's
  real ``servlet?p=...`` web UI.
"""

from __future__ import annotations

import json

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    HttpApiDriver,
    json_object,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.appliances import (
    BasicHttpDriver,
    _form_change,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    NotSupported,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    LockoutRange,
    LockoutRead,
    LockoutSet,
)


def _lockout_flag(settings, where):
    """``(enabled, evidence)`` from a ``{"lockout": {"enabled": bool, ...}}`` answer."""
    lockout = settings.get("lockout") if isinstance(settings, dict) else None
    enabled = lockout.get("enabled") if isinstance(lockout, dict) else None
    if not isinstance(enabled, bool):
        return None
    return enabled, "%s reports lockout enabled=%s" % (where, str(enabled).lower())


def _lockout_policy(settings, where):
    """The full lockout policy from a ``{"lockout": {...}}`` answer (threshold when given)."""
    flag = _lockout_flag(settings, where)
    if flag is None:
        return None
    lockout = settings["lockout"]
    th, du = lockout.get("threshold"), lockout.get("duration")
    ok = isinstance(th, int) and not isinstance(th, bool) and 0 < th < 100000
    return {
        "enabled": flag[0],
        "threshold": th if ok and flag[0] else None,
        "duration": du if isinstance(du, int) and not isinstance(du, bool) and du > 0 else None,
        "evidence": flag[1] + (", threshold=%d" % th if ok else ""),
    }


class PhoneHttpDriver(LockoutRead, BasicHttpDriver):
    name = "phone_http"
    abstract = False
    # the lab's own phone form (not Yealink's real ``servlet?p=...`` web UI; see the lab README)
    aliases = ("yealink_http",)
    login_path = "/api/status"
    password_policy = PasswordPolicy(min_length=6, max_length=32, length=20)

    def _status(self, username, password):
        return json_object(self.http.request("GET", self.login_path, username, password), "GET /api/status")

    def lockout_policy(self, username, password):
        return _lockout_policy(self._status(username, password), "GET " + self.login_path)

    def change_password(self, username, old_password, new_password):
        _form_change(
            self,
            "/api/password",
            username,
            old_password,
            {"username": username, "new_password": new_password, "confirm": new_password},
        )


#: Poly's REST status codes (REST API Reference Manual, "Status codes")
POLY_OK = "2000"
LOCK_ENABLE = "httpd.cfg.lockWebUI.enable"
LOCK_ATTEMPTS = "httpd.cfg.lockWebUI.noOfInvalidAttempts"
LOCK_DURATION = "httpd.cfg.lockWebUI.lockOutDuration"
ADMIN_PASSWORD = "device.auth.localAdminPassword"  # noqa: S105 - a parameter name


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class PolycomRestDriver(LockoutSet, HttpApiDriver):
    name = "polycom_rest"
    abstract = False
    login_path = "/api/v1/mgmt/device/info"
    lockout_range = LockoutRange((3, 20), (60, 300))
    # UCS takes printable ASCII up to 32; our safe symbols are JSON- and shell-safe
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=20)

    def _post(self, path, username, password, body):
        resp = self.http.request(
            "POST",
            path,
            username,
            password,
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        return json_object(self._ok(resp, "POST " + path), "POST " + path)

    def _config_get(self, username, password, params):
        data = self._post("/api/v1/mgmt/config/get", username, password, {"data": list(params)})
        if str(data.get("Status")) != POLY_OK:
            return None
        values = data.get("data")
        return values if isinstance(values, dict) else None

    def _config_set(self, username, password, values):
        data = self._post("/api/v1/mgmt/config/set", username, password, {"data": values})
        status = clean(data.get("Status"), 8)
        if status != POLY_OK:
            return status, clean(data.get("Message") or data.get("message") or "", 160)
        return None

    def identify(self, username, password):
        data = json_object(
            self._ok(self.http.request("GET", self.login_path, username, password), "GET " + self.login_path),
            "GET " + self.login_path,
        ).get("data")
        data = data if isinstance(data, dict) else {}
        return {
            k: clean(data.get(v), 64) for k, v in (("model", "ModelNumber"), ("firmware", "FirmwareRelease"))
        }

    def lockout_policy(self, username, password):
        values = self._config_get(username, password, (LOCK_ENABLE, LOCK_ATTEMPTS, LOCK_DURATION))
        if values is None or LOCK_ENABLE not in values:
            self.lockout_fixed = True  # this firmware has no web UI lock to set
            firmware = self.identify(username, password).get("firmware") or "?"
            return {
                "enabled": False,
                "threshold": None,
                "duration": None,
                "evidence": "config/get does not know %s on UC Software %s (the web UI lock came in 5.5.0)"
                % (LOCK_ENABLE, firmware),
            }
        enabled = _int(values.get(LOCK_ENABLE)) == 1
        threshold, duration = _int(values.get(LOCK_ATTEMPTS)), _int(values.get(LOCK_DURATION))
        return {
            "enabled": enabled,
            "threshold": threshold if enabled else None,
            "duration": duration,
            "evidence": "config/get: %s=%s, %s=%s, %s=%s"
            % (LOCK_ENABLE, int(enabled), LOCK_ATTEMPTS, threshold, LOCK_DURATION, duration),
        }

    def _write_lockout(self, username, password, lockout):
        values = {LOCK_ENABLE: "1" if lockout.get("enabled", True) else "0"}
        if lockout.get("threshold") is not None:
            values[LOCK_ATTEMPTS] = str(lockout["threshold"])
        if lockout.get("duration") is not None:
            values[LOCK_DURATION] = str(lockout["duration"])
        failed = self._config_set(username, password, values)
        if failed:
            raise DriverError("config/set of the web UI lock answered Status %s: %s" % failed)

    def change_password(self, username, old_password, new_password):
        if username != "Polycom":
            raise NotSupported(
                "polycom_rest sets the admin account Polycom's password only, not %r's" % clean(username, 32)
            )
        failed = self._config_set(username, old_password, {ADMIN_PASSWORD: new_password})
        if failed:
            # 4xxx: the phone refused the input (the password); anything else is no verdict on it
            error = PasswordRejected if failed[0].startswith("4") else DriverError
            raise error("config/set %s answered Status %s: %s" % (ADMIN_PASSWORD, *failed))
