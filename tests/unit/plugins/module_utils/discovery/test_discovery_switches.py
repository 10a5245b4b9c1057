# SPDX-License-Identifier: GPL-3.0-or-later
"""The address -> MAC -> port join: real show output parsed by netmiko's ntc-templates."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import switches
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import Target
from netmiko.utilities import get_structured_data

IOS_MAC = """          Mac Address Table
-------------------------------------------

Vlan    Mac Address       Type        Ports
----    -----------       --------    -----
 All    0100.0ccc.cccc    STATIC      CPU
   1    001a.2b00.0001    DYNAMIC     Gi1/0/1
  20    001a.2b00.0002    DYNAMIC     Gi1/0/2
   1    001a.2b00.0003    DYNAMIC     Gi1/0/3
   1    001a.2b00.000a    DYNAMIC     Gi1/0/24
  20    001a.2b00.000b    DYNAMIC     Gi1/0/24
Total Mac Addresses for this criterion: 6
"""

IOS_ARP = """Protocol  Address          Age (min)  Hardware Addr   Type   Interface
Internet  10.0.0.2                 -   70ab.cdef.0102  ARPA   Vlan1
Internet  10.0.0.10                0   001a.2b00.0001  ARPA   Vlan1
Internet  10.0.0.11                3   001a.2b00.0002  ARPA   Vlan20
Internet  10.0.0.30                1   001a.2b00.0030  ARPA   Vlan1
"""

HP_MAC = """
 Status and Counters - Port Address Table

  MAC Address   Port   VLAN
  ------------- ------ ----
  001a2b-000030 4      1
  001a2b-000031 5      1
  001a2b-000032 6      1
"""

HP_ARP_EMPTY = """
 IP ARP table

  IP Address       MAC Address       Type    Port
  --------------- ----------------- ------- ----
"""


def tables(platform, mac_text, arp_text, name, uplinks=()):
    mac_cmd = switches.PLATFORMS[platform]["mac"]
    arp_cmd = switches.PLATFORMS[platform]["arp"]
    mac_rows = get_structured_data(mac_text, platform=platform, command=mac_cmd)
    arp_rows = get_structured_data(arp_text, platform=platform, command=arp_cmd)
    rows, pairs = switches.parse_tables(mac_rows, arp_rows, platform, uplinks)
    return switches.SwitchTables(name, "switches[%d]" % (0 if platform == "cisco_ios" else 1), rows, pairs)


def test_ios_tables_parse_and_skip_cpu_and_uplinks():
    t = tables("cisco_ios", IOS_MAC, IOS_ARP, "core", ("Gi1/0/24",))
    assert t.mac_rows == [
        ("00:1a:2b:00:00:01", "Gi1/0/1", "1"),
        ("00:1a:2b:00:00:02", "Gi1/0/2", "20"),
        ("00:1a:2b:00:00:03", "Gi1/0/3", "1"),
    ]
    assert ("10.0.0.10", "00:1a:2b:00:00:01") in t.arp_pairs
    assert len(t.arp_pairs) == 4


def test_join_without_dhcp_uses_every_switch_arp_table():
    """No lease file: the core's ARP table names the hosts the L2 access switch learnt."""
    core = tables("cisco_ios", IOS_MAC, IOS_ARP, "core", ("Gi1/0/24",))
    access = tables("hp_procurve", HP_MAC, HP_ARP_EMPTY, "floor2")
    neighbours = [("10.0.0.31", "00:1a:2b:00:00:31")]
    joined, warnings = switches.join([], [core, access], neighbours, given=())
    by_mac = {t.mac: t for t in joined}
    assert by_mac["00:1a:2b:00:00:01"].address == "10.0.0.10"
    assert by_mac["00:1a:2b:00:00:01"].switch_port == "Gi1/0/1"
    # learnt on floor2, resolved by the core
    assert (by_mac["00:1a:2b:00:00:30"].address, by_mac["00:1a:2b:00:00:30"].switch) == (
        "10.0.0.30",
        "floor2",
    )
    assert "switch_arp:core" in by_mac["00:1a:2b:00:00:30"].sources
    # only the controller's neighbour table knows this one
    assert by_mac["00:1a:2b:00:00:31"].sources == ["switch:floor2", "neighbours"]
    # two rows nobody can join: one warning per switch, counted, naming the fix
    assert len(warnings) == 2
    core_w = next(w for w in warnings if "(core)" in w)
    assert "1 of 3 device MAC rows have no address" in core_w
    assert "00:1a:2b:00:00:03" in core_w
    assert "dhcp_leases" in core_w and "nmap_xml" in core_w
    floor_w = next(w for w in warnings if "(floor2)" in w)
    assert floor_w.startswith("switches[1] (floor2): 1 of 3 device MAC rows")


