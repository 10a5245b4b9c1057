# SPDX-License-Identifier: GPL-3.0-or-later
"""Switch VLAN resource: real show output in, exact commands out (both dialects)."""

from __future__ import annotations

import os

import pytest
import show_outputs as out
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import switch_config as sc
from netmiko.utilities import get_structured_data

SHOW = {
    "cisco_ios": (out.IOS_RUNNING, "show vlan brief", out.IOS_VLANS, "show mac address-table", out.IOS_MACS),
    "hp_procurve": (out.HP_RUNNING, "show vlans", out.HP_VLANS, "show mac-address", out.HP_MACS),
}
PORT = {"cisco_ios": lambda n: "Gi1/0/%d" % n, "hp_procurve": str}


def have(platform):
    running, vcmd, vtext, mcmd, mtext = SHOW[platform]
    return sc.facts(
        platform,
        running,
        get_structured_data(vtext, platform=platform, command=vcmd),
        get_structured_data(mtext, platform=platform, command=mcmd),
    )


@pytest.mark.parametrize("platform", sorted(SHOW))
def test_gathered_facts(platform):
    h = have(platform)
    p = PORT[platform]
    assert h["trunk_ports"] == [p(8)]
    assert {"name": p(2), "vlan": 20} in h["access_ports"]
    assert {"name": p(1), "vlan": 1} in h["access_ports"]
    assert len(h["access_ports"]) == 7
    vlans = {v["vlan_id"]: v["name"] for v in h["vlans"]}
    assert vlans[20] == ("VLAN0020" if platform == "cisco_ios" else "VLAN20")
    assert ["00:1a:2b:00:00:02", p(2), 20] in h["mac_table"]
    assert ["00:1a:2b:00:00:0b", p(8), 20] in h["mac_table"]
    assert not [row for row in h["mac_table"] if row[1] == "CPU"]


WANT = {
    "vlans": [{"vlan_id": 30, "name": "IOT-CAMERAS"}, {"vlan_id": 20, "name": "IOT-PRINTERS"}],
    "access_ports": [
        {"name": "PORT1", "vlan": 30},
        {"name": "PORT2", "vlan": 20},
        {"name": "PORT3", "vlan": 30},
    ],
}


STATES_SET = ("merged", "replaced", "overridden")


def want(platform, config=None):
    config = config or WANT
    p = PORT[platform]
    ports = [dict(x, name=p(int(x["name"][4:]))) for x in config.get("access_ports", [])]
    return {"vlans": config.get("vlans", []), "access_ports": ports}


IOS_MOVES = [
    "vlan 30",
    "name IOT-CAMERAS",
    "vlan 20",
    "name IOT-PRINTERS",
    "interface Gi1/0/1",
    "switchport access vlan 30",
    "interface Gi1/0/3",
    "switchport access vlan 30",
]
HP_MOVES = [
    "vlan 30 name IOT-CAMERAS",
    "vlan 20 name IOT-PRINTERS",
    "vlan 30 untagged 1",
    "vlan 30 untagged 3",
]
# overridden: the ports not listed are in VLAN 1 already; VLAN 20 rides the trunk and stays
CASES = [
    (p, s, moves) for p, moves in (("cisco_ios", IOS_MOVES), ("hp_procurve", HP_MOVES)) for s in STATES_SET
]


@pytest.mark.parametrize(("platform", "state", "expected"), CASES)
def test_commands_from_real_show_output(platform, state, expected):
    assert sc.commands(platform, want(platform), have(platform), state) == expected


@pytest.mark.parametrize("platform", sorted(SHOW))
def test_second_run_sends_nothing(platform):
    h = have(platform)
    after = sc.expected_after(platform, h, want(platform), "merged")
    after["mac_table"] = h["mac_table"]
    for state in ("merged", "replaced", "overridden"):
        assert sc.commands(platform, want(platform), after, state) == [], state


