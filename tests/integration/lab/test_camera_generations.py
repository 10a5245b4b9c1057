# SPDX-License-Identifier: GPL-3.0-or-later
"""Camera firmware generations: a Hikvision that ships un-activated (isapi.org namespace,
``maxIllegalLoginLockTime``, ``isDefaultPassword``) and an Axis without its initial admin,
driven by the collection's drivers and the rotation transaction against the lab."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
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


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("generations")
    # a private copy of tests/lab/sites/generations.yml
    lab = LabSite("generations", state_dir=base / "state", rebase="127.20.37.0/28")
    lab.up(fresh=True)
    yield lab
    lab.down()


@pytest.fixture
def store(tmp_path):
    return get_store(
        "vault_file", inventory_dir=str(tmp_path), codec=VaultCodec([("default", VaultSecret(b"k"))])
    )


def rotate(store, dev, driver, user="admin", **kw):
    budget = LoginBudget({"enabled": False, "source": "device"}, keys=[dev["name"]], max_attempts=5)
    return Rotation(dev["name"], user, driver, store, budget=budget, retry_delay=0, **kw).run()


def test_unactivated_hikvision_is_claimed_and_stored(site, store):
    dev = site.device("hik-new")
    base = "http://%s" % dev["address"]
    # out of the box: not activated, no password, every login refused
    assert "<Activated>false</Activated>" in http(base + "/SDK/activateStatus").body
    assert ISAPI_NS in http(base + "/SDK/activateStatus").body
    assert http(base + "/ISAPI/Security/userCheck", "admin", "").status == 401
    assert dev["credentials"][0]["password"] is None
    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "lab" / "ground-truth.schema.json").read_text()
    )
    jsonschema.validate(site.refresh(), schema)  # an account without a password is null there
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


def test_axis_without_initial_admin_is_claimed_and_stored(site, store):
    dev = site.device("axis-new")
    base = "http://%s" % dev["address"]
    raw = http(base + "/axis-cgi/param.cgi?action=list&group=Brand", "root", "pass")
    assert raw.status == 401 and raw.headers.get("Axis-Setup") == "vapix"
    assert "no_initial_admin" in dev["weaknesses"]
    driver = get_driver("axis_vapix", dev["address"], timeout=5)
    assert driver.unclaimed("root") is True
    # the initial admin needs the admin group: a viewer first is refused
    viewer = http(base + "/axis-cgi/pwdgrp.cgi?action=add&user=root&pwd=Xy-123456789&grp=root&sgrp=viewer")
    assert "Error" in viewer.body and site.device("axis-new")["credentials"][0]["password"] is None
    res = rotate(store, dev, driver, user="root")
    assert res["status"] == "rotated" and res["credential_source"] == "unclaimed", res
    acct = store.account(dev["name"], "root")
    held = site.device("axis-new")
    assert (
        held["credentials"][0]["password"] == acct["current"] and "no_initial_admin" not in held["weaknesses"]
    )
    driver = get_driver("axis_vapix", dev["address"], timeout=5)
    assert driver.unclaimed("root") is False and driver.login("root", acct["current"]) is True
    # once there is an admin, adding without credentials is refused
    again = http(base + "/axis-cgi/pwdgrp.cgi?action=add&user=root&pwd=Other-123456&grp=root&sgrp=admin")
    assert again.status == 401
    # brute force delay protection, on by default on AXIS OS 11.5+, read from its parameters
    lock = driver.lockout_policy("root", acct["current"])
    assert (lock["enabled"], lock["threshold"], lock["duration"]) == (True, 20, 10)
    assert "PreventDoSAttack=yes" in lock["evidence"]
    assert rotate(store, dev, get_driver("axis_vapix", dev["address"], timeout=5), user="root")["status"] == (
        "compliant"
    )


@pytest.mark.parametrize(
    ("name", "enabled", "evidence"),
    [("axis-mid", False, "PreventDoSAttack=no"), ("axis-old", False, "predates brute force delay")],
)
def test_axis_brute_force_delay_per_generation(site, name, enabled, evidence):
    dev = site.device(name)
    driver = get_driver("axis_vapix", dev["address"], timeout=5)
    # 9.80 answers systemready (root has its password); 6.50 has no systemready at all
    assert driver.unclaimed("root") is (False if name == "axis-mid" else None)
    lock = driver.lockout_policy("root", "pass")
    assert lock["enabled"] is enabled and evidence in lock["evidence"]
