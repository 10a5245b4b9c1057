# SPDX-License-Identifier: GPL-3.0-or-later
"""Camera firmware generations: a Hikvision that ships un-activated (isapi.org namespace,
``maxIllegalLoginLockTime``, ``isDefaultPassword``) and an Axis without its initial admin,
driven by the collection's drivers and the rotation transaction against the lab."""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import LoginBudget
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    NotSupported,
    PasswordRejected,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.cameras import (
    ISAPI_NS,
    seal_activation_password,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import Rotation
from iotlab.clients import http
from iotlab.testing import LabSite

pytestmark = pytest.mark.lab

SITE = """---
name: camera-generations
description: the camera firmware generations that differ
subnet: 127.20.37.0/28
first_device_address: 127.20.37.2
switches: []
devices:
  - {kind: hikvision_camera, name: hik-new, variant: DS-2CD2143G2-I}
  - {kind: hikvision_camera, name: hik-new2, variant: DS-2CD2143G2-I}
  - {kind: hikvision_camera, name: hik-g0, variant: DS-2CD2143G0-I}
  - {kind: hikvision_camera, name: hik-old, variant: DS-2CD2032-I}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("generations")
    (base / "camera-generations.yml").write_text(SITE)
    lab = LabSite(str(base / "camera-generations.yml"), state_dir=base / "state")
    lab.up(fresh=True)
    yield lab
    lab.down()


@pytest.fixture
def store(tmp_path):
    return get_store(
        "vault_file", inventory_dir=str(tmp_path), codec=VaultCodec([("default", VaultSecret(b"k"))])
    )


def rotate(store, dev, driver, **kw):
    budget = LoginBudget({"enabled": False, "source": "device"}, keys=[dev["name"]], max_attempts=5)
    return Rotation(dev["name"], "admin", driver, store, budget=budget, retry_delay=0, **kw).run()


def test_unactivated_hikvision_is_claimed_and_stored(site, store):
    dev = site.device("hik-new")
    base = "http://%s" % dev["address"]
    # out of the box: not activated, no password, every login refused
    assert "<Activated>false</Activated>" in http(base + "/SDK/activateStatus").body
    assert ISAPI_NS in http(base + "/SDK/activateStatus").body
    assert http(base + "/ISAPI/Security/userCheck", "admin", "").status == 401
    assert dev["credentials"][0]["password"] is None
    assert "not_activated" in dev["weaknesses"]
    driver = get_driver("hikvision_isapi", dev["address"], timeout=5)
    assert driver.unclaimed("admin") is True
    # check mode says what it would do and sets nothing
    dry = rotate(store, dev, driver, check_mode=True)
    assert dry["status"] == "would_rotate" and "anyone" in dry["reason"]
    assert site.device("hik-new")["credentials"][0]["password"] is None
    res = rotate(store, dev, get_driver("hikvision_isapi", dev["address"], timeout=5))
    assert res["status"] == "rotated" and res["credential_source"] == "unclaimed", res
    assert [s["step"] for s in res["steps"]][:4] == ["ask_unclaimed", "store_pending", "claim", "verify_new"]
    acct = store.account(dev["name"], "admin")
    assert acct["pending"] is None and acct["source"] == "rotated"
    # the device now holds exactly the stored password, and says so
    held = site.device("hik-new")
    assert held["credentials"][0]["password"] == acct["current"]
    assert "not_activated" not in held["weaknesses"]
    assert "<Activated>true</Activated>" in http(base + "/SDK/activateStatus").body
    driver = get_driver("hikvision_isapi", dev["address"], timeout=5)
    assert driver.unclaimed("admin") is False
    assert driver.login("admin", acct["current"]) is True
    assert driver.reports_default("admin", acct["current"]) is False
    # isapi.org answers parsed; lock time under its newer name, written back in the device's namespace
    lock = driver.lockout_policy("admin", acct["current"])
    assert (lock["enabled"], lock["threshold"], lock["duration"]) == (True, 7, 1800)
    assert driver.namespace == ISAPI_NS
    driver.set_lockout("admin", acct["current"], {"enabled": True, "threshold": 5, "duration": 600})
    assert site.device("hik-new")["lockout"]["duration"] == 600
    assert (
        "<maxIllegalLoginLockTime>600<"
        in http(base + "/ISAPI/Security/illegalLoginLock", "admin", acct["current"]).body
    )
    # a second run finds the stored password: nothing more to do
    again = rotate(store, dev, get_driver("hikvision_isapi", dev["address"], timeout=5))
    assert again["status"] == "compliant", again


def test_activation_refuses_a_weak_password_and_a_replay(site):
    """The device's own policy and its one-time challenge decide; nothing set when refused."""
    dev = site.device("hik-new2")
    driver = get_driver("hikvision_isapi", dev["address"], timeout=5)
    with pytest.raises(PasswordRejected, match="too short"):
        driver.claim("admin", "Ab1-x")
    assert driver.unclaimed("admin") is True
    # a sealed password without a fresh challenge (a replay) is refused
    put = http(
        "http://%s/ISAPI/System/activate" % dev["address"],
        method="PUT",
        body="<ActivateInfo><password>%s</password></ActivateInfo>"
        % seal_activation_password("00" * 16, "Strong-Pass-29"),
    )
    assert put.status == 400 and "noChallenge" in put.body
    assert site.device("hik-new2")["credentials"][0]["password"] is None
    # only admin exists on an un-activated device
    with pytest.raises(NotSupported):
        driver.claim("operator", "Strong-Pass-29")


def test_device_reports_its_default_password(site):
    g0, old = site.device("hik-g0"), site.device("hik-old")
    driver = get_driver("hikvision_isapi", g0["address"], timeout=5)
    assert driver.unclaimed("admin") is None or driver.unclaimed("admin") is False
    assert driver.reports_default("admin", "12345") is True
    assert driver.namespace == "http://www.hikvision.com/ver20/XMLSchema"
    lock = driver.lockout_policy("admin", "12345")
    assert lock["duration"] == 1800  # lockDuration, the older name
    # the oldest firmware does not report it: the driver says it cannot tell
    assert get_driver("hikvision_isapi", old["address"], timeout=5).reports_default("admin", "12345") is None
