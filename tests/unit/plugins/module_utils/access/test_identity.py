# SPDX-License-Identifier: GPL-3.0-or-later
"""Credential records follow the device (MAC/serial), not its address: swaps, a new
address, address-keyed records from before, and a device that claims another's name."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.identity import (
    device_identity,
    inventory_names,
    reconcile,
    same_device,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import build_store

CAM_A = {"iot_mac": "C0:56:E3:00:00:0A"}
CAM_B = {"iot_mac": "c0-56-e3-00-00-0b"}


@pytest.fixture
def store(tmp_path):
    return build_store(
        "vault_file", inventory_dir=str(tmp_path), vault_secrets=[("default", VaultSecret(b"k"))]
    )


def _seed(store, host, ident, password):
    store.set_current(host, "admin", password, "rotated")
    store.set_identity(host, device_identity(ident))


def test_identity_is_normalised_and_decides():
    a, b = device_identity(CAM_A), device_identity(CAM_B)
    assert a["mac"] == "c0:56:e3:00:00:0a" and b["mac"] == "c0:56:e3:00:00:0b"
    assert same_device(a, a) is True and same_device(a, b) is False
    assert same_device(a, {"mac": None, "serial": None}) is None
    assert device_identity({"iot_mac": "not-a-mac; rm -rf /"})["mac"] is None


def test_swapped_addresses_swap_the_records(store):
    _seed(store, "10.0.0.5", CAM_A, "Pass-of-A-1")
    _seed(store, "10.0.0.6", CAM_B, "Pass-of-B-1")
    # next run: B answers on .5, A on .6
    status, detail = reconcile(store, "10.0.0.5", device_identity(CAM_B))
    assert status == "moved", detail
    assert store.current("10.0.0.5", "admin") == "Pass-of-B-1"
    assert reconcile(store, "10.0.0.6", device_identity(CAM_A))[0] == "ok"
    assert store.current("10.0.0.6", "admin") == "Pass-of-A-1"


def test_a_new_address_takes_the_record_along_and_nothing_is_lost(store):
    _seed(store, "10.0.0.5", CAM_A, "Pass-of-A-1")
    status, _detail = reconcile(store, "10.0.0.9", device_identity(CAM_A))
    assert status == "moved"
    assert store.current("10.0.0.9", "admin") == "Pass-of-A-1"
    assert store.load("10.0.0.5")["accounts"] == {}


def test_a_stranger_at_a_known_address_never_gets_its_credentials(store):
    _seed(store, "10.0.0.5", CAM_A, "Pass-of-A-1")
    status, detail = reconcile(store, "10.0.0.5", device_identity(CAM_B))
    assert status == "none", detail
    assert store.load("10.0.0.5")["accounts"] == {}, "the stranger gets no stored credential"
    parked = "mac-c056e300000a"
    assert store.current(parked, "admin") == "Pass-of-A-1", "A's record is parked, not lost"
    # A shows up again somewhere: its record follows it
    assert reconcile(store, "10.0.0.7", device_identity(CAM_A))[0] == "moved"
    assert store.current("10.0.0.7", "admin") == "Pass-of-A-1"


def test_address_keyed_record_from_before_is_migrated(store):
    store.set_current("10.0.0.5", "admin", "Old-Style-1", "rotated")  # no identity: written before
    status, _detail = reconcile(store, "10.0.0.5", device_identity(CAM_A))
    assert status == "adopted"
    assert store.load("10.0.0.5")["identity"]["mac"] == "c0:56:e3:00:00:0a"
    assert store.current("10.0.0.5", "admin") == "Old-Style-1"


def test_unknown_identity_changes_nothing(store):
    _seed(store, "10.0.0.5", CAM_A, "Pass-of-A-1")
    assert reconcile(store, "10.0.0.5", device_identity({}))[0] == "unknown"
    assert store.current("10.0.0.5", "admin") == "Pass-of-A-1"


@pytest.mark.parametrize(
    ("rows", "expect"),
    [
        # reported name, made safe; MAC when the device says nothing; else the address
        (
            [("10.0.0.5", {"iot_hostname": "Lobby Cam.{{ lookup('pipe','id') }}",
                           "iot_mac": "c0:56:e3:00:00:0a"}),
             ("10.0.0.6", {"iot_mac": "C0:56:E3:00:00:0B"}),
             ("10.0.0.7", {})],
            {"10.0.0.5": "lobby-cam", "10.0.0.6": "mac-c056e300000b", "10.0.0.7": "10.0.0.7"},
        ),
        # two devices claim the same name: both disambiguated by their own MAC
        (
            [("10.0.0.5", {"iot_hostname": "printer", "iot_mac": "00:11:22:33:44:55"}),
             ("10.0.0.6", {"iot_hostname": "PRINTER", "iot_mac": "00:11:22:aa:bb:cc"})],
            {"10.0.0.5": "printer-334455", "10.0.0.6": "printer-aabbcc"},
        ),
        # digits only is an address in disguise: not a name
        ([("10.0.0.8", {"iot_hostname": "10", "iot_serial": "SN-4711"})], {"10.0.0.8": "sn-4711"}),
    ],
)  # fmt: skip
def test_inventory_names_from_identity(rows, expect):
    assert inventory_names(rows) == expect
    assert inventory_names(rows, "address") == {a: a for a, _f in rows}


def test_keepass_records_follow_the_device_too(tmp_path):
    pytest.importorskip("pykeepass")
    store = build_store("keepass", store_path=str(tmp_path / "site.kdbx"), master_password="kp-test-1")
    _seed(store, "10.0.0.5", CAM_A, "Pass-of-A-1")
    _seed(store, "10.0.0.6", CAM_B, "Pass-of-B-1")
    assert reconcile(store, "10.0.0.5", device_identity(CAM_B))[0] == "moved"
    assert store.current("10.0.0.5", "admin") == "Pass-of-B-1"
    assert store.current("10.0.0.6", "admin") == "Pass-of-A-1"
