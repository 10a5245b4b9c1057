# SPDX-License-Identifier: GPL-3.0-or-later
"""The device access resolver: host vars + store + overrides -> driver, accounts, factory
passwords and the login budget, in one place for every action."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    SOURCE_DEVICE,
    SOURCE_ENGINEER,
    SOURCE_PRODUCT,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (
    AccessError,
    build_store,
    resolve,
)

HIKVISION = {
    "ansible_host": "127.99.7.1",
    "iot_fingerprint_id": "hikvision.camera",
    "iot_driver": "hikvision_isapi",
    "iot_default_credentials": ["admin"],
    "iot_lockout": {"supported": True, "threshold": 7},
    "iot_mac": "C0:56:E3:00:00:01",
}


@pytest.fixture
def store(tmp_path):
    return build_store(
        "vault_file", inventory_dir=str(tmp_path), vault_secrets=[("default", VaultSecret(b"k"))]
    )


@pytest.mark.parametrize(
    ("hostvars", "overrides", "driver", "accounts", "factory_admin"),
    [
        # discovery's facts: names only; the password comes from the product data
        (HIKVISION, {}, "hikvision_isapi", ["admin"], ["12345"]),
        # an engineer's overrides win
        (HIKVISION, {"driver": "axis_vapix", "factory_passwords": ["own"]}, "axis_vapix", ["admin"], ["own"]),
        # a product without a driver of ours but telnet open: the shell stands in
        (
            {"ansible_host": "127.99.7.2", "iot_fingerprint_id": "dahua.camera", "iot_driver": "uniview_http",
             "iot_open_ports": [23, 80]},
            {},
            "telnet_busybox",
            ["admin"],
            ["admin"],
        ),
        # Dahua's own API: the driver the fingerprint names, whatever shell is open
        (
            {"ansible_host": "127.99.7.5", "iot_fingerprint_id": "dahua.camera", "iot_driver": "dahua_http",
             "iot_open_ports": [23, 80]},
            {},
            "dahua_http",
            ["admin"],
            ["admin"],
        ),
        # a hand-built inventory with the credentials in the facts (the lab's)
        (
            {"ansible_host": "127.99.7.3", "iot_driver": "phone_http",
             "iot_default_credentials": [{"username": "admin", "password": "admin"},
                                         {"username": "user", "password": "user"}]},
            {},
            "phone_http",
            ["admin", "user"],
            ["admin"],
        ),
    ],
)  # fmt: skip
def test_driver_accounts_and_factory_passwords(store, hostvars, overrides, driver, accounts, factory_admin):
    access = resolve("dev", hostvars, overrides, store)
    assert access.driver_name == driver
    assert access.factory_accounts() == accounts
    assert access.factory_passwords("admin") == factory_admin
    assert access.driver("admin").host == hostvars["ansible_host"]


def test_no_driver_is_a_clear_error(store):
    access = resolve("spk", {"ansible_host": "127.99.7.4", "iot_fingerprint_id": "sonos.speaker"}, {}, store)
    with pytest.raises(AccessError, match="set iot_driver for the host"):
        access.driver("admin")


def test_switch_gets_its_enable_secret_from_the_store(store):
    store.set_current("sw1", "enable", "Stored-Enable-1", "rotated")
    hv = {"ansible_host": "127.99.7.5", "iot_driver": "cisco_ios",
          "iot_default_credentials": [{"username": "admin", "password": "Cisco123"},
                                      {"username": "enable", "password": "Enable123"}]}  # fmt: skip
    drv = resolve("sw1", hv, {}, store).driver("admin")
    assert drv.options["enable_secret"] == "Stored-Enable-1"


def test_budget_from_product_then_engineer_then_device(store, tmp_path):
    ledger = str(tmp_path / "ledger.json")
    access = resolve("cam", HIKVISION, {}, store, ledger)
    b = access.budget("rotation")
    assert (b.lockout["source"], b.lockout["threshold"], b.size) == (SOURCE_PRODUCT, 7, 2)
    assert access.keys == ["mac:c0:56:e3:00:00:01", "addr:127.99.7.1"]
    hv = dict(HIKVISION, iot_lockout_configured={"enabled": True, "threshold": 3})
    b = resolve("cam", hv, {}, store, ledger).budget("rotation")
    assert (b.lockout["source"], b.size) == (SOURCE_ENGINEER, 1)
    b.learn({"enabled": True, "threshold": 4})
    b = resolve("cam", hv, {}, store, ledger).budget("assessment")
    assert (b.lockout["source"], b.lockout["threshold"], b.size) == (SOURCE_DEVICE, 4, 2)


def test_accounts_named_for_the_host_replace_the_product_data(store):
    # product data says cisco/cisco; the engineer names the installer's accounts for this one
    # switch: only those are rotated (a guess of 'cisco' would spend its one failed login)
    hv = {"ansible_host": "127.99.7.6", "iot_fingerprint_id": "cisco.ios_switch",
          "iot_driver": "netmiko:cisco_ios",
          "iot_default_credentials": [{"username": "admin", "password": "Cisco123"},
                                      {"username": "enable", "password": "Enable123"}]}  # fmt: skip
    access = resolve("sw2", hv, {}, store)
    assert access.factory_accounts() == ["admin", "enable"]
    named = [c for c in access.factory_credentials() if c.get("named")]
    assert [(c["username"], c["source"]) for c in named] == [
        ("admin", "named for this device (host vars)"),
        ("enable", "named for this device (host vars)"),
    ]
    # names only (discovery's facts): the product data still says which accounts exist
    hv = dict(hv, iot_default_credentials=["admin"])
    assert "cisco" in resolve("sw2", hv, {}, store).factory_accounts()


def test_any_account_driver_can_prove_the_enable_secret(store):
    # the assessment's re-check asks for a driver for no one account: the enable secret is
    # proven through the store's local user
    store.set_current("sw3", "admin", "Stored-Admin-1", "rotated")
    store.set_current("sw3", "enable", "Stored-Enable-1", "rotated")
    hv = {"ansible_host": "127.99.7.7", "iot_driver": "cisco_ios"}
    drv = resolve("sw3", hv, {}, store).driver(None)
    assert drv.options["login_username"] == "admin" and drv.options["login_password"] == "Stored-Admin-1"
    assert drv.options["enable_secret"] == "Stored-Enable-1"


def test_polycom_user_account_gets_the_admin_password(store):
    """Poly's User password is set over REST as the admin: the admin's stored password, else
    the factory one, comes with the driver (as a switch's enable secret)."""
    hv = {"ansible_host": "127.99.7.6", "iot_fingerprint_id": "polycom.phone", "iot_driver": "polycom_rest"}
    access = resolve("vvx", hv, {}, store)
    assert access.factory_accounts() == ["Polycom", "User"]
    assert access.driver("User").options["enable_secret"] == "456"
    store.set_current("vvx", "Polycom", "Stored-Admin-1", "rotated")
    assert resolve("vvx", hv, {}, store).driver("User").options["enable_secret"] == "Stored-Admin-1"
    assert "enable_secret" not in resolve("vvx", hv, {}, store).driver("Polycom").options
