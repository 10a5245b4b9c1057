# SPDX-License-Identifier: GPL-3.0-or-later
"""The credentialed re-check: the assessment logs in with the stored credentials, reads the
lockout from the device and re-checks every factory account; what it cannot re-check stays
undecided (never fixed)."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import build_store, resolve
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import BaseDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess, report
from lockoutdevice import LockoutDevice

PHONE = {
    "ansible_host": "127.99.8.1",
    "iot_class": "voip_phone",
    "iot_fingerprint_id": "polycom.phone",
    "iot_driver": "phone_http",
    "iot_lockout": {"supported": True, "threshold": 5},
}


class PhoneDriver(BaseDriver):
    name = "phone_http"

    def __init__(self, dev):
        super().__init__("127.99.8.1", 80)
        self.dev = dev

    def login(self, username, password):
        return self.dev.login(username, password)

    def lockout_policy(self, username, password):
        assert self.dev.passwords.get(username) == password
        return {
            "enabled": True,
            "threshold": self.dev.threshold,
            "duration": 180,
            "evidence": "GET /api/status",
        }


@pytest.fixture
def store(tmp_path):
    return build_store(
        "vault_file", inventory_dir=str(tmp_path), vault_secrets=[("default", VaultSecret(b"k"))]
    )


def _assess(store, dev, tmp_path, credentials=()):
    access = resolve("phone", PHONE, store=store, ledger=str(tmp_path / "ledger.json"))

    def factory(hostvars, device=None):
        return "phone_http", (lambda host, timeout: PhoneDriver(dev))

    opts = assess.Options(probes=("credentials",), credentials=credentials)
    return assess.assess_device("phone", PHONE, opts, driver_factory=factory, access=access)


def test_rotated_admin_but_second_factory_account_still_open(store, tmp_path):
    store.set_current("phone", "Polycom", "Rotated-Admin-1", "rotated")
    dev = LockoutDevice({"Polycom": "Rotated-Admin-1", "User": "123"}, threshold=3)
    res = _assess(store, dev, tmp_path)
    creds = res["observations"]["credentials"]
    assert creds["credentialed"] is True
    assert creds["accounts"] == {"Polycom": "closed", "User": "open"}
    found = {f["rule"]: f for f in res["findings"]}
    assert "'User' accepted" in found["IOTG-DEFAULT-CREDS"]["evidence"]
    # lockout decided from what the device reported after the stored login
    assert res["observations"]["lockout_enabled"] is True and "IOTG-NO-LOCKOUT" not in res["unknown"]
    assert creds["budget"]["lockout_source"] == "device" and creds["budget"]["threshold"] == 3
    assert not dev.locked and max(dev.failures.values()) <= 1
    assert "Rotated-Admin-1" not in repr(res)


def test_every_factory_account_closed_is_fixed_in_the_diff(store, tmp_path):
    before = _assess(store, LockoutDevice({"Polycom": "456", "User": "123"}, threshold=3), tmp_path / "a")
    assert "IOTG-DEFAULT-CREDS" in {f["rule"] for f in before["findings"]}
    store.set_current("phone", "Polycom", "Rotated-Admin-1", "rotated")
    store.set_current("phone", "User", "Rotated-User-22", "rotated")
    dev = LockoutDevice({"Polycom": "Rotated-Admin-1", "User": "Rotated-User-22"}, threshold=3)
    after = _assess(store, dev, tmp_path / "b")
    assert after["observations"]["credentials"]["accounts"] == {"Polycom": "closed", "User": "closed"}
    assert "IOTG-DEFAULT-CREDS" not in after["unknown"]
    ident = after["device"]["mac"] or after["device"]["name"]
    prev = next(dict(f, identity=ident) for f in before["findings"] if f["rule"] == "IOTG-DEFAULT-CREDS")
    now = {f["key"] for f in after["findings"]}
    assert report.finding_status(prev, now, {ident}, {ident: after["unknown"]}) == "fixed"
    # each refusal was followed by the stored login: the counters are back at zero
    assert dev.failures["Polycom"] == dev.failures["User"] == 0


def test_budget_too_small_leaves_the_rest_not_rechecked(store, tmp_path):
    store.set_current("phone", "Polycom", "Rotated-Admin-1", "rotated")
    dev = LockoutDevice({"Polycom": "Rotated-Admin-1", "User": "Rotated-User-22"}, threshold=2)
    # the engineer also names User's older shared password; threshold 2 allows one failure
    # at a time: Polycom's refusal is reset by its stored login, User has none to reset with
    res = _assess(store, dev, tmp_path, [{"username": "User", "password": "0000"}])
    creds = res["observations"]["credentials"]
    assert creds["accounts"]["Polycom"] == "closed" and creds["accounts"]["User"] == "not re-checked"
    assert "IOTG-DEFAULT-CREDS" in res["unknown"], "not re-checked is never fixed"
    ident = res["device"]["mac"] or res["device"]["name"]
    prev = {
        "key": "IOTG-DEFAULT-CREDS|%s|phone_http" % ident,
        "rule": "IOTG-DEFAULT-CREDS",
        "identity": ident,
    }
    assert report.finding_status(prev, set(), {ident}, {ident: res["unknown"]}) == "not re-checked"
    assert not dev.locked


def test_stored_credential_refused_falls_back_to_the_uncredentialed_check(store, tmp_path):
    store.set_current("phone", "Polycom", "Something-Else-9", "rotated")
    dev = LockoutDevice({"Polycom": "456", "User": "123"}, threshold=3)
    res = _assess(store, dev, tmp_path)
    assert any("no stored credential was accepted" in n for n in res["notes"])
    assert res["observations"]["credentials"]["accepted"]["username"] == "Polycom"


def test_a_password_named_for_the_device_is_tried_before_the_product_default(store, tmp_path):
    # an installer's password named in the host vars: with a budget of one failed login it
    # must be the one tried, not the product's published default
    hostvars = dict(PHONE, iot_default_credentials=[{"username": "Polycom", "password": "Installer-7"}])
    dev = LockoutDevice({"Polycom": "Installer-7"}, threshold=2)
    access = resolve("phone", hostvars, store=store, ledger=str(tmp_path / "ledger.json"))

    def factory(hostvars, device=None):
        return "phone_http", (lambda host, timeout: PhoneDriver(dev))

    opts = assess.Options(probes=("credentials",))
    res = assess.assess_device("phone", hostvars, opts, driver_factory=factory, access=access)
    accepted = res["observations"]["credentials"]["accepted"]
    assert accepted["username"] == "Polycom" and accepted["source"] == "named for this device (host vars)"
    assert dev.failures.get("Polycom", 0) == 0 and not dev.locked
    assert "Installer-7" not in repr(res)
    # the host vars describe the device's accounts: the product's own ('User' 123) is not guessed
    assert dev.failures == {} or set(dev.failures.values()) == {0}
    assert "User" not in res["observations"]["credentials"].get("accounts", {})


def _assess_with(hostvars, dev, store, ledger):
    access = resolve("phone", hostvars, store=store, ledger=str(ledger))

    def factory(hostvars, device=None):
        return "phone_http", (lambda host, timeout: PhoneDriver(dev))

    opts = assess.Options(probes=("credentials",))
    return assess.assess_device("phone", hostvars, opts, driver_factory=factory, access=access)


def test_a_guess_never_spends_the_last_failed_login_rotation_needs(store, tmp_path):
    # a product that documents no default gets common IoT defaults guessed; with one failed
    # login allowed (threshold 2) a refused guess proves nothing, and spending that failure
    # would leave the rotation after the assessment no login to prove a password with
    hostvars = dict(PHONE, iot_fingerprint_id="venstar.thermostat")
    store.set_current("phone", "Polycom", "Rotated-Admin-1", "rotated")
    dev = LockoutDevice({"Polycom": "Rotated-Admin-1"}, threshold=2)
    creds = _assess_with(hostvars, dev, store, tmp_path / "one.json")["observations"]["credentials"]
    assert creds["stored_accepted"] == ["Polycom"]
    assert set(dev.failures) <= {"Polycom"} and creds["budget"]["remaining"] == 1, (dev.failures, creds)
    # more failures allowed: guesses are tried, and the last failure is still kept back
    dev = LockoutDevice({"Polycom": "Rotated-Admin-1"}, threshold=4)
    creds = _assess_with(hostvars, dev, store, tmp_path / "two.json")["observations"]["credentials"]
    assert creds["guesses_refused"] >= 1 and creds["budget"]["remaining"] >= 1, (dev.failures, creds)
    assert not dev.locked
