# SPDX-License-Identifier: GPL-3.0-or-later
"""The second device mix (tests/lab/sites/mix.yml: 80 devices, both switch dialects, rare
variants, accounts the product data does not list, stricter password rules), hardened in
part by hand before the run, taken through discover (the inventory plugin), assess, rotate,
assess as an engineer would. Judged by the lab's ground truth and real logins:

* every factory account is closed, or listed as can't-rotate with its reason in the
  rotation summary and in the risk report;
* the after-report calls nothing "fixed" that ground truth says is still open;
* management protocols and lockout come from the device: telnet where port 23 is open,
  https only where 443 is, lockout decided on every device that reports it, the budget
  sized on the threshold the device reports;
* SNMP tries the community discovery recorded (a printer set to "private");
* a device refusing the generated password for its stricter rule gets one made to the rule
  it stated, and the rule is kept;
* nothing lost: every credential in the store logs in.
Prints the figures: accounts closed / left, logins per device against its threshold."""

from __future__ import annotations

import json

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from rotlab import LABELS, TOP, assess, driver_of, rules_of, run_playbook, site_with_inventory, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SITE = TOP / "tests" / "lab" / "sites" / "mix.yml"
HAND_SET = "Hand-Set-Pass-7x"


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    base = tmp_path_factory.mktemp("mix")
    with site_with_inventory(SITE, base / "client-mix", snmp_communities=["public", "private"]) as started:
        yield started


