# SPDX-License-Identifier: GPL-3.0-or-later
"""The clinic-style flow (discover, assess, rotate, assess) on one site holding one of each
product variant that follows a vendor's real API (tests/lab/sites/variants.yml): Hikvision
and Axis of every firmware generation (two ship without a password), the Hikvision NVR,
Dahua and its Mirai-era OEM, the three HP web servers, both NETGEAR firmwares, MikroTik,
EdgeOS, Yealink, both Polycom firmwares and both Venstar thermostats. Discovery's own
inventory and the playbooks an engineer runs; the lab's ground truth judges: every factory
account ends closed, or listed as a manual step with its instruction, and the second
assessment reports default credentials only on the devices of those manual steps."""

from __future__ import annotations

import json

import pytest
from rotlab import assess, private_site, run_playbook, site_with_inventory, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

#: what the lab plants for an account a factory left open
FACTORY = {"default_credentials", "not_activated", "no_initial_admin"}


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    base = tmp_path_factory.mktemp("variants-flow")
    path = private_site("variants", base, "variants-flow", "127.21.25.0/27", switches=False)
    with site_with_inventory(path, base / "client-variants") as started:
        yield started


def default_creds(report, name_of):
    return {
        name_of.get(d["address"], d["address"])
        for d in report["devices"]
        if any(f["rule"] == "IOTG-DEFAULT-CREDS" for f in d["findings"])
    }


def test_every_factory_account_closed_or_a_listed_manual_step(variants):
    lab, inv_dir, inventory = variants
    truth = {d["name"]: d for d in lab.refresh()["devices"]}
    assert len(truth) == 21
    name_of = {d["address"]: n for n, d in truth.items()}
    planted = {n for n, d in truth.items() if FACTORY & set(d["weaknesses"])}
    assert len(planted) >= 19, sorted(planted)

    before = assess(inv_dir, inventory, lab.truth["subnet"], "variants-flow")
    assert {name_of.get(d["address"]) for d in before["devices"]} == set(truth), "discovery missed a device"
    assert planted <= default_creds(before, name_of), sorted(planted - default_creds(before, name_of))

    out = run_playbook(inv_dir, "-e", "credential_rotation_fail_on_error=false", inventory=inventory)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    summary = json.loads((inv_dir / "reports" / "variants-flow" / "credential-rotation.json").read_text())
    assert summary["failures"] == [], summary["failures"]
    manual = {}
    for item in summary["cannot_rotate"]:
        name = name_of.get(item["host"], item["host"])
        assert len(item["manual_step"]) > 40, item  # an instruction, not a status word
        if item["status"] == "manual":
            manual.setdefault(name, []).append(item)
        else:
            # no account to rotate (the open thermostat API): never a device with a factory one
            assert item["status"] == "not_managed" and name not in planted, item

    after_truth = {d["name"]: d for d in lab.refresh()["devices"]}
    still = {n for n, d in after_truth.items() if FACTORY & set(d["weaknesses"])}
    # every account a factory left open is closed, or the engineer has the step to close it
    assert still <= set(manual), {n: after_truth[n]["weaknesses"] for n in still - set(manual)}
    # the manual steps are the products without a password API (Venstar: set on the screen)
    assert manual and all(truth[n]["kind"] == "thermostat" for n in manual), sorted(manual)
    # the flow locked no device out
    locked = {n: d["auth"] for n, d in after_truth.items() if (d.get("auth") or {}).get("lockouts")}
    assert not locked, locked

    store = store_for(inv_dir)
    rotated = [r for r in summary["devices"] if r["status"] == "rotated"]
    for row in rotated:
        acct = store.account(row["host"], row["user"])
        assert acct["current"] and acct["pending"] is None, row

    after = assess(inv_dir, inventory, lab.truth["subnet"], "variants-flow")
    assert default_creds(after, name_of) <= set(manual), sorted(default_creds(after, name_of) - set(manual))
    fixed = {
        name_of.get(f["device"], f["device"])
        for f in after["diff"]["fixed"]
        if f["rule"] == "IOTG-DEFAULT-CREDS"
    }
    print(
        "variants: %d devices, %d with factory accounts, %d accounts rotated, %d closed and re-checked, "
        "%d manual step(s): %s"
        % (len(truth), len(planted), len(rotated), len(fixed), len(manual), sorted(manual))
    )
    assert planted - set(manual) <= fixed | {name_of.get(d, d) for d in fixed}, sorted(
        planted - set(manual) - fixed
    )