def test_deleted_and_overridden_keep_trunk_vlans():
    h = have("cisco_ios")
    # VLAN 20 rides the trunk Gi1/0/8: overridden without it keeps it, deleted refuses
    assert sc.commands("cisco_ios", {"vlans": [], "access_ports": []}, h, "overridden") == [
        "interface Gi1/0/2",
        "switchport access vlan 1",
    ]
    with pytest.raises(SegmentationError) as err:
        sc.commands("cisco_ios", {"vlans": [{"vlan_id": 20}]}, h, "deleted")
    assert "carried by a trunk" in str(err.value)
    assert sc.commands(
        "hp_procurve",
        want("hp_procurve", {"access_ports": [{"name": "PORT2", "vlan": 1}]}),
        have("hp_procurve"),
        "deleted",
    ) == ["vlan 1 untagged 2"]


def test_rendered_needs_no_switch():
    assert sc.commands("hp_procurve", want("hp_procurve"), None, "merged") == [
        "vlan 30 name IOT-CAMERAS",
        "vlan 20 name IOT-PRINTERS",
        "vlan 30 untagged 1",
        "vlan 20 untagged 2",
        "vlan 30 untagged 3",
    ]


@pytest.mark.parametrize("platform", sorted(SHOW))
def test_parsed_reads_a_running_config(platform):
    parsed = sc.parse_running(platform, SHOW[platform][0])
    p = PORT[platform]
    assert parsed["ports"][p(2)] == {"mode": "access", "vlan": 20}
    assert parsed["ports"][p(8)]["mode"] == "trunk"
    assert 20 in parsed["vlans"]


@pytest.mark.parametrize(
    ("config", "field", "words"),
    [
        (
            {"access_ports": [{"name": "Gi1/0/8", "vlan": 30}], "vlans": [{"vlan_id": 30}]},
            "config.access_ports[0].name",
            "is a trunk",
        ),
        ({"access_ports": [{"name": "Gi1/0/99", "vlan": 20}]}, "config.access_ports[0].name", "not a port"),
        (
            {"access_ports": [{"name": "Gi1/0/1", "vlan": 77}]},
            "config.access_ports[0].vlan",
            "no VLAN of the switch",
        ),
        ({"vlans": [{"vlan_id": 4095}]}, "config.vlans[0].vlan_id", "outside 1-4094"),
        ({"vlans": [{"vlan_id": 30, "name": "two words"}]}, "config.vlans[0].name", "not a VLAN name"),
        (
            {"access_ports": [{"name": "Gi1/0/1", "vlan": 20}, {"name": "GigabitEthernet1/0/1", "vlan": 20}]},
            "config.access_ports[1].name",
            "listed twice",
        ),
    ],
)
def test_bad_config_names_field(config, field, words):
    with pytest.raises(SegmentationError) as err:
        sc.commands("cisco_ios", config, have("cisco_ios"), "merged")
    assert err.value.field == field
    assert words in str(err.value)


def test_restore_commands_undo_a_partial_change():
    before = have("cisco_ios")
    partial = sc.expected_after(
        "cisco_ios",
        before,
        {
            "vlans": [{"vlan_id": 30, "name": "IOT-CAMERAS"}],
            "access_ports": [{"name": "Gi1/0/1", "vlan": 30}],
        },
        "merged",
    )
    assert sc.restore_commands("cisco_ios", partial, before) == [
        "interface Gi1/0/1",
        "switchport access vlan 1",
        "no vlan 30",
    ]


def test_backup_is_private(tmp_path):
    path = sc.write_backup(str(tmp_path / "b"), "sw/core", "hostname x\n")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.path.basename(path).startswith("sw_core-")


def test_port_names_normalise():
    assert sc.port_name("cisco_ios", "GigabitEthernet1/0/5") == "Gi1/0/5"
    assert sc.port_name("cisco_ios", "gi1/0/5") == "Gi1/0/5"
    assert sc.port_name("hp_procurve", "a1") == "A1"
