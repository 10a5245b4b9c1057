# SPDX-License-Identifier: GPL-3.0-or-later
"""Segmentation against the lab's switches: the plan applied over one session per switch,
idempotent, trunks untouched, and a failure part-way put back as it was (fault injection)."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import site

DEVICES = [
    {"name": "cam", "address": "127.99.50.10", "mac": "00:1a:2b:00:00:01", "class": "camera"},
    {"name": "printer", "address": "127.99.50.11", "mac": "00:1a:2b:00:00:02", "class": "printer"},
    {"name": "thermo", "address": "127.99.50.12", "mac": "00:1a:2b:00:00:03", "class": "thermostat"},
]
POLICY = {}


def spec(sw, name):
    a = sw.access()
    return {
        "name": name,
        "platform": a["device_type"],
        "host": a["host"],
        "port": a["port"],
        "username": a["username"],
        "password": a["password"],
        "secret": a["secret"],
        "uplinks": [sw.kwargs["interfaces"][-1]],
    }


def ports(cfg):
    return {p: (v["mode"], v["vlan"], tuple(v["tagged"])) for p, v in cfg["ports"].items()}


def test_plan_applied_saved_and_idempotent(make_switch, tmp_path):
    ios = make_switch("cisco_ios")
    hp = make_switch("hp_procurve", mac_table=[("00:1a:2b:00:00:09", 1, "4")])
    trunk_before = ios.running["ports"]["Gi1/0/12"]
    devices = [
        *DEVICES,
        {"name": "spk", "address": "127.99.50.13", "mac": "00:1a:2b:00:00:09", "class": "smart_speaker"},
    ]
    specs = [spec(ios, "core"), spec(hp, "floor2")]
    # check mode: the plan, no command
    dry = site.run(specs, devices, POLICY, check_mode=True)
    assert dry["commands_sent"] == 0 and dry["sessions"] == 2
    assert dry["switches"]["core"]["status"] == "would change"
    assert "31" not in ios.running["vlans"] and "30" not in ios.running["vlans"]
    res = site.run(specs, devices, POLICY, backup_dir=str(tmp_path))
    assert res["failed_switches"] == []
    assert res["sessions"] == 2
    print("first run: %d commands over %d sessions" % (res["commands_sent"], res["sessions"]))
    assert res["switches"]["core"]["commands"] == [
        "vlan 30",
        "name IOT-CAMERAS",
        "vlan 40",
        "name IOT-BUILDING",
        "vlan 50",
        "name IOT-PRINTERS",
        "interface Gi1/0/1",
        "switchport access vlan 30",
        "interface Gi1/0/2",
        "switchport access vlan 50",
        "interface Gi1/0/3",
        "switchport access vlan 40",
    ]
    assert res["switches"]["floor2"]["commands"] == ["vlan 99 name QUARANTINE", "vlan 99 untagged 4"]
    for state in (ios.running, ios.startup):
        assert state["ports"]["Gi1/0/1"]["vlan"] == 30
        assert state["ports"]["Gi1/0/2"]["vlan"] == 50
        assert state["ports"]["Gi1/0/3"]["vlan"] == 40
        assert state["vlans"]["30"] == "IOT-CAMERAS"
        assert state["ports"]["Gi1/0/12"] == trunk_before  # the trunk: untouched
    assert hp.startup["ports"]["4"]["vlan"] == 99
    assert hp.startup["vlans"]["99"] == "QUARANTINE"
    assert ios.running == ios.startup and hp.running == hp.startup
    again = site.run(specs, devices, POLICY, backup_dir=str(tmp_path))
    assert again["commands_sent"] == 0 and again["changed"] is False
    assert {r["status"] for r in again["switches"].values()} == {"unchanged"}
    assert again["sessions"] == 2


@pytest.mark.parametrize(
    ("dialect", "op", "fault", "after"),
    [
        ("cisco_ios", "config", "reject", 3),
        ("hp_procurve", "config", "reject", 2),
        ("cisco_ios", "config", "drop_before", 4),
        ("hp_procurve", "config", "drop_after", 2),
        ("cisco_ios", "write_memory", "reject", 0),
    ],
)
def test_failure_part_way_restores_the_switch(make_switch, tmp_path, dialect, op, fault, after):
    sw = make_switch(dialect)
    before_running = ports(sw.running), dict(sw.running["vlans"])
    before_startup = ports(sw.startup), dict(sw.startup["vlans"])
    sw.faults[op] = fault
    sw.fault_after[op] = after
    sw.fault_once.add(op)
    res = site.run([spec(sw, "sw")], DEVICES, POLICY, backup_dir=str(tmp_path), timeout=5)
    assert sw.fired == ["%s:%s" % (op, fault)], "the lab says the fault fired"
    r = res["switches"]["sw"]
    assert r["status"] == "failed" and r["restored"] is True, r
    assert "put back as it was" in r["error"]
    assert r["backup"] and open(r["backup"]).read().startswith(("Building", "\nRunning", "Running"))
    assert (ports(sw.running), dict(sw.running["vlans"])) == before_running
    assert (ports(sw.startup), dict(sw.startup["vlans"])) == before_startup
    assert res["failed_switches"] == ["sw"]
    # the next run, with the switch healthy, goes through
    again = site.run([spec(sw, "sw")], DEVICES, POLICY, backup_dir=str(tmp_path))
    assert again["failed_switches"] == []
    assert sw.startup["ports"][sw.kwargs["interfaces"][0]]["vlan"] == 30
