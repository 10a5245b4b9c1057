# SPDX-License-Identifier: GPL-3.0-or-later
"""The login budget against real lab devices, on discovery's own inventory: two Hikvision
cameras set to lock after 3 failures (stricter than the product's 7), reset to factory
while the store still holds their rotated passwords and history.

* rotation alone: the budget (product data, capped) stops before the lock and the result
  says so; the device counted fewer failures than its threshold;
* assessment first: it logs in with the factory default, reads the threshold (3) from the
  device and records what worked; rotation then sizes its budget from the device and tries
  the factory default first: rotated, never locked.
"""

from __future__ import annotations

import json

import pytest
import yaml
from rotlab import run_playbook, site_with_inventory, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SUBNET = "127.20.96.0/28"
STRICT = {"enabled": True, "threshold": 3, "duration": 1800, "configurable": True}
HISTORY = ["Old-Rotated-1a", "Old-Rotated-2b", "Old-Rotated-3c"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("budget")
    spec = {
        "name": "budget-lab",
        "description": "two strict cameras reset to factory",
        "subnet": SUBNET,
        "first_device_address": "127.20.96.10",
        "switches": [],
        "devices": [
            {"kind": "hikvision_camera", "name": "cam-alone", "variant": "DS-2CD2143G0-I", "lockout": STRICT},
            {
                "kind": "hikvision_camera",
                "name": "cam-assessed",
                "variant": "DS-2CD2143G0-I",
                "lockout": STRICT,
            },
        ],
    }
    path = base / "budget-lab.yml"
    path.write_text(yaml.safe_dump(spec))
    with site_with_inventory(path, base / "client-budget") as started:
        yield started


def _device(truth, name):
    return next(d for d in truth["devices"] if d["name"] == name)


def test_factory_reset_strict_camera_is_never_locked(site):
    lab, inv_dir, inventory = site
    store = store_for(inv_dir)
    # the store remembers earlier rotations; the devices were reset to factory since
    for dev in lab.truth["devices"]:
        assert dev["lockout"]["threshold"] == 3 and dev["credentials"][0]["default"] is True
        for pw in HISTORY:
            store.set_current(dev["address"], "admin", pw, "rotated")
    alone = _device(lab.truth, "cam-alone")["address"]
    assessed = _device(lab.truth, "cam-assessed")["address"]

    # the assessment of one camera first (the other is left out of it)
    out = run_playbook(
        inv_dir,
        "--limit",
        assessed,
        "-e",
        "risk_assessment_client=budget",
        inventory=inventory,
        playbook="assess.yml",
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]

    out = run_playbook(inv_dir, "-e", "credential_rotation_fail_on_error=false", inventory=inventory)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    summary = json.loads((inv_dir / "reports" / "budget-lab" / "credential-rotation.json").read_text())
    rows = {r["host"]: r for r in summary["devices"]}
    truth = lab.refresh()
    for dev in truth["devices"]:
        auth = dev["auth"]
        print(
            "%s: %d login(s), %d refused, longest run %d, lockouts %d, threshold %d"
            % (
                dev["name"],
                auth["attempts"],
                auth["failures"],
                auth["max_failures_in_row"],
                auth["lockouts"],
                3,
            )
        )
        assert auth["lockouts"] == 0 and auth["while_locked"] == 0, (dev["name"], auth)
        assert auth["max_failures_in_row"] < 3, (dev["name"], auth)

    # rotation alone: stopped by the budget, and says so
    r = rows[alone]
    assert r["status"] == "budget_exhausted", r
    assert "login budget exhausted" in r["reason"] and "product data (fallback)" in r["reason"], r["reason"]
    assert _device(truth, "cam-alone")["credentials"][0]["default"] is True  # untouched
    # after the assessment: the device's own threshold, the factory default first, rotated
    r = rows[assessed]
    assert r["status"] == "rotated", r
    assert r["budget"]["lockout_source"] == "device" and r["budget"]["threshold"] == 3
    assert r["budget"]["attempts"][0] == {"user": "admin", "kind": "default", "result": "accepted"}
    cam = _device(truth, "cam-assessed")
    assert cam["credentials"][0]["default"] is False
    assert cam["credentials"][0]["password"] == store.current(assessed, "admin")
    for pw in HISTORY:
        assert pw not in out.stdout
