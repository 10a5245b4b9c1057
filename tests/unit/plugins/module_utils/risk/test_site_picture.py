# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's site by zone: grouped from the device records' evidence, escaped."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import site_picture as sp

DEVICES = [
    {
        "display": "cam-2",
        "class": "camera",
        "vlan": 30,
        "zone": "cameras",
        "switch": "sw",
        "switch_port": "Gi1/0/2",
    },
    {
        "display": "cam-1",
        "class": "camera",
        "vlan": 30,
        "zone": "cameras",
        "switch": "sw",
        "switch_port": "Gi1/0/1",
    },
    {"display": "nvr", "class": "nvr", "vlan": 1, "zone": "", "switch": "sw", "switch_port": "Gi1/0/3"},
    {
        "display": "<script>x</script>",
        "class": "unknown",
        "vlan": None,
        "zone": "",
        "switch": "",
        "switch_port": "",
    },
]


def test_picture_groups_by_vlan_and_zone_unplaced_last():
    pic = sp.picture(DEVICES)
    assert [(g["vlan"], g["zone"], len(g["devices"])) for g in pic] == [
        (1, "", 1),
        (30, "cameras", 2),
        (None, "", 1),
    ]
    assert [m["port"] for m in pic[1]["devices"]] == ["Gi1/0/1", "Gi1/0/2"]
    assert sp.picture(None) == []


def test_section_before_and_after_escaped():
    doc = {
        "site_picture": {
            "after": sp.picture(DEVICES),
            "before": sp.picture([dict(d, vlan=1, zone="") for d in DEVICES[:3]]),
        }
    }
    html = sp.section(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>Before:</b> VLAN 1: 3" in html
    assert "VLAN 30 (cameras): 2" in html and sp.UNPLACED in html
    assert "sw Gi1/0/1" in html
    assert "Before:" not in sp.section({"site_picture": {"after": sp.picture(DEVICES), "before": None}})