def test_discover_assess_rotate_reassess_on_the_second_mix(mix):
    lab, inv_dir, inventory = mix
    truth0 = {d["name"]: d for d in lab.refresh()["devices"]}
    assert len(truth0) == 78 and {s["dialect"] for s in lab.truth["switches"]} == {"cisco_ios", "hp_procurve"}
    # hardened by hand before the run: a camera's admin password changed on the device
    hand = truth0["cam-ward-01"]
    assert (
        get_driver("hikvision_isapi", hand["address"], timeout=10).change_password("admin", "12345", HAND_SET)
        is None
    )

    before = assess(inv_dir, inventory, lab.truth["subnet"], "mix")
    before_truth = {d["address"]: d for d in lab.refresh()["devices"]}
    out = run_playbook(inv_dir, "-e", "credential_rotation_fail_on_error=false", inventory=inventory)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    summary = json.loads((inv_dir / "reports" / "mix" / "credential-rotation.json").read_text())
    after = assess(inv_dir, inventory, lab.truth["subnet"], "mix")
    after_truth = {d["address"]: d for d in lab.refresh()["devices"]}
    devices = {d["address"]: d for d in after["devices"]}
    names = {d["name"]: d["address"] for d in after["devices"]}
    assert len(devices) == 80, sorted(devices)

    # 1. every factory account closed, or listed with its reason (summary and report)
    open_now = sorted(
        (dev["address"], c["username"])
        for dev in after_truth.values()
        for c in dev["credentials"]
        if c["default"]
    )
    listed = {(names.get(c["host"], c["host"]), c["user"]) for c in summary["cannot_rotate"]}
    in_report = {(names.get(c["host"], c["host"]), c["account"]) for c in after["cannot_rotate"]}
    assert set(open_now) <= listed & in_report, "open and not listed: %s" % sorted(set(open_now) - listed)
    assert all(c["reason"] and c["manual_step"] for c in after["cannot_rotate"])
    closed = sum(
        1
        for a, dev in before_truth.items()
        for c in dev["credentials"]
        if c["default"] and (a, c["username"]) not in open_now
    )
    print(
        "\nfactory accounts open before: %d, closed: %d, left: %d"
        % (closed + len(open_now), closed, len(open_now))
    )
    for c in summary["cannot_rotate"]:
        print("  can't rotate %s/%s: %s: %s" % (c["host"], c["user"], c["status"], (c["reason"] or "")[:120]))
    # every factory account closed but the thermostats' (set on their own screen: listed as
    # manual steps); 86 is the count of everything else the mix has
    manual = {
        (names.get(c["host"], c["host"]), c["user"])
        for c in summary["cannot_rotate"]
        if c["status"] == "manual"
    }
    assert set(open_now) == manual and len(manual) == 3 and closed >= 86, (closed, sorted(open_now))

    # 2. no false "fixed": what the report calls fixed is closed in ground truth
    truth_fixed = {
        (a, r) for a, dev in before_truth.items() for r in rules_of(dev) - rules_of(after_truth[a])
    }
    report_fixed = {(names.get(f["device"], f["device"]), f["rule"]) for f in after["diff"]["fixed"]}
    false_fixed = sorted(x for x in report_fixed if x[1] in LABELS.values() and x not in truth_fixed)
    assert not false_fixed, "reported fixed but still open on the device: %s" % false_fixed
    assert {x for x in truth_fixed if x[1] == "IOTG-DEFAULT-CREDS"} <= report_fixed, sorted(
        truth_fixed - report_fixed
    )
    # the hand-hardened camera never had its factory password in use: nothing to fix there
    assert not [
        r
        for r in summary["devices"]
        if r["host"] in (hand["name"], hand["address"]) and r["status"] == "rotated"
    ]

    # 3. protocols and lockout from the device
    for addr, dev in after_truth.items():
        rep = devices[addr]
        protos = {(s["name"], s["port"]) for s in rep["services"] if s.get("proto", "tcp") == "tcp"}
        assert (23 in dev["tcp_ports"]) == (("telnet", 23) in protos), (dev["name"], protos)
        assert not any(n == "https" for n, _p in protos) or 443 in dev["tcp_ports"], (dev["name"], protos)
        if "IOTG-NO-LOCKOUT" in rep["undecided"]:
            continue
        if dev["credentials"] and rep["driver"]:
            has = any(f["rule"] == "IOTG-NO-LOCKOUT" for f in rep["findings"])
            assert has == (not dev["lockout"].get("enabled")), (dev["name"], dev["lockout"])
    undecided = sorted(
        dev["name"]
        for addr, dev in after_truth.items()
        if dev["kind"] in ("hikvision_camera", "hikvision_nvr", "axis_camera", "voip_phone", "busybox_device")
        and (dev["kind"], dev["vendor"]) != ("voip_phone", "Yealink")
        and "IOTG-NO-LOCKOUT" in devices[addr]["undecided"]
    )
    # Venstar's Local API has no lockout to read, nor does Yealink's web UI show one (no public
    # source documents its setting): the report leaves it undecided, not guessed
    for addr, dev in after_truth.items():
        no_api = dev["kind"] == "thermostat" or (dev["kind"], dev["vendor"]) == ("voip_phone", "Yealink")
        if no_api and dev["credentials"]:
            assert "IOTG-NO-LOCKOUT" in devices[addr]["undecided"], (dev["name"], devices[addr]["findings"])
    # the camera hardened by hand answers no password we know: it cannot tell us its
    # lockout, and the report says so instead of taking the product data's word
    assert undecided == ["cam-ward-01"], "lockout not decided on: %s" % undecided
    why = " ".join(devices[hand["address"]]["checks"]["not_checked"])
    assert "lockout" in why.lower() and "no login worked" in why, why
    for row in summary["devices"]:
        dev = after_truth.get(names.get(row["host"], row["host"]))
        budget = row.get("budget") or {}
        if dev and budget.get("lockout_source") == "device" and dev["lockout"].get("enabled"):
            assert budget["threshold"] == dev["lockout"]["threshold"], (row["host"], budget)

    # 4. SNMP: the community discovery recorded on the printer set to "private"
    prn = next(d for d in after_truth.values() if d["name"] == "prn-priv-01")
    snmp = [f for f in devices[prn["address"]]["findings"] if "snmp" in f["rule"].lower()]
    assert snmp and "private" in snmp[0]["evidence"], devices[prn["address"]]["findings"]

    # 5. the stricter rules: refused once, retried with the rule the device stated, kept
    store = store_for(inv_dir)
    for prefix, key, value in (("cam-strict", "symbols", "!_"), ("cam-short", "max_length", 12)):
        rows = [
            r
            for r in summary["devices"]
            if r["host"].startswith(prefix)
            or after_truth.get(r["host"], {}).get("name", "").startswith(prefix)
        ]
        rotated = [r for r in rows if r["status"] == "rotated"]
        assert rotated and len(rotated) == len(
            [d for d in after_truth.values() if d["name"].startswith(prefix)]
        ), rows
        learned = [r for r in rotated if r.get("learned_rule")]
        for r in learned:
            assert r["learned_rule"][key] == value, r
            assert store.load(r["host"])["policy"][key] == value
        # a random password can happen to meet the rule at once (only "!" and "_" among its
        # symbols): nothing to learn then, but the new password must meet the device's rule
        for r in rotated:
            current = store.load(r["host"])["accounts"][r["user"]]["current"]
            if key == "symbols":
                assert not [c for c in current if not c.isalnum() and c not in value], r["host"]
            else:
                assert len(current) <= value, r["host"]

    # 6. nothing lost: every credential in the store logs in to its own device
    checked = 0
    for host in store.hosts():
        addr = names.get(host)
        if addr is None:
            continue
        dev = after_truth[addr]
        for user, acct in store.load(host)["accounts"].items():
            if not acct.get("current"):
                continue
            drv = get_driver(driver_of(dev), addr, timeout=10)
            assert drv.login(user, acct["current"]), (host, user)
            checked += 1
    assert checked >= closed, (checked, closed)

    # figures: logins per device against its threshold; nobody locked
    for dev in sorted(after_truth.values(), key=lambda d: d["name"]):
        auth, lk = dev["auth"], dev["lockout"]
        if lk.get("enabled"):
            print(
                "  %-16s logins %3d refused %2d longest run %d threshold %d"
                % (
                    dev["name"],
                    auth["attempts"],
                    auth["failures"],
                    auth["max_failures_in_row"],
                    lk["threshold"],
                )
            )
        assert auth["lockouts"] == 0 and auth["while_locked"] == 0, dev["name"]
        if lk.get("enabled") and auth["max_failures_in_row"] >= lk["threshold"]:
            pytest.fail(
                "%s: %d failures in a row against threshold %d"
                % (dev["name"], auth["max_failures_in_row"], lk["threshold"])
            )
    print("stored credentials proven: %d; before-report devices: %d" % (checked, len(before["devices"])))
