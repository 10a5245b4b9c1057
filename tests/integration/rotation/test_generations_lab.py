# SPDX-License-Identifier: GPL-3.0-or-later
"""The clinic-style flow (discover, assess, rotate, assess) on the camera generations that ship
without a password: an un-activated Hikvision and an Axis without its initial admin, beside
the older generations. Discovery's own inventory, the playbooks an engineer runs; the
assessment reports the unclaimed devices, rotation claims them with stored passwords, and
the second assessment finds every factory account closed."""

from __future__ import annotations

import json

import pytest
from rotlab import assess, login, private_site, run_playbook, site_with_inventory, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

UNCLAIMED = {
    "hik-new": ("hikvision_isapi", "admin"),
    "hik-new2": ("hikvision_isapi", "admin"),
    "axis-new": ("axis_vapix", "root"),
}


@pytest.fixture(scope="module")
def generations(tmp_path_factory):
    base = tmp_path_factory.mktemp("generations-flow")
    path = private_site("generations", base, "generations-flow", "127.20.38.0/28")
    with site_with_inventory(path, base / "client-generations") as started:
        yield started


def test_unclaimed_devices_reported_claimed_and_closed(generations):
    lab, inv_dir, inventory = generations
    truth = {d["name"]: d for d in lab.refresh()["devices"]}
    addr = {n: d["address"] for n, d in truth.items()}
    before = assess(inv_dir, inventory, lab.truth["subnet"], "generations-flow")
    findings = {
        d["address"]: [f for f in d["findings"] if f["rule"] == "IOTG-DEFAULT-CREDS"]
        for d in before["devices"]
    }
    for name in UNCLAIMED:
        assert findings[addr[name]], (name, findings)
        assert "no password set yet" in findings[addr[name]][0]["evidence"], findings[addr[name]]
    # the older generations: their published factory password
    assert all(findings[addr[n]] for n in ("hik-g0", "hik-old", "axis-mid", "axis-old")), findings

    out = run_playbook(inv_dir, "-e", "credential_rotation_fail_on_error=false", inventory=inventory)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    summary = json.loads((inv_dir / "reports" / "generations-flow" / "credential-rotation.json").read_text())
    rows = {(r["host"], r["user"]): r for r in summary["devices"]}
    store = store_for(inv_dir)
    after_truth = {d["name"]: d for d in lab.refresh()["devices"]}
    for name, (driver, user) in UNCLAIMED.items():
        row = next(r for (host, u), r in rows.items() if u == user and host in (name, addr[name]))
        assert row["status"] == "rotated" and row["credential_source"] == "unclaimed", row
        acct = store.account(row["host"], user)
        assert acct["current"] and acct["pending"] is None
        assert after_truth[name]["credentials"][0]["password"] == acct["current"]
        assert login(driver, addr[name], None, user, acct["current"])
    # nothing left with a factory password or without one
    assert not [n for n, d in after_truth.items() if "default_credentials" in d["weaknesses"]]
    assert not [
        n for n, d in after_truth.items() if {"not_activated", "no_initial_admin"} & set(d["weaknesses"])
    ]
    assert not summary.get("cannot_rotate"), summary.get("cannot_rotate")

    after = assess(inv_dir, inventory, lab.truth["subnet"], "generations-flow")
    still = [
        d["address"]
        for d in after["devices"]
        if any(f["rule"] == "IOTG-DEFAULT-CREDS" for f in d["findings"])
    ]
    assert not still, still
    fixed = {f["device"] for f in after["diff"]["fixed"] if f["rule"] == "IOTG-DEFAULT-CREDS"}
    assert len(fixed) == len(truth) == 7, after["diff"]["fixed"]
