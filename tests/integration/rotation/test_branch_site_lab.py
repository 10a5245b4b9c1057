# SPDX-License-Identifier: GPL-3.0-or-later
"""The branch site (tests/lab/sites/branch.yml): devices managed through their vendors' own
APIs, taken through discover (the inventory plugin), assess, rotate, assess.

* the Dahua driver against the lab's Dahua camera (the Dahua HTTP API, Digest): the
  lockout read from ``LoginFailureAlarm``, a setting outside the device's range refused
  before anything is sent, a password the device refuses reported with its ``Error``;
* the RouterOS driver against the lab's MikroTik router (the RouterOS API on tcp/8728,
  through librouteros): accounts, identity, services switched, a refused password;
* the EdgeOS driver against the lab's EdgeRouter (its CLI over SSH through netmiko's
  ubiquiti_edgerouter): set, commit, save; a refused commit leaves nothing staged;
* discovery tells a Dahua camera with the CGI API (``dahua_http``) from the Mirai-era OEM
  one (BusyBox telnet, ``telnet_busybox``) and names the routers' APIs (``routeros_api``, ``edgeos_cli``);
* after rotation, judged by curl (HTTP Digest), librouteros, hydra (SSH) and the lab's
  ground truth: the factory password is refused, the stored one accepted, no device locked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import librouteros
import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import PasswordRejected
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    SettingRejected,
    read_settings,
)
from rotlab import TOP, assess, run_playbook, site_with_inventory, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SITE = TOP / "tests" / "lab" / "sites" / "branch.yml"
USERS = "/cgi-bin/userManager.cgi?action=getUserInfoAll"


@pytest.fixture(scope="module")
def branch(tmp_path_factory):
    base = tmp_path_factory.mktemp("branch")
    with site_with_inventory(SITE, base / "client-branch") as started:
        yield started


def curl_digest(address, user, password, path=USERS):
    """(HTTP status, body) of an HTTP Digest GET by curl, the credential on its stdin."""
    curl = shutil.which("curl")
    assert curl, "curl is needed to judge the Dahua logins"
    config = 'user = "%s:%s"\n' % (user, password)
    out = subprocess.run(
        [curl, "-sS", "--digest", "-K", "-", "-w", "\n%{http_code}", "http://%s%s" % (address, path)],
        input=config,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    body, _nl, code = out.stdout.rpartition("\n")
    return int(code or 0), body


def test_dahua_driver_speaks_the_cgi_api(branch):
    lab = branch[0]
    dev = lab.device("cam-dh-strict")
    addr = dev["address"]
    drv = get_driver("dahua_http", addr, timeout=10)
    assert drv.login("admin", "admin") is True
    assert drv.login("admin", "wrong-one") is False
    assert drv.accounts("admin", "admin") == ["admin"]
    assert drv.identify("admin", "admin") == {
        "model": "IPC-HDW2431T-AS-S2",
        "firmware": "2.800.0000000.19.R",
        "build": "2019-11-20",
    }
    # the installer's stricter lock, as the device reports it
    settings = read_settings(drv, "admin", "admin")
    assert settings["lockout"] == {"enabled": True, "threshold": 3, "duration": 1800}
    # outside the device's range: refused before anything is sent
    with pytest.raises(SettingRejected, match=r"lockout.threshold=20 .*3\.\.10"):
        drv.set_lockout("admin", "admin", {"enabled": True, "threshold": 20})
    with pytest.raises(SettingRejected, match=r"lockout\.duration"):
        drv.set_lockout("admin", "admin", {"enabled": True, "duration": 60})
    assert lab.device("cam-dh-strict")["lockout"]["threshold"] == 3
    drv.set_lockout("admin", "admin", {"enabled": True, "threshold": 4})
    assert lab.device("cam-dh-strict")["lockout"]["threshold"] == 4
    assert drv.lockout_policy("admin", "admin")["threshold"] == 4
    # a password the device's rule refuses: "Error" with its reason; nothing changed
    with pytest.raises(PasswordRejected, match="too short"):
        drv.change_password("admin", "admin", "Ab1!")
    assert curl_digest(addr, "admin", "admin")[0] == 200
    drv.set_lockout("admin", "admin", {"enabled": True, "threshold": 3})
    assert lab.device("cam-dh-strict")["auth"]["lockouts"] == 0


def routeros_login(address, user, password):
    """True/False: a RouterOS API login by librouteros itself (the judge)."""
    try:
        api = librouteros.connect(address, user, password, timeout=10)
    except librouteros.exceptions.TrapError as exc:
        assert "invalid user name or password" in str(exc), exc
        return False
    api.close()
    return True


def test_routeros_driver_speaks_the_api(branch):
    lab = branch[0]
    gw = lab.device("gw-branch")
    drv = get_driver("routeros_api", gw["address"], timeout=10)
    assert drv.login("admin", "") is True
    assert drv.login("admin", "nope") is False
    assert drv.login_accounts("admin", "") == ["admin"]
    assert drv.identify("admin", "") == {
        "os": "RouterOS",
        "firmware": "6.48.6 (long-term)",
        "model": "hAP ac^2",
        "arch": "arm",
    }
    assert read_settings(drv, "admin", "")["services"] == {"telnet": True, "ftp": True, "ssh": True}
    drv.set_service("admin", "", "telnet", False)
    assert lab.device("gw-branch")["settings"]["service_telnet"] is False
    assert drv.read_services("admin", "")["telnet"] is False
    drv.set_service("admin", "", "telnet", True)
    with pytest.raises(SettingRejected, match=r"services\.upnp"):
        drv.set_service("admin", "", "upnp", False)
    # the router's own words when it refuses a password; nothing changed
    lab.fault("gw-branch", "change_password", "reject", times=1)
    with pytest.raises(PasswordRejected, match="refused"):
        drv.change_password("admin", "", "Whatever-Pass-123")
    assert routeros_login(gw["address"], "admin", "") is True
    assert lab.device("gw-branch")["auth"]["lockouts"] == 0


def hydra_ssh(address, user, password, tmp_path):
    """True/False: hydra's verdict on one SSH login (the pair in a 0600 file, not argv)."""
    hydra = shutil.which("hydra")
    assert hydra, "hydra is needed to judge the EdgeOS logins"
    pairs = tmp_path / "pair.txt"
    pairs.write_text("%s:%s\n" % (user, password))
    os.chmod(pairs, 0o600)
    out = subprocess.run(
        [hydra, "-C", str(pairs), "-t", "1", "-I", "-q", "ssh://%s" % address],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    pairs.unlink()
    assert "valid password" in out.stdout, out.stdout[-400:] + out.stderr[-400:]
    return "1 valid password found" in out.stdout


def test_edgeos_driver_speaks_the_cli(branch):
    lab = branch[0]
    edge = lab.device("gw-edge")
    drv = get_driver("edgeos_cli", edge["address"], timeout=10)
    assert drv.login("ubnt", "ubnt") is True
    assert drv.login("ubnt", "nope") is False
    assert drv.identify("ubnt", "ubnt") == {
        "os": "EdgeOS",
        "firmware": "v2.0.9-hotfix.7",
        "model": "EdgeRouter X 5-Port",
    }
    # a quote would end the CLI's quoting: refused before anything is sent
    with pytest.raises(PasswordRejected, match="quotes"):
        drv.change_password("ubnt", "ubnt", "it's-a-pass-1")
    # the router refuses the commit: nothing staged is left, the old password still works
    lab.fault("gw-edge", "change_password", "reject", times=1)
    with pytest.raises(PasswordRejected, match="Commit failed"):
        drv.change_password("ubnt", "ubnt", "Whatever-Pass-123")
    assert drv.login("ubnt", "ubnt") is True
    after = lab.device("gw-edge")
    assert after["settings"]["saves"] == 0 and after["auth"]["lockouts"] == 0


def test_discover_assess_rotate_reassess_on_the_branch(branch, tmp_path):
    lab, inv_dir, inventory = branch
    truth0 = {d["name"]: d for d in lab.refresh()["devices"]}
    dahua = sorted(n for n, d in truth0.items() if d["kind"] == "dahua_camera")
    assert dahua == ["cam-dh-01", "cam-dh-02", "cam-dh-strict"]

    before = assess(inv_dir, inventory, lab.truth["subnet"], "branch")
    found = {d["name"]: d for d in before["devices"]}
    by_addr = {d["address"]: d for d in truth0.values()}
    ids = {by_addr[d["address"]]["name"]: (d.get("fingerprint_id"), d.get("driver")) for d in found.values()}
    for name in dahua:
        assert ids[name] == ("dahua.camera", "dahua_http"), ids
    assert ids["cam-oem"] == ("dahua.oem_camera", "telnet_busybox"), ids
    assert ids["gw-branch"] == ("mikrotik.routeros", "routeros_api"), ids
    assert ids["gw-edge"] == ("ubiquiti.edgeos", "edgeos_cli"), ids

    out = run_playbook(inv_dir, "-e", "credential_rotation_fail_on_error=false", inventory=inventory)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    summary = json.loads((inv_dir / "reports" / "branch" / "credential-rotation.json").read_text())
    after = assess(inv_dir, inventory, lab.truth["subnet"], "branch")
    truth = {d["name"]: d for d in lab.refresh()["devices"]}
    names = {d["name"]: by_addr[d["address"]]["name"] for d in after["devices"]}

    rotated = {
        (names.get(r["host"], r["host"]), r["user"]) for r in summary["devices"] if r["status"] == "rotated"
    }
    assert {(n, "admin") for n in dahua} | {
        ("cam-oem", "root"),
        ("gw-branch", "admin"),
        ("gw-edge", "ubnt"),
    } <= rotated, summary["devices"]
    store = store_for(inv_dir)
    host_of = {v: k for k, v in names.items()}
    for name in dahua:
        dev = truth[name]
        assert not [c for c in dev["credentials"] if c["default"]], dev["credentials"]
        current = store.current(host_of[name], "admin")
        # judged by curl: the factory password is refused, the stored one accepted
        assert curl_digest(dev["address"], "admin", "admin")[0] == 401
        status, body = curl_digest(dev["address"], "admin", current)
        assert status == 200 and "users[0].Name=admin" in body, (status, body[:200])
        assert dev["auth"]["lockouts"] == 0 and dev["auth"]["while_locked"] == 0, dev["auth"]
        assert dev["auth"]["max_failures_in_row"] < dev["lockout"]["threshold"], dev["auth"]
    oem = truth["cam-oem"]
    assert not [c for c in oem["credentials"] if c["default"]]
    shell = get_driver("telnet_busybox", oem["address"], timeout=10)
    assert shell.login("root", store.current(host_of["cam-oem"], "root"))
    assert not get_driver("telnet_busybox", oem["address"], timeout=10).login("root", "vizxv")
    gw = truth["gw-branch"]
    assert not [c for c in gw["credentials"] if c["default"]]
    assert routeros_login(gw["address"], "admin", "") is False
    assert routeros_login(gw["address"], "admin", store.current(host_of["gw-branch"], "admin")) is True
    edge = truth["gw-edge"]
    assert not [c for c in edge["credentials"] if c["default"]]
    assert edge["settings"]["config_saved"] is True and edge["settings"]["saves"] >= 1
    assert hydra_ssh(edge["address"], "ubnt", "ubnt", tmp_path) is False
    assert hydra_ssh(edge["address"], "ubnt", store.current(host_of["gw-edge"], "ubnt"), tmp_path) is True
    # the report: the Dahua cameras' lockout decided from the device, default creds fixed
    fixed = {(names.get(f["device"], f["device"]), f["rule"]) for f in after["diff"]["fixed"]}
    for name in [*dahua, "cam-oem", "gw-branch", "gw-edge"]:
        assert (name, "IOTG-DEFAULT-CREDS") in fixed, sorted(fixed)
    print(
        "\nbranch: rotated %d accounts; Dahua logins per camera: %s"
        % (len(rotated), {n: truth[n]["auth"]["attempts"] for n in dahua})
    )
