# SPDX-License-Identifier: GPL-3.0-or-later
"""A product with no password API (the Venstar Local API): rotation generates a password,
keeps it pending in the store and reports a manual step with the device's own instruction;
nothing is sent. The next run proves the password the engineer typed in and makes it
current. An open API (no authentication at all) is a manual step too, never an "accepted"
factory password."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import rotation
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver_class
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    ManualStep,
    OpenAccess,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.thermostats import (
    SCREEN_PATH,
    VenstarLocalDriver,
)
from test_drivers import vault_store


class ScreenOnly(BaseDriver):
    """A device whose password only its own screen changes (``screen``); the driver's
    change_password must never be called."""

    name = "screen_only"
    manual_rotation = VenstarLocalDriver.manual_rotation
    password_policy = VenstarLocalDriver.password_policy

    def __init__(self, password="admin", open_api=False):
        super().__init__("127.0.0.1")
        self.password = password
        self.open_api = open_api
        self.changes = []
        self.logins = []

    def login(self, username, password):
        if self.open_api:
            raise ManualStep("asks for no credential", "turn authentication on at the screen")
        self.logins.append(password)
        return password == self.password

    def change_password(self, username, old_password, new_password):
        self.changes.append(new_password)


def run(store, drv, **kw):
    return rotation.Rotation(
        "hvac", "admin", drv, store, factory_passwords=["admin"], retry_delay=0, **kw
    ).run()


def test_no_password_api_is_a_manual_step_then_proven_on_the_next_run(tmp_path):
    store = vault_store(tmp_path)
    drv = ScreenOnly()
    r = run(store, drv)
    assert r["status"] == "manual", r
    assert drv.changes == [], "nothing may be sent to a device changed by hand"
    assert SCREEN_PATH in r["manual_step"] and "field=pending" in r["manual_step"]
    assert "factory default" in r["reason"] and "no password change" in r["reason"]
    acct = store.account("hvac", "admin")
    new = acct["pending"]
    assert acct["current"] == "admin" and new and drv.password_policy.check(new) is None
    assert r["changed"] is True  # the store holds the new pending password
    rows = rotation.summary_rows([{"client": "c", "host": "hvac", "selected": True, "results": [r]}])
    (cannot,) = rotation.cannot_rotate(rows)
    assert cannot["status"] == "manual" and cannot["manual_step"] == r["manual_step"]
    assert rotation.count_rows(rows)["manual"] == 1 and rotation.count_rows(rows)["failed"] == 0

    # not done yet: the same pending password stays (the engineer may be half-way)
    again = run(store, drv)
    assert again["status"] == "manual" and again["changed"] is False, again
    assert store.account("hvac", "admin")["pending"] == new

    # the engineer typed it in on the screen: the next run proves it and makes it current
    drv.password = new
    done = run(store, drv)
    assert done["status"] == "reconciled" and done["credential_source"] == "pending", done
    acct = store.account("hvac", "admin")
    assert acct["current"] == new and acct["pending"] is None
    assert drv.changes == []


def test_check_mode_writes_nothing(tmp_path):
    store = vault_store(tmp_path)
    r = run(store, ScreenOnly(), check_mode=True)
    assert r["status"] == "manual" and r["changed"] is False, r
    assert not (store.account("hvac", "admin") or {}).get("pending")


def test_a_stored_password_that_is_no_default_stays_compliant(tmp_path):
    store = vault_store(tmp_path)
    store.set_current("hvac", "admin", "Unique2026x", "given")
    r = run(store, ScreenOnly(password="Unique2026x"))
    assert r["status"] == "compliant", r


def test_open_api_is_a_manual_step_not_an_accepted_password(tmp_path):
    store = vault_store(tmp_path)
    r = run(store, ScreenOnly(open_api=True))
    assert r["status"] == "manual" and r["manual_step"] == "turn authentication on at the screen", r
    assert r["credential_source"] is None and store.account("hvac", "admin") in (None, {})


def test_venstar_driver_claims_only_what_the_api_has():
    cls = get_driver_class("venstar_local")
    assert get_driver_class("thermostat_api") is cls
    with pytest.raises(ManualStep) as exc:
        cls("127.0.0.1").change_password("admin", "a", "b")
    assert SCREEN_PATH in exc.value.instruction
    assert not hasattr(cls, "lockout_range") and not hasattr(cls, "set_mqtt_auth")


class OpenScreen(ScreenOnly):
    """A Local API left open (no authentication): only the screen creates the account."""

    name = "open_screen"

    def unauthenticated(self):
        return "answered without credentials" if self.open_api else None

    def login(self, username, password):
        if self.open_api:
            raise OpenAccess("asks for no credential", "turn it on", lambda u: "create user %r on screen" % u)
        return super().login(username, password)


def test_open_api_gets_a_pending_password_for_the_account_to_create_then_proven(tmp_path):
    store = vault_store(tmp_path)
    drv = OpenScreen(password=None, open_api=True)

    def rotate(**kw):
        return rotation.Rotation("hvac", "admin", drv, store, retry_delay=0, **kw).run()

    # check mode: said, nothing stored
    r = rotate(check_mode=True)
    assert r["status"] == "manual" and r["changed"] is False and not store.account("hvac", "admin"), r
    # no factory password and nothing stored: the device is asked without credentials
    r = rotate()
    assert r["status"] == "manual" and r["changed"] is True, r
    assert "create user 'admin' on screen" in r["manual_step"] and "field=pending" in r["manual_step"]
    new = store.account("hvac", "admin")["pending"]
    assert new and drv.password_policy.check(new) is None and new not in r["manual_step"]
    assert drv.changes == [] and drv.logins == [], "nothing is sent while the API is open"
    # the engineer has not been to the screen yet: the same password stays pending
    again = rotate()
    assert again["status"] == "manual" and again["changed"] is False, again
    assert store.account("hvac", "admin")["pending"] == new
    # the account created on the screen with it: proven and made current, then compliant
    drv.open_api, drv.password = False, new
    done = rotate()
    assert done["status"] == "reconciled" and done["credential_source"] == "pending", done
    assert store.account("hvac", "admin")["current"] == new
    assert rotate()["status"] == "compliant"
