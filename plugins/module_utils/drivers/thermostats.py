# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Thermostats: the Venstar ColorTouch / Explorer Local API.

Source: Venstar's public "Local API" documentation (developer.venstar.com/documentation,
API versions 5..9): ``GET /`` (``api_ver``, ``type``, ``model``, ``firmware``),
``GET /query/info``, ``GET /query/sensors``, ``POST /control`` and ``POST /settings``
(form-encoded, answering ``{"success": true}`` or ``{"error": true, "reason": ...}``).
Authentication is optional HTTP Digest; the user name and password are set on the
thermostat's own screen (Menu > Settings > WiFi > Local API). The API has no login
session, no password change, no lockout setting and no MQTT broker, so this driver:

* proves a credential with one Digest-authenticated ``GET /query/info``;
* reports rotation as a manual step on the device's screen (``manual_rotation``): the
  rotation keeps a generated password pending for the engineer to type in and proves it on
  the next run;
* reads the settings the API really exposes (``tempunits``, ``away``, ``schedule``,
  humidity setpoints) and the API information, and claims no lockout or MQTT capability.

A Local API switched on without authentication answers everyone: ``login`` then raises
``OpenAccess`` (turn authentication on at the screen) instead of "accepting" any password; the
rotation then generates the password for the account the engineer creates there, keeps it
pending and proves it on the next run, as for a password change.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    HttpApiDriver,
    json_object,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    ManualStep,
    OpenAccess,
    PasswordPolicy,
    clean,
)

#: where on the thermostat an engineer sets the Local API's credentials (Venstar's docs)
SCREEN_PATH = "Menu > Settings > WiFi > Local API"
SET_PASSWORD = (
    "on the thermostat's own screen open %s, keep authentication on and set the new password "
    "(and HTTPS where the model offers it)" % SCREEN_PATH
)
TURN_ON_AUTH = (
    "on the thermostat's own screen open %s, turn authentication on with a unique user name and "
    "password (and HTTPS where the model offers it), then store that credential for this device "
    "in the credential store and re-run to prove it" % SCREEN_PATH
)
#: a Local API left open: the rotation generates the password for the account to create
TURN_ON_AUTH_AS = (
    "on the thermostat's own screen open %s, turn authentication on with the user name %%r and a "
    "password (and HTTPS where the model offers it)" % SCREEN_PATH
)
#: the /query/info fields that are settings (``POST /settings``), as the docs name them
SETTING_FIELDS = ("tempunits", "away", "schedule", "hum_setpoint", "dehum_setpoint")


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class VenstarLocalDriver(HttpApiDriver):
    name = "venstar_local"
    abstract = False
    # the lab's former JSON API went by this name; inventories that pinned it still work
    aliases = ("thermostat_api",)
    login_path = "/query/info"
    can_rollback = False
    # typed in on a touch screen: letters and digits (the docs state no rule of the device's)
    password_policy = PasswordPolicy.typed(min_length=8, max_length=16, length=12)
    manual_rotation = (
        "the Venstar Local API has no password change: the credential is set on the thermostat's screen",
        SET_PASSWORD,
    )

    def _open(self):
        """True when the Local API answers without any credential."""
        resp = self.http.request("GET", self.login_path)
        if resp.status == 200:
            json_object(resp, "GET " + self.login_path)
            return True
        if resp.status == 401:
            return False
        raise DriverError("GET %s answered HTTP %d" % (self.login_path, resp.status))

    def unauthenticated(self):
        """The Local API's answer to a request without credentials, when authentication is off
        (the assessment's finding); None when it asks for them (401)."""
        if self._open():
            return (
                "GET %s answered 200 with no credentials (Local API authentication is off)" % self.login_path
            )
        return None

    def login(self, username, password):
        if self._open():
            raise OpenAccess(
                "the thermostat's Local API asks for no credential: anyone on the network can read "
                "and control it, and there is no account to rotate",
                TURN_ON_AUTH,
                lambda user: TURN_ON_AUTH_AS % (user,),
            )
        resp = self.http.request("GET", self.login_path, username, password)
        if resp.status == 401:
            return False
        json_object(resp, "GET " + self.login_path)
        return True

    def _get(self, path, username, password):
        return json_object(
            self._ok(self.http.request("GET", path, username, password), "GET " + path), "GET " + path
        )

    def identify(self, username, password):
        """What ``GET /`` says: the API version, residential/commercial, model, firmware."""
        data = self._get("/", username, password)
        out = {}
        for key in ("api_ver", "type", "model", "firmware"):
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                out[key] = value
            elif isinstance(value, str):
                out[key] = clean(value, 32)
        return out

    def read_settings(self, username, password):
        """The one settings shape (the API has no lockout, services or MQTT to report:
        those stay "cannot tell"), plus ``thermostat``: the settings ``/query/info`` shows."""
        out = super().read_settings(username, password)
        info = self._get("/query/info", username, password)
        out["thermostat"] = {k: _number(info.get(k)) for k in SETTING_FIELDS}
        return out

    def change_password(self, username, old_password, new_password):
        raise ManualStep(self.manual_rotation[0], self.manual_rotation[1])