def test_join_prefers_leases_and_is_silent_when_complete():
    core = tables("cisco_ios", IOS_MAC, IOS_ARP, "core", ("Gi1/0/24",))
    lease = Target("10.0.0.13", "dhcp_leases", mac="00:1a:2b:00:00:03", hostname="thermo")
    wrong_arp = Target("10.0.0.99", "nmap_xml", mac="00:1a:2b:00:00:01")
    joined, warnings = switches.join([lease, wrong_arp], [core], (), given=("dhcp_leases", "nmap_xml"))
    assert warnings == []
    by_mac = {t.mac: t.address for t in joined}
    assert by_mac == {
        "00:1a:2b:00:00:01": "10.0.0.99",  # the scan on the segment came first
        "00:1a:2b:00:00:02": "10.0.0.11",
        "00:1a:2b:00:00:03": "10.0.0.13",
    }


def test_warning_names_the_router_when_no_arp_table_was_read():
    access = tables("hp_procurve", HP_MAC, HP_ARP_EMPTY, "floor2")
    access.has_arp = False
    _joined, warnings = switches.join([], [access], (), given=("dhcp_leases", "nmap_xml"))
    assert "3 of 3" in warnings[0]
    assert "L3 switch or router that routes these VLANs" in warnings[0]
    assert "dhcp_leases (" not in warnings[0]


def test_neighbour_table_reads_complete_entries_only(tmp_path):
    path = tmp_path / "arp"
    path.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.0.0.40        0x1         0x2         00:1a:2b:00:00:40     *        eth0\n"
        "10.0.0.41        0x1         0x0         00:00:00:00:00:00     *        eth0\n"
        "garbage line\n"
    )
    assert switches.read_neighbours(str(path)) == [("10.0.0.40", "00:1a:2b:00:00:40")]
    assert switches.read_neighbours(str(tmp_path / "missing")) == []


@pytest.mark.parametrize(
    "spec, field",
    [
        ({"host": "10.0.0.2", "device_type": "junos"}, "switches[0].device_type"),
        ({"device_type": "cisco_ios"}, "switches[0].host"),
        ("sw1", "switches[0]"),
    ],
)
def test_bad_switch_options_name_the_field(spec, field):
    with pytest.raises(switches.DiscoveryError) as err:
        switches.check_spec(spec, 0)
    assert err.value.field == field


def test_a_switch_read_over_its_cli_is_named_by_it(monkeypatch):
    """The switch source logged in to a switch whose banners name nothing (an SSH server
    string of OpenSSH): the CLI that answered is the evidence of what it is, for an address
    the run scans anyway; a switch outside the ranges adds no target."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import classify, engine

    def read(spec, index, timeout):
        return switches.SwitchTables(spec["name"], "switches[%d]" % index, [], [], has_arp=True)

    monkeypatch.setattr(switches, "read_switch", read)
    specs = [
        {
            "name": "sw-floor2",
            "host": "192.0.2.3",
            "device_type": "hp_procurve",
            "username": "m",
            "password": "p",
        },
        {
            "name": "sw-far",
            "host": "198.51.100.9",
            "device_type": "cisco_ios",
            "username": "a",
            "password": "p",
        },
    ]
    found, _ranges, _warnings = engine.gather_targets(
        {"networks": ["192.0.2.0/29"], "switches": specs, "neighbour_table": ""}
    )
    assert found["192.0.2.3"].cli == "hp_procurve" and "switch_cli:sw-floor2" in found["192.0.2.3"].sources
    assert "198.51.100.9" not in found, "a switch outside the scanned ranges is not scanned"
    scan = {"open_ports": [22], "services": {"22/tcp": {"protocol": "ssh", "banner": "SSH-2.0-OpenSSH_7.9"}}}
    facts = classify.classify(scan, found["192.0.2.3"].as_dict())
    assert facts["iot_fingerprint_id"] == "hp.procurve" and facts["iot_class"] == "network_switch"
    assert any(e["field"] == "switch.cli" for e in facts["iot_evidence"])
    assert classify.classify(scan, {"address": "192.0.2.4"})["iot_class"] != "network_switch"
