# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/segment.yml on the simulated clinic: discovery joins every switched device to
its port from the switches' own ARP tables (no DHCP leases), check mode prints the plan and
changes nothing, the run moves every device's port to its zone's VLAN (running and saved),
the second run sends no configuration command, uplinks and trunks stay as they were."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from seglab import discovery_switches, segment_switches

TOP = Path(__file__).resolve().parents[3]
BIN = TOP / ".venv/bin"

pytestmark = pytest.mark.lab


def inventory(lab_site, tmp_path):
    truth = lab_site.truth
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    switches = discovery_switches(truth)
    (inv / "clinic.iot_discovery.yml").write_text(
        json.dumps(
            {
                "plugin": "iotguard.hardening.iot_discovery",
                "site": "clinic",
                "networks": [truth["subnet"]],
                "neighbour_table": "",
                "concurrency": 512,
                "switches": switches,
            }
        )
    )
    (inv / "group_vars" / "all.yml").write_text(
        json.dumps(
            {
                "vlan_segmentation_backup_dir": str(tmp_path / "backups"),
                "vlan_segmentation_timeout": 15,
                "vlan_segmentation_switches": segment_switches(truth),
            }
        )
    )
    return inv


def play(inv, *args, ok=True):
    env = dict(
        os.environ,
        PATH="%s:%s" % (BIN, os.environ.get("PATH", "")),
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_NOCOLOR="1",
    )
    t0 = time.monotonic()
    p = subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inv), str(TOP / "playbooks/segment.yml"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=TOP,
        timeout=600,
        check=False,
    )
    out = json.loads(p.stdout)
    failed = [
        (t["task"]["name"], h, r.get("msg"))
        for t in out["plays"][0]["tasks"]
        for h, r in t["hosts"].items()
        if r.get("failed")
    ]
    if not ok:
        return failed, p
    assert p.returncode == 0, (failed[:3], p.stderr[-2000:])
    tasks = {t["task"]["name"].split(" : ")[-1]: t["hosts"] for t in out["plays"][0]["tasks"]}
    result = next(
        iter(tasks["Plan, and move each device's port to its zone's VLAN (one session per switch)"].values())
    )
    return result, tasks, p, time.monotonic() - t0


def switch_state(lab_site):
    truth = lab_site.refresh()
    return {sw["name"]: sw["state"] for sw in truth["switches"]}


def test_segment_the_clinic(lab_site, tmp_path):
    inv = inventory(lab_site, tmp_path)
    before = switch_state(lab_site)
    try:
        # check mode: the plan, printed; nothing sent
        dry, tasks, proc, _t = play(inv, "--check", "--diff")
        plan = dry["plan"]
        printed = json.dumps(tasks["The plan"])
        assert "zone cameras: VLAN 30 IOT-CAMERAS" in printed
        assert dry["commands_sent"] == 0 and dry["changed"]
        assert dry["firewall_contribution"] is None
        skipped = json.dumps(tasks["Say that the gateway firewall is not configured"])
        assert "vlan_segmentation_gateway_host is empty" in skipped
        assert switch_state(lab_site) == before
        assert any("->" in d["after"] or "port" in d["after"] for d in dry.get("diff", [])) or dry["diff"]

        # every switched IoT device is placed (only infrastructure is left where it is)
        truth = lab_site.truth
        switched = {d["name"]: d for d in truth["devices"] if d.get("switch")}
        by_addr = {d["address"]: d for d in switched.values()}
        placed = {by_addr[p["address"]]["name"]: p for p in plan["ports"] if p["address"] in by_addr}
        left = [u for u in plan["unplaced"] if u["address"] in by_addr]
        assert all("infrastructure" in u["reason"] for u in left), left
        print("left where they are: %s" % ", ".join("%s (%s)" % (u["device"], u["class"]) for u in left))
        assert len(placed) + len(left) == len(switched)
        for name, p in placed.items():
            assert (p["switch"], p["port"]) == (switched[name]["switch"], switched[name]["switch_port"]), name

        # apply
        res, _tasks, proc, took = play(inv, "--diff")
        assert res["failed_switches"] == []
        assert res["sessions"] == len(truth["switches"])
        after = switch_state(lab_site)
        truth = lab_site.truth
        devices = {d["name"]: d for d in truth["devices"]}
        for name, p in placed.items():
            assert devices[name]["vlan"] == p["vlan"], name  # running
            assert devices[name]["vlan_saved"] == p["vlan"], name  # saved
        for sw in truth["switches"]:
            state = after[sw["name"]]
            assert state["running"] == state["startup"], sw["name"]
            for uplink in sw["uplinks"]:
                assert state["running"]["ports"][uplink] == before[sw["name"]]["running"]["ports"][uplink]
            for zone in plan["zones"]:
                if any(p["switch"] == sw["name"] and p["zone"] == zone["name"] for p in plan["ports"]):
                    assert state["running"]["vlans"][str(zone["vlan"])] == zone["vlan_name"]
        print(
            "clinic: %d devices placed, %d ports moved, %d commands over %d sessions in %.1fs"
            % (len(placed), res["plan"]["summary"]["moves"], res["commands_sent"], res["sessions"], took)
        )
        for sw in truth["switches"]:
            assert sw["password"] not in proc.stdout + proc.stderr

        # the second run sends no configuration command
        again, _tasks, _proc, _t = play(inv)
        assert again["commands_sent"] == 0 and again["changed"] is False
        assert switch_state(lab_site) == after
    finally:
        # the session's other tests expect the factory switches
        lab_site.down()
        lab_site.up(fresh=True)


def test_a_switch_that_refuses_is_left_as_it_was(lab_site, tmp_path):
    """The lab's fault injection: sw-floor2 refuses the first configuration command. That
    switch is reported with a clear error and stays as it was; sw-core is segmented."""
    inv = inventory(lab_site, tmp_path)
    before = switch_state(lab_site)
    try:
        lab_site.fault("sw-floor2", "config", "reject", times=1)
        failed, proc = play(inv, ok=False)
        assert proc.returncode != 0
        assert lab_site.control.faults() == [], "the lab says the fault fired"
        ((_task, _host, msg),) = failed
        assert msg.startswith("segmentation failed on sw-floor2: ")
        assert "the switch refused command 1" in msg and "put back as it was" in msg
        after = switch_state(lab_site)
        assert after["sw-floor2"] == before["sw-floor2"]
        assert after["sw-core"]["running"] != before["sw-core"]["running"]
        assert after["sw-core"]["running"] == after["sw-core"]["startup"]
    finally:
        lab_site.clear_faults()
        lab_site.down()
        lab_site.up(fresh=True)


def test_bad_policy_stops_before_anything_is_sent(lab_site, tmp_path):
    inv = inventory(lab_site, tmp_path)
    before = switch_state(lab_site)
    failed, proc = play(
        inv,
        "-e",
        json.dumps(
            {
                "vlan_segmentation_policy": {
                    "zones": [
                        {"name": "cameras", "vlan": 5000, "classes": ["camera"]},
                        {"name": "quarantine", "vlan": 99},
                    ]
                }
            }
        ),
        ok=False,
    )
    assert proc.returncode != 0
    ((_task, _host, msg),) = failed
    assert msg.startswith("policy.zones[0].vlan: 5000 is outside 1-4094; give a VLAN id")
    assert switch_state(lab_site) == before
