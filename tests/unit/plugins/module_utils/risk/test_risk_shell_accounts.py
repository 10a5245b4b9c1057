# SPDX-License-Identifier: GPL-3.0-or-later
"""Coverage of accounts the product data does not list: a shell device that lists its
accounts (/etc/passwd) gets each existing account's common defaults guessed once the device
said failed logins lock nothing; what is accepted is kept in the store, and the rotation's
account list (read from the store when it runs) includes it."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (
    build_store,
    known_accounts,
    resolve,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._expect import parse_passwd
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import BaseDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess
from lockoutdevice import LockoutDevice

GATEWAY = {"ansible_host": "127.99.8.2", "iot_class": "router", "iot_driver": "telnet_busybox"}


class ShellDriver(BaseDriver):
    name = "telnet_busybox"

    def __init__(self, dev, listed):
        super().__init__("127.99.8.2", 23)
        self.dev, self.listed = dev, listed

    def login(self, username, password):
        return self.dev.login(username, password)

    def lockout_policy(self, username, password):
        assert self.dev.passwords.get(username) == password
        return {
            "enabled": False,
            "threshold": None,
            "duration": None,
            "evidence": "BusyBox login without PAM",
        }

    def login_accounts(self, username, password):
        assert self.dev.passwords.get(username) == password
        return self.listed


@pytest.fixture
def store(tmp_path):
    return build_store(
        "vault_file", inventory_dir=str(tmp_path), vault_secrets=[("default", VaultSecret(b"k"))]
    )


def _assess(store, dev, tmp_path, listed):
    access = resolve("gw", GATEWAY, store=store, ledger=str(tmp_path / "ledger.json"))

    def factory(hostvars, device=None):
        return "telnet_busybox", (lambda host, timeout: ShellDriver(dev, listed))

    opts = assess.Options(probes=("credentials",))
    return assess.assess_device("gw", GATEWAY, opts, driver_factory=factory, access=access)


def test_listed_root_account_found_with_its_common_default_and_kept_for_rotation(store, tmp_path):
    dev = LockoutDevice({"admin": "admin", "root": "admin"}, threshold=10**6)
    assert known_accounts("gw", GATEWAY, store) == []
    res = _assess(store, dev, tmp_path, ["admin", "root"])
    creds = res["observations"]["credentials"]
    assert creds["device_accounts"] == ["admin", "root"]
    assert {a["username"] for a in creds["accepted_all"]} == {"admin", "root"}
    # only accounts that exist were guessed: no user/guest/support logins were sent
    assert {u for u, _pw in dev.sent} == {"admin", "root"}
    assert "IOTG-DEFAULT-CREDS" in {f["rule"] for f in res["findings"]}
    # both are factory passwords of this device now, and the rotation's list names both
    assert known_accounts("gw", GATEWAY, store) == ["admin", "root"]


def test_without_an_account_list_only_second_accounts_are_guessed(store, tmp_path):
    dev = LockoutDevice({"admin": "admin", "root": "admin"}, threshold=10**6)
    res = _assess(store, dev, tmp_path, None)
    assert "device_accounts" not in res["observations"]["credentials"]
    assert {u for u, _pw in dev.sent} <= {"admin", "root", "user", "guest", "support"}


def test_a_record_of_another_device_adds_no_account(store):
    store.remember_factory("gw", "root", "admin", "accepted by the assessment")
    store.set_identity("gw", {"mac": "00:0c:42:00:00:01", "serial": None})
    assert known_accounts("gw", GATEWAY, store) == ["root"]  # nothing known now: used as stored
    other = dict(GATEWAY, iot_mac="00:0c:42:00:00:02")
    assert known_accounts("gw", other, store) == []
    assert store.load("gw")["identity"]["mac"] == "00:0c:42:00:00:01", "the lookup moved nothing"


def test_parse_passwd_keeps_login_accounts_only():
    out = (
        b"cat /etc/passwd\r\nroot:x:0:0:root:/root:/bin/sh\r\nadmin:$1$abc:1000:0::/:/bin/sh\r\n"
        b"daemon:*:1:1::/:/bin/false\r\nnobody:x:65534:65534::/:/usr/sbin/nologin\r\n"
        b"locked:!:1001:0::/:/bin/sh\r\n$(reboot):x:1002:0::/:/bin/sh\r\n# "
    )
    assert parse_passwd(out) == ["root", "admin"]
    assert parse_passwd(b"cat: can't open '/etc/passwd'") == []


def test_after_rotation_the_known_accounts_are_re_checked_and_guesses_do_not_block(store, tmp_path):
    first = LockoutDevice({"admin": "admin", "root": "admin"}, threshold=10**6)
    _assess(store, first, tmp_path / "a", ["admin", "root"])
    store.set_current("gw", "admin", "Rotated-Admin-1", "rotated")
    store.set_current("gw", "root", "Rotated-Root-22", "rotated")
    dev = LockoutDevice({"admin": "Rotated-Admin-1", "root": "Rotated-Root-22"}, threshold=10**6)
    res = _assess(store, dev, tmp_path / "b", ["admin", "root"])
    creds = res["observations"]["credentials"]
    assert creds["credentialed"] and not creds["guessed_only"]
    assert creds["accounts"] == {"admin": "closed", "root": "closed"}
    # both factory passwords were really sent and refused (the proof), the stored ones accepted
    assert ("root", "admin") in dev.sent and ("admin", "admin") in dev.sent
    assert "IOTG-DEFAULT-CREDS" not in res["unknown"]
    assert "IOTG-DEFAULT-CREDS" not in {f["rule"] for f in res["findings"]}


def test_after_rotation_a_still_open_guessed_account_stays_open(store, tmp_path):
    _assess(
        store,
        LockoutDevice({"admin": "admin", "root": "admin"}, threshold=10**6),
        tmp_path / "a",
        ["admin", "root"],
    )
    store.set_current("gw", "admin", "Rotated-Admin-1", "rotated")
    dev = LockoutDevice({"admin": "Rotated-Admin-1", "root": "admin"}, threshold=10**6)
    res = _assess(store, dev, tmp_path / "b", ["admin", "root"])
    assert res["observations"]["credentials"]["accounts"]["root"] == "open"
    assert "IOTG-DEFAULT-CREDS" in {f["rule"] for f in res["findings"]}
