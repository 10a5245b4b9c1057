# SPDX-License-Identifier: GPL-3.0-or-later
"""The segmentation plan and its firewall contribution: table-driven, plain data."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import model as firewall_model
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import firewall as fwc
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import plan as sp

DEVICES = [
    {"name": "cam-1", "address": "10.0.0.10", "mac": "00:1a:2b:00:00:01", "class": "camera"},
    {"name": "nvr-1", "address": "10.0.0.11", "mac": "00:1a:2b:00:00:02", "class": "nvr"},
    {"name": "thermo", "address": "10.0.0.12", "mac": "00:1a:2b:00:00:03", "class": "thermostat"},
    {
        "name": "xp-mri",
        "address": "10.0.0.13",
        "mac": "00:1a:2b:00:00:04",
        "class": "medical",
        "eol": {"date": "x"},
    },
    {
        "name": "old-cam",
        "address": "10.0.0.14",
        "mac": "00:1a:2b:00:00:05",
        "class": "camera",
        "eol": {"d": 1},
    },
    {"name": "mystery", "address": "10.0.0.15", "mac": "00:1a:2b:00:00:06", "class": "unknown"},
    {"name": "gw", "address": "10.0.0.1", "mac": "00:1a:2b:00:00:07", "class": "router"},
    {"name": "phone", "address": "10.0.0.16", "mac": "00:1a:2b:00:00:08", "class": "voip_phone"},
    {"name": "printer", "address": "10.0.0.17", "mac": "00:1a:2b:00:00:09", "class": "printer"},
    {"name": "offline", "address": "10.0.0.18", "mac": "00:1a:2b:00:00:0f", "class": "printer"},
]


def switches():
    return {
        "core": {
            "uplinks": ["Gi1/0/24"],
            "vlans": {"1": "default", "30": "IOT-CAMERAS"},
            "ports": {
                **{"Gi1/0/%d" % n: {"mode": "access", "vlan": 1} for n in range(1, 24)},
                "Gi1/0/1": {"mode": "access", "vlan": 30},
                "Gi1/0/20": {"mode": "trunk", "vlan": 1},
                "Gi1/0/24": {"mode": "trunk", "vlan": 1},
            },
            "macs": [
                ["00:1a:2b:00:00:01", "Gi1/0/1", 30],
                ["00:1a:2b:00:00:02", "Gi1/0/2", 1],
                ["00:1a:2b:00:00:03", "Gi1/0/3", 1],
                ["00:1a:2b:00:00:04", "Gi1/0/4", 1],
                ["00:1a:2b:00:00:05", "Gi1/0/5", 1],
                ["00:1a:2b:00:00:07", "Gi1/0/7", 1],
                # the phone with a PC behind it: two MACs on one port
                ["00:1a:2b:00:00:08", "Gi1/0/8", 1],
                ["00:1a:2b:00:00:a8", "Gi1/0/8", 1],
                # the engineer's laptop
                ["00:1a:2b:00:00:ee", "Gi1/0/9", 1],
                # learnt through the uplink / a trunk: never a device's port
                ["00:1a:2b:00:00:06", "Gi1/0/24", 1],
                ["00:1a:2b:00:00:09", "Gi1/0/20", 1],
            ],
        },
        "floor2": {
            "uplinks": ["24"],
            "vlans": {"1": "DEFAULT_VLAN"},
            "ports": {str(n): {"mode": "access", "vlan": 1} for n in range(1, 25)},
            "macs": [
                ["00:1a:2b:00:00:06", "3", 1],
                ["00:1a:2b:00:00:09", "4", 1],
                ["00:1a:2b:00:00:01", "24", 30],
            ],
        },
    }


POLICY = {"engineer_macs": ["00:1a:2b:00:00:ee"]}


def test_plan_places_each_class_in_its_zone_and_leaves_the_rest():
    p = sp.plan(DEVICES, switches(), POLICY)
    by_dev = {e["device"]: e for e in p["ports"]}
    assert {d: (e["switch"], e["port"], e["zone"], e["vlan"], e["action"]) for d, e in by_dev.items()} == {
        "cam-1": ("core", "Gi1/0/1", "cameras", 30, "keep"),
        "nvr-1": ("core", "Gi1/0/2", "nvrs", 31, "move"),
        "thermo": ("core", "Gi1/0/3", "building", 40, "move"),
        # end of life, but the medical-legacy zone takes end-of-life gear
        "xp-mri": ("core", "Gi1/0/4", "medical_legacy", 70, "move"),
        # an end-of-life camera goes to quarantine
        "old-cam": ("core", "Gi1/0/5", "quarantine", 99, "move"),
        # unknown: quarantine; its port is found on floor2, not through core's uplink
        "mystery": ("floor2", "3", "quarantine", 99, "move"),
        "printer": ("floor2", "4", "printers", 50, "move"),
    }
    left = {(e["switch"], e["port"]): e["reason"] for e in p["left_alone"]}
    assert left[("core", "Gi1/0/24")] == "uplink"
    assert left[("core", "Gi1/0/20")] == "trunk"
    assert left[("core", "Gi1/0/8")].startswith("several MACs (2)")
    assert left[("core", "Gi1/0/9")] == "the engineer's own port"
    assert left[("floor2", "24")] == "uplink"
    unplaced = {e["device"]: e for e in p["unplaced"]}
    assert unplaced["gw"]["action"] == "leave" and "infrastructure" in unplaced["gw"]["reason"]
    assert unplaced["phone"]["action"] == "leave" and "several MACs" in unplaced["phone"]["reason"]
    assert "no switch's MAC table" in unplaced["offline"]["reason"]
    assert p["switches"]["core"]["vlans"] == [
        {"vlan_id": 30, "name": "IOT-CAMERAS"},
        {"vlan_id": 31, "name": "IOT-NVR"},
        {"vlan_id": 40, "name": "IOT-BUILDING"},
        {"vlan_id": 70, "name": "MED-LEGACY"},
        {"vlan_id": 99, "name": "QUARANTINE"},
    ]
    assert {"name": "3", "vlan": 99} in p["switches"]["floor2"]["access_ports"]
    assert p["summary"] == {"devices": 10, "ports": 7, "moves": 6, "left_alone_ports": 5, "unplaced": 3}
    text = "\n".join(sp.render_text(p))
    assert "core Gi1/0/2: nvr-1 (nvrs) VLAN 1 -> 31 [move]" in text


def test_overrides_and_leave_alone():
    policy = dict(POLICY, overrides={"nvr-1": "cameras", "00:1a:2b:00:00:03": "leave"})
    policy["leave_alone"] = [{"switch": "core", "port": "Gi1/0/4"}]
    p = sp.plan(DEVICES, switches(), policy)
    by_dev = {e["device"]: e for e in p["ports"]}
    assert by_dev["nvr-1"]["zone"] == "cameras"
    assert "thermo" not in by_dev and "xp-mri" not in by_dev
    assert {
        "switch": "core",
        "port": "Gi1/0/4",
        "reason": "the policy leaves it alone",
        "macs": ["00:1a:2b:00:00:04"],
    } in p["left_alone"]


def _zones(**change):
    zones = copy.deepcopy(sp.DEFAULT_POLICY["zones"])
    zones[change.pop("index", 0)].update(change)
    return {"zones": zones}


@pytest.mark.parametrize(
    "policy, field, words",
    [
        (_zones(vlan=5000), "policy.zones[0].vlan", "outside 1-4094"),
        (_zones(vlan=0), "policy.zones[0].vlan", "outside 1-4094"),
        (_zones(vlan="ten"), "policy.zones[0].vlan", "not a VLAN id"),
        (_zones(vlan=1), "policy.zones[0].vlan", "default VLAN"),
        (_zones(index=1, vlan=30), "policy.zones[1].vlan", "also the VLAN of zone 'cameras'"),
        (_zones(name="Cameras!"), "policy.zones[0].name", "not a zone name"),
        (_zones(vlan_name="IOT CAMERAS"), "policy.zones[0].vlan_name", "not a VLAN name"),
        (_zones(index=1, classes=["camera"]), "policy.zones[1].classes", "already mapped"),
        (_zones(networks=["10.0.0.300/24"]), "policy.zones[0].networks[0]", "not a network"),
        (
            {"zones": [{"name": "cameras", "vlan": 30, "classes": ["camera"]}]},
            "policy.zones",
            "no 'quarantine'",
        ),
        ({"overrides": {"cam-1": "nowhere"}}, "policy.overrides[cam-1]", "not a zone"),
        ({"engineer_macs": ["laptop"]}, "policy.engineer_macs[0]", "not a MAC"),
        ({"colour": "blue"}, "policy", "unknown keys"),
        ({"leave_alone": [{"switch": "core"}]}, "policy.leave_alone[0]", "not a port"),
    ],
)
def test_bad_policy_names_field_and_fix(policy, field, words):
    with pytest.raises(SegmentationError) as err:
        sp.plan(DEVICES, switches(), policy)
    assert err.value.field == field
    assert words in str(err.value)
    assert err.value.fix


def test_device_on_two_access_ports_is_an_error():
    sw = switches()
    sw["floor2"]["macs"].append(["00:1a:2b:00:00:03", "7", 1])
    with pytest.raises(SegmentationError) as err:
        sp.plan(DEVICES, sw, POLICY)
    assert err.value.field == "devices[thermo].mac"
    assert "core Gi1/0/3, floor2 7" in str(err.value)
    assert "leave_alone" in err.value.fix


def test_switch_not_gathered_is_an_error():
    with pytest.raises(SegmentationError) as err:
        sp.plan(DEVICES, {"core": {"uplinks": []}}, POLICY)
    assert err.value.field == "switches[core].ports"


FW_POLICY = {
    "engineer_macs": ["00:1a:2b:00:00:ee"],
    "zones": [
        dict(z, networks=["10.%d.0.0/24" % z["vlan"]], interface="br0.%d" % z["vlan"])
        for z in sp.DEFAULT_POLICY["zones"]
    ],
    "firewall": {
        "staff_networks": ["10.10.0.0/24"],
        "server_networks": ["10.11.0.0/24"],
        "management_networks": ["10.1.0.0/24"],
        "vpn_networks": ["10.98.0.0/24"],
        "medical_peers": [{"name": "pacs", "networks": ["10.11.0.50/32"], "tcp_ports": [104, 11112]}],
    },
}


def test_firewall_contribution_is_the_policy():
    p = sp.plan(DEVICES, switches(), FW_POLICY)
    c = fwc.contribution(p, FW_POLICY)
    zones = {z["name"]: z for z in c["zones"]}
    assert zones["cameras"] == {
        "name": "cameras",
        "networks": ["10.30.0.0/24"],
        "management": False,
        "interface": "br0.30",
    }
    assert zones["management"]["management"] and zones["vpn"]["management"]
    assert not zones["staff"]["management"]
    flows = [(f["from"], f["to"], f["proto"], tuple(f["ports"])) for f in c["flows"]]
    iot = {"cameras", "nvrs", "building", "printers", "voice", "medical_legacy", QUARANTINE}
    # IoT zones never reach staff or servers
    assert not [f for f in flows if f[0] in iot and f[1] in ("staff", "servers")]
    # cameras reach only the NVRs
    assert {f[1] for f in flows if f[0] == "cameras"} == {"nvrs"}
    # medical-legacy reaches only its PACS
    assert [f for f in flows if f[0] == "medical_legacy"] == [
        ("medical_legacy", "med_pacs", "tcp", (104, 11112))
    ]
    assert zones["med_pacs"]["networks"] == ["10.11.0.50/32"]
    # quarantine reaches nothing
    assert not [f for f in flows if f[0] == QUARANTINE]
    # management ports: only from management and the VPN
    for zone in iot:
        sources = {f[0] for f in flows if f[1] == zone and 22 in f[3]}
        assert sources == {"management", "vpn"}, zone
    assert ("staff", "printers", "tcp", (515, 631, 9100)) in flows
    for f in c["flows"]:
        assert f["comment"]
        assert f["from"] in zones and f["to"] in zones
    assert set(c) == {"zones", "flows", "sets", "rate_limits", "awaits"}
    # the PACS in the server network is its own zone: the servers zone is the rest
    servers = [ipaddress.ip_network(n) for n in zones["servers"]["networks"]]
    pacs = ipaddress.ip_address("10.11.0.50")
    assert not [n for n in servers if pacs in n]
    assert sum(n.num_addresses for n in servers) == 255
    # the gateway firewall accepts it as it is (comments and overlaps included)
    firewall_model.merge({"segmentation": c})


QUARANTINE = sp.QUARANTINE


#: the WireGuard role's contribution: the tunnel zone and its TOTP set
WIREGUARD = {
    "zones": [
        {
            "name": "wg_pool",
            "networks": ["10.66.0.0/24"],
            "interface": "wg0",
            "management": True,
            "tunnel": True,
        }
    ],
    "sets": [{"name": "wg_authed", "family": "ipv4", "timeout": True}],
}


def test_vpn_zones_reach_management_ports_only_with_a_session():
    """A VPN role's tunnel zone (WireGuard's wg_pool) gets the management ports of every IoT
    zone, each flow gated by its TOTP set, and nothing else; the gateway firewall merges it
    with the WireGuard contribution that declares the zone and the set."""
    pol = copy.deepcopy(FW_POLICY)
    pol["firewall"]["vpn_zones"] = [{"zone": "wg_pool", "session_set": "wg_authed"}]
    c = fwc.contribution(sp.plan(DEVICES, switches(), pol), pol)
    vpn = [f for f in c["flows"] if f["from"] == "wg_pool"]
    iot = {"cameras", "nvrs", "building", "printers", "voice", "medical_legacy", QUARANTINE}
    assert {f["to"] for f in vpn} == iot
    assert {f["session_set"] for f in vpn} == {"wg_authed"}
    assert {(f["proto"], tuple(f["ports"])) for f in vpn} == {
        ("tcp", (21, 22, 23, 80, 443, 8000, 8080, 8443)),
        ("udp", (161, 1900)),
    }
    assert "wg_pool" not in {z["name"] for z in c["zones"]}, "the VPN role owns its zone"
    assert c["awaits"] == ["wg_authed", "wg_pool"]
    assert firewall_model.merge({"segmentation": c, "wireguard": WIREGUARD})["waiting"] == []
    # on a gateway where the VPN role has not run yet, the VPN's flows wait for its zone
    alone = firewall_model.merge({"segmentation": c})
    assert len(alone["waiting"]) == len(vpn) and not [f for f in alone["flows"] if f["from"] == "wg_pool"]
    for bad, field in (
        ([{"zone": "WG pool"}], "policy.firewall.vpn_zones[0].zone"),
        ([{"zone": "wg_pool", "session_set": "a b"}], "policy.firewall.vpn_zones[0].session_set"),
        ([{"zone": "wg_pool", "set": "wg_authed"}], "policy.firewall.vpn_zones[0]"),
        ("wg_pool", "policy.firewall.vpn_zones"),
    ):
        pol["firewall"]["vpn_zones"] = bad
        with pytest.raises(SegmentationError) as err:
            fwc.contribution(sp.plan(DEVICES, switches(), pol), pol)
        assert err.value.field == field


def test_extra_flows_from_a_vpn_zone_need_its_session():
    """An extra flow from the tunnel zone into the site (the engineers reaching the switches
    on the server network) is gated by the zone's TOTP set like the management ports: no
    extra flow is a way past the second factor. To the gateway itself it is not (the
    authenticator must be reachable before a session exists)."""
    pol = copy.deepcopy(FW_POLICY)
    pol["firewall"]["vpn_zones"] = [{"zone": "wg_pool", "session_set": "wg_authed"}]
    pol["firewall"]["extra_flows"] = [
        {
            "from": "wg_pool",
            "to": "servers",
            "proto": "tcp",
            "ports": [22],
            "comment": "engineers reach the switches",
        },
        {
            "from": "wg_pool",
            "to": "gateway",
            "proto": "tcp",
            "ports": [22],
            "comment": "engineers reach the gateway",
        },
        {
            "from": "management",
            "to": "servers",
            "proto": "tcp",
            "ports": [22],
            "comment": "the office reaches them",
        },
    ]
    c = fwc.contribution(sp.plan(DEVICES, switches(), pol), pol)
    extra = {
        (f["from"], f["to"]): f.get("session_set")
        for f in c["flows"]
        if f["ports"] == [22] and "reach" in f["comment"] and f["to"] in ("servers", "gateway")
    }
    assert extra == {
        ("wg_pool", "servers"): "wg_authed",
        ("wg_pool", "gateway"): None,
        ("management", "servers"): None,
    }
    # and the gateway firewall renders it behind the set
    merged = firewall_model.merge({"segmentation": c, "wireguard": WIREGUARD})
    to_servers = [f for f in merged["flows"] if f["from"] == "wg_pool" and f["to"] == "servers"]
    assert to_servers and all(f["session_set"] == "wg_authed" for f in to_servers), to_servers


def test_contribution_errors_name_the_field():
    p = sp.plan(DEVICES, switches(), POLICY)
    with pytest.raises(SegmentationError) as err:
        fwc.contribution(p, POLICY)
    assert err.value.field == "policy.zones[cameras].networks"
    bad = copy.deepcopy(FW_POLICY)
    bad["firewall"]["extra_flows"] = [{"from": QUARANTINE, "to": "servers", "proto": "tcp", "ports": [443]}]
    p = sp.plan(DEVICES, switches(), bad)
    with pytest.raises(SegmentationError) as err:
        fwc.contribution(p, bad)
    assert err.value.field == "policy.firewall.extra_flows[0].from"
    bad["firewall"]["extra_flows"] = [{"from": "staff", "to": "nvrs", "proto": "tcp", "ports": [70000]}]
    with pytest.raises(SegmentationError) as err:
        fwc.contribution(p, bad)
    assert err.value.field == "policy.firewall.extra_flows[0].ports[0]"
    bad["firewall"]["extra_flows"] = [
        {"from": "staff", "to": "nvrs", "proto": "tcp", "comment": "the NVR's UI"}
    ]
    with pytest.raises(SegmentationError) as err:
        fwc.contribution(p, bad)
    assert err.value.field == "policy.firewall.extra_flows[0].comment"
    assert "100 at most" in str(err.value)


def test_medical_peer_wider_than_a_site_network_is_an_error():
    bad = copy.deepcopy(FW_POLICY)
    bad["firewall"]["medical_peers"] = [{"name": "pacs", "networks": ["10.11.0.0/16"]}]
    p = sp.plan(DEVICES, switches(), bad)
    with pytest.raises(SegmentationError) as err:
        fwc.contribution(p, bad)
    assert err.value.field == "policy.firewall.server_networks"
    assert "its own addresses" in str(err.value)


def test_report_record_says_what_was_read_back():
    from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import site

    p = sp.plan(DEVICES, switches(), POLICY)
    names = sorted({port["switch"] for port in p["ports"]})
    result = {
        "plan": p,
        "switches": {
            names[0]: {"status": "changed", "commands": ["vlan 30", "name IOT-CAMERAS"]},
            **{
                n: {"status": "failed", "commands": ["x"], "error": "refused", "restored": True}
                for n in names[1:]
            },
        },
        "commands_sent": 2,
        "sessions": len(names),
        "secret_never_copied": "Enable123",
    }
    rec = site.report_record(result)
    assert "Enable123" not in repr(rec)
    assert rec["switches"][names[0]]["read_back_equals_plan"]
    assert rec["switches"][names[0]]["commands"] == 2
    for n in names[1:]:
        assert not rec["switches"][n]["read_back_equals_plan"] and rec["switches"][n]["restored"]
    assert {port["verified"] for port in rec["ports"] if port["switch"] == names[0]} == {True}
    assert rec["summary"]["verified_ports"] == sum(1 for port in p["ports"] if port["switch"] == names[0])
    assert rec["summary"]["moves"] == p["summary"]["moves"] and rec["summary"]["commands_sent"] == 2
    assert {d["device"] for d in rec["unplaced"]} == {d["device"] for d in p["unplaced"]}


def test_a_device_of_unknown_class_already_on_a_zone_stays_there_and_only_there():
    """Behind its zone's policy discovery may no longer tell what a device is (the XP console
    answers the engineer on no port): the second run must not move it to quarantine. A device
    of unknown class on the default VLAN still goes to quarantine, and one on quarantine stays."""
    sw = switches()
    sw["core"]["ports"]["Gi1/0/4"]["vlan"] = 70  # the XP console, moved by the first run
    sw["core"]["ports"]["Gi1/0/3"]["vlan"] = 99  # a device quarantined by the first run
    devices = [
        dict(DEVICES[3], **{"class": "unknown", "eol": None}),
        dict(DEVICES[2], **{"class": "unknown"}),
        {"name": "new", "address": "10.0.0.19", "mac": "00:1a:2b:00:00:05", "class": "unknown"},
    ]
    result = sp.plan(devices, sw)
    by = {p["device"]: p for p in result["ports"]}
    assert (by["xp-mri"]["zone"], by["xp-mri"]["action"]) == ("medical_legacy", "keep")
    assert "class unknown in this run, on zone medical_legacy's VLAN already" in by["xp-mri"]["reason"]
    assert (by["thermo"]["zone"], by["thermo"]["action"]) == ("quarantine", "keep")
    assert (by["new"]["zone"], by["new"]["action"]) == ("quarantine", "move")
    assert "xp-mri" in next(z for z in result["zones"] if z["name"] == "medical_legacy")["devices"]
