# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thermostats and VoIP phones: small HTTP admin APIs (printers.py, routers.py: HP, NETGEAR).

* Thermostat JSON API: ``POST /api/login`` -> bearer token (423 when locked), then
  ``POST /api/password`` ``{"username", "new_password"}``.
* Phone admin (Basic): ``GET /api/status`` to log in; ``POST /api/password`` form
  ``username``, ``new_password``, ``confirm``.

Settings (capabilities):

* Thermostat JSON API (the lab's local API; Venstar's published local API has no such
  endpoint, see the lab README): ``PUT /api/settings`` with ``lockout`` and ``mqtt_auth``.
"""

from __future__ import annotations

import json
import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    HttpApiDriver,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    LockoutRange,
    LockoutRead,
    LockoutSet,
    MqttAuthSet,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_change(driver, path, username, password, fields, ok_statuses=(200,)):
    resp = driver.http.request(
        "POST", path, username, password, body=urllib.parse.urlencode(fields), headers=FORM
    )
    if resp.status in ok_statuses:
        return resp
    if resp.status in (401, 403):
        raise DriverError("%s refused the login just before the change (HTTP %d)" % (path, resp.status))
    if resp.status == 400:
        raise PasswordRejected("%s: %s" % (path, clean(resp.body[:160])))
    raise DriverError("%s answered HTTP %d: %s" % (path, resp.status, clean(resp.body[:160])))


class BasicHttpDriver(HttpApiDriver):
    """Devices that only know Basic auth: send it at once (one request per attempt)."""

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")
        super().__init__(host, port, timeout, **options)


def _json_object(resp, where):
    """The JSON object a 200 answer carries; ``DriverError`` naming ``where`` otherwise."""
    if resp.status != 200:
        raise DriverError("%s answered HTTP %d" % (where, resp.status))
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except ValueError as exc:
        raise DriverError("%s is not JSON" % where) from exc
    if not isinstance(data, dict):
        raise DriverError("%s is not a JSON object" % where)
    return data


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
    # the phones' admin API as the simulated site exposes it (one HTTP form for all makes)
    aliases = ("yealink_http", "polycom_rest")
    login_path = "/api/status"
    password_policy = PasswordPolicy(min_length=6, max_length=32, length=20)

    def _status(self, username, password):
        return _json_object(self.http.request("GET", self.login_path, username, password), "GET /api/status")

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


class ThermostatApiDriver(LockoutSet, MqttAuthSet, HttpApiDriver):
    name = "thermostat_api"
    abstract = False
    # the thermostats' local API as the simulated site exposes it (JSON login, settings)
    aliases = ("venstar_local",)
    lockout_range = LockoutRange((3, 10), (60, 3600))
    password_policy = PasswordPolicy(
        min_length=6,
        max_length=12,
        length=12,
        classes=[PasswordPolicy.LOWER, PasswordPolicy.UPPER, PasswordPolicy.DIGITS],
    )

    def _token(self, username, password):
        resp = self.http.request(
            "POST",
            "/api/login",
            body=json.dumps({"username": username, "password": password}),
            headers={"Content-Type": "application/json"},
        )
        if resp.status in (401, 403, 423):
            return None
        if resp.status != 200:
            raise DriverError("/api/login answered HTTP %d" % resp.status)
        try:
            token = json.loads(resp.body.decode("utf-8"))["token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DriverError("/api/login answer holds no token") from exc
        if not isinstance(token, str) or not token.isalnum() or len(token) > 256:
            raise DriverError("/api/login answered an unusable token")
        return token

    def login(self, username, password):
        return self._token(username, password) is not None

    def _settings(self, username, password):
        token = self._token(username, password)
        if token is None:
            raise DriverError("thermostat refused the login")
        resp = self.http.request("GET", "/api/settings", headers={"Authorization": "Bearer " + token})
        data = _json_object(resp, "GET /api/settings")
        return {
            clean(k, 64): v
            for k, v in list(data.items())[:64]
            if isinstance(v, (dict, bool, int, float, str))
        }

    def _send_json(self, method, path, username, password, body):
        """One JSON request with a fresh token of ``username``."""
        token = self._token(username, password)
        if token is None:
            raise DriverError("thermostat refused the login just before the change")
        return self.http.request(
            method,
            path,
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + token},
        )

    def _put_settings(self, username, password, body):
        resp = self._send_json("PUT", "/api/settings", username, password, body)
        if resp.status != 200:
            raise DriverError(
                "PUT /api/settings answered HTTP %d: %s" % (resp.status, clean(resp.body[:160]))
            )

    def lockout_policy(self, username, password):
        return _lockout_policy(self._settings(username, password), "GET /api/settings")

    def _write_lockout(self, username, password, lockout):
        body = {k: lockout[k] for k in ("enabled", "threshold", "duration") if lockout.get(k) is not None}
        self._put_settings(username, password, {"lockout": body})

    def read_mqtt_auth(self, username, password):
        value = (self._settings(username, password).get("settings") or {}).get("mqtt_auth")
        return value if isinstance(value, bool) else None

    def set_mqtt_auth(self, username, password, required):
        self._put_settings(username, password, {"mqtt_auth": bool(required)})

    def change_password(self, username, old_password, new_password):
        resp = self._send_json(
            "POST",
            "/api/password",
            username,
            old_password,
            {"username": username, "new_password": new_password},
        )
        if resp.status == 200:
            return
        if resp.status == 400:
            raise PasswordRejected("/api/password: %s" % clean(resp.body[:160]))
        raise DriverError("/api/password answered HTTP %d" % resp.status)
