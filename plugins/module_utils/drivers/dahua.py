# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dahua IP cameras and NVRs through the Dahua HTTP API (CGI), with HTTP Digest.

Source: Dahua Technology, "Dahua HTTP API for IPC" (V1.40, 2014; the same CGI calls and
answers in V1.67 and the V2.x "API of HTTP Protocol Specification"):

* ``GET /cgi-bin/userManager.cgi?action=getUserInfoAll``: the accounts, one
  ``users[i].Name=...`` line each; a 401 is a refused login;
* ``GET /cgi-bin/userManager.cgi?action=modifyPassword&name=U&pwd=NEW&pwdOld=OLD``:
  answers ``OK``, or ``Error`` (a wrong old password, or a new one the device refuses);
* ``GET /cgi-bin/configManager.cgi?action=getConfig&name=LoginFailureAlarm``:
  ``table.LoginFailureAlarm.Enable`` and ``.TryLoginTimes``, the "Illegal Access" setting of
  the web UI (the user's manuals: after that many wrong passwords the account is locked, for
  30 minutes); ``action=setConfig&LoginFailureAlarm.Enable=..&LoginFailureAlarm.TryLoginTimes=..``
  writes it (``OK`` / ``Error``);
* ``GET /cgi-bin/magicBox.cgi?action=getDeviceType`` / ``getSoftwareVersion``: ``type=...``,
  ``version=...``.

Every call is one request with one Digest answer (``_http``): a refused password is never
retried, so a device's lockout budget is spent only as the caller decides.
"""

from __future__ import annotations

import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    LockoutRange,
    LockoutSet,
)

USERS_PATH = "/cgi-bin/userManager.cgi?action=getUserInfoAll"
LOCK_CONFIG = "LoginFailureAlarm"
#: the lock time is not a setting: 30 minutes (the user's manuals, "Illegal Access")
LOCK_SECONDS = 1800


def parse_table(text, limit=128):
    """``key=value`` lines of a CGI answer as a dict (bounded, cleaned); ``table.`` dropped."""
    out = {}
    for line in text.splitlines()[:limit]:
        key, sep, value = line.partition("=")
        key = key.strip()
        if sep and key:
            if key.startswith("table."):
                key = key[len("table.") :]
            out[clean(key, 96)] = clean(value, 128)
    return out


def user_names(text):
    """The account names of a ``getUserInfoAll`` answer, in the device's order."""
    rows = {}
    for key, value in parse_table(text, 2048).items():
        head, _dot, field = key.rpartition(".")
        if field == "Name" and head.startswith("users[") and head.endswith("]"):
            index = head[len("users[") : -1]
            if index.isdigit():
                rows[int(index)] = value
    return [rows[i] for i in sorted(rows)]


def _answer(resp):
    """``(ok, reason)`` of a CGI answer: ``OK`` or ``Error`` (and the device's reason)."""
    lines = [line.strip() for line in resp.text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if resp.status == 200 and first == "OK":
        return True, ""
    return False, clean(" ".join(lines[1:3]) if first == "Error" else resp.text[:160], 160)


class DahuaHttpDriver(LockoutSet, HttpApiDriver):
    name = "dahua_http"
    abstract = False
    login_path = USERS_PATH
    # the web UI: 8..32 characters, two kinds of letters, digits, symbols; ' " ; : & refused
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=20)
    # "Illegal Access" takes 3..10 attempts; the lock time is fixed at 30 minutes
    lockout_range = LockoutRange((3, 10), (LOCK_SECONDS, LOCK_SECONDS))

    def _get(self, path, username, password):
        return self._ok(self.http.request("GET", path, username, password), "GET " + path.split("&", 1)[0])

    def accounts(self, username, password):
        """The account names the device lists (``getUserInfoAll``)."""
        return user_names(self._get(USERS_PATH, username, password).text)

    def login_accounts(self, username, password):
        return self.accounts(username, password)

    def identify(self, username, password):
        out = {}
        for action, key in (("getDeviceType", "type"), ("getSoftwareVersion", "version")):
            resp = self.http.request("GET", "/cgi-bin/magicBox.cgi?action=" + action, username, password)
            if resp.status == 200:
                value = parse_table(resp.text).get(key)
                if value and key == "type":
                    out["model"] = value
                elif value:
                    # "version=2.800.0000000.19.R,build:2019-11-20"
                    firmware, _sep, build = value.partition(",build:")
                    out["firmware"] = firmware
                    if build:
                        out["build"] = build
        return out

    def lockout_policy(self, username, password):
        """The device's LoginFailureAlarm: enabled and the attempts before the 30-min lock."""
        path = "/cgi-bin/configManager.cgi?action=getConfig&name=" + LOCK_CONFIG
        resp = self.http.request("GET", path, username, password)
        if resp.status != 200:
            return None  # older firmware without the setting: the device does not say
        table = parse_table(resp.text)
        enabled = table.get(LOCK_CONFIG + ".Enable", "").lower()
        if enabled not in ("true", "false"):
            return None
        times = table.get(LOCK_CONFIG + ".TryLoginTimes", "")
        threshold = int(times) if times.isdigit() and 0 < int(times) < 1000 else None
        return {
            "enabled": enabled == "true",
            "threshold": threshold if enabled == "true" else None,
            "duration": LOCK_SECONDS if enabled == "true" else None,
            "evidence": "LoginFailureAlarm.Enable=%s TryLoginTimes=%s (Dahua HTTP API)"
            % (enabled, threshold if threshold else "?"),
        }

    def _write_lockout(self, username, password, lockout):
        query = [
            ("action", "setConfig"),
            (LOCK_CONFIG + ".Enable", str(bool(lockout.get("enabled", True))).lower()),
        ]
        if lockout.get("threshold") is not None:
            query.append((LOCK_CONFIG + ".TryLoginTimes", str(int(lockout["threshold"]))))
        resp = self.http.request(
            "GET", "/cgi-bin/configManager.cgi?" + urllib.parse.urlencode(query), username, password
        )
        ok, reason = _answer(resp)
        if not ok:
            raise DriverError(
                "configManager.cgi setConfig %s answered HTTP %d: Error %s"
                % (LOCK_CONFIG, resp.status, reason)
            )

    def change_password(self, username, old_password, new_password):
        # The API takes both passwords in the query string (the document's only form); what we
        # send is never logged, and the device's answer is cleaned before it is shown.
        query = urllib.parse.urlencode(
            [
                ("action", "modifyPassword"),
                ("name", username),
                ("pwd", new_password),
                ("pwdOld", old_password),
            ],
            quote_via=urllib.parse.quote,
        )
        self._sending()
        resp = self.http.request("GET", "/cgi-bin/userManager.cgi?" + query, username, old_password)
        if resp.status in (401, 403):
            raise DriverError(
                "userManager.cgi modifyPassword: the device refused the login (HTTP %d)" % resp.status
            )
        ok, reason = _answer(resp)
        if ok:
            return
        if resp.status in (200, 400):
            # "Error": the old password was wrong or the device's rule refused the new one
            raise PasswordRejected(
                "Dahua userManager.cgi modifyPassword: Error%s" % (": " + reason if reason else "")
            )
        raise DriverError("userManager.cgi modifyPassword answered HTTP %d: %s" % (resp.status, reason))
