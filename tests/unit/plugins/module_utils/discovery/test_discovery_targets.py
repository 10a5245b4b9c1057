# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import targets
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError


def test_expand_cidr_and_excludes():
    got = targets.expand(["127.99.0.0/29", "127.99.0.3", "127.99.0.9"], ["127.99.0.4/31"])
    assert got == ["127.99.0.1", "127.99.0.2", "127.99.0.3", "127.99.0.6", "127.99.0.9"]


def test_expand_single_and_slash31_and_ipv6():
    assert targets.expand(["127.99.0.8/31"]) == ["127.99.0.8", "127.99.0.9"]
    assert targets.expand(["::1"]) == ["::1"]


@pytest.mark.parametrize(
    ("networks", "field"),
    [
        (["127.99.0.0/33"], "networks[0]"),
        (["127.99.0.0/24", "127.99.300.1"], "networks[1]"),
        ([""], "networks[0]"),
    ],
)
def test_bad_cidr_names_the_field_value_and_fix(networks, field):
    with pytest.raises(DiscoveryError) as err:
        targets.expand(networks)
    msg = str(err.value)
    assert msg.startswith(field + ": ")
    assert repr(networks[int(field[-2])]) in msg
    assert "use a form like" in msg


def test_bad_exclude_names_exclude():
    with pytest.raises(DiscoveryError, match=r"^exclude\[0\]"):
        targets.expand(["127.99.0.0/30"], ["nope"])


def test_range_larger_than_max_hosts_is_refused():
    with pytest.raises(DiscoveryError, match="max_hosts"):
        targets.expand(["10.0.0.0/8"], max_hosts=65536)


@pytest.mark.parametrize(
    ("raw", "mac"),
    [
        ("AC:CC:8E:EA:23:C3", "ac:cc:8e:ea:23:c3"),
        ("accc.8eea.23c3", "ac:cc:8e:ea:23:c3"),
        ("accc8e-ea23c3", "ac:cc:8e:ea:23:c3"),
        ("ac-cc-8e-ea-23-c3", "ac:cc:8e:ea:23:c3"),
        ("zz:zz", None),
        (None, None),
    ],
)
def test_normalize_mac(raw, mac):
    assert targets.normalize_mac(raw) == mac


NMAP_XML = """<?xml version="1.0" encoding="UTF-8"?>
<nmaprun scanner="nmap" args="nmap -sV -oX - 127.99.0.0/24" start="1700000000" version="7.93">
<host><status state="up" reason="arp-response"/>
<address addr="127.99.0.10" addrtype="ipv4"/>
<address addr="44:19:B6:3B:CF:04" addrtype="mac"
 vendor="Hangzhou Hikvision Digital Technology"/>
<hostnames><hostname name="cam-lobby-01" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open" reason="syn-ack"/>
<service name="http" product="Hikvision IP camera httpd" devicetype="webcam"
 method="probed" conf="10"/></port>
<port protocol="tcp" portid="23"><state state="closed" reason="reset"/></port></ports>
</host>
<host><status state="down" reason="no-response"/><address addr="127.99.0.11" addrtype="ipv4"/></host>
</nmaprun>
"""


def test_read_nmap_xml(tmp_path):
    p = tmp_path / "scan.xml"
    p.write_text(NMAP_XML)
    (t,) = targets.read_nmap_xml(str(p))
    assert t.address == "127.99.0.10"
    assert t.mac == "44:19:b6:3b:cf:04"
    assert t.hostname == "cam-lobby-01"
    assert t.nmap["services"] == {
        "tcp/80": {
            "protocol": "tcp",
            "name": "http",
            "product": "Hikvision IP camera httpd",
            "devicetype": "webcam",
        }
    }
    assert t.nmap["mac_vendor"] == "Hangzhou Hikvision Digital Technology"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("<nmaprun><host>", "is not valid XML"),
        ("<html></html>", "is not nmap XML"),
        ('<!DOCTYPE nmaprun [<!ENTITY a "aaaa">]><nmaprun>&a;</nmaprun>', "declares XML entities"),
    ],
)
def test_bad_nmap_xml(tmp_path, content, problem):
    p = tmp_path / "scan.xml"
    if content is not None:
        p.write_text(content)
    with pytest.raises(DiscoveryError) as err:
        targets.read_nmap_xml(str(p), "nmap_xml[0]")
    assert str(err.value).startswith("nmap_xml[0]: ")
    assert problem in str(err.value)


ISC = """# The format of this file is documented in the dhcpd.leases(5) manual page.
lease 127.99.0.20 {
  starts 2 2026/11/24 08:00:00;
  ends 2 2026/11/24 20:00:00;
  binding state active;
  hardware ethernet 00:12:12:9b:35:7e;
  client-hostname "dvr-legacy-01";
}
lease 127.99.0.21 {
  binding state active;
  hardware ethernet 3c:ef:8c:00:72:3e;
  client-hostname "evil$(reboot)";
}
lease 127.99.0.21 {
  binding state free;
  hardware ethernet 3c:ef:8c:00:72:3e;
}
lease 127.99.0.22 {
  binding state active;
  hardware ethernet 00:04:f2:aa:bb:cc;
}
"""

DNSMASQ = """1764057600 00:04:f2:aa:bb:cc 127.99.0.30 SEP0004F2AABBCC 01:00:04:f2:aa:bb:cc
1764057600 ac:cc:8e:ea:23:c3 127.99.0.31 * *
duid 00:01:00:01:2c:aa:bb:cc
"""


def test_isc_leases_last_entry_wins(tmp_path):
    p = tmp_path / "dhcpd.leases"
    p.write_text(ISC)
    got = {t.address: (t.mac, t.hostname) for t in targets.read_dhcp_leases(str(p))}
    assert got == {
        "127.99.0.20": ("00:12:12:9b:35:7e", "dvr-legacy-01"),
        "127.99.0.22": ("00:04:f2:aa:bb:cc", None),
    }


def test_dnsmasq_leases(tmp_path):
    p = tmp_path / "dnsmasq.leases"
    p.write_text(DNSMASQ)
    got = {t.address: (t.mac, t.hostname) for t in targets.read_dhcp_leases(str(p), "dnsmasq")}
    assert got == {
        "127.99.0.30": ("00:04:f2:aa:bb:cc", "SEP0004F2AABBCC"),
        "127.99.0.31": ("ac:cc:8e:ea:23:c3", None),
    }


def test_lease_host_names_are_cleaned(tmp_path):
    p = tmp_path / "dhcpd.leases"
    p.write_text(ISC.replace("binding state free;", "binding state active;"))
    names = {t.address: t.hostname for t in targets.read_dhcp_leases(str(p), "isc")}
    assert names["127.99.0.21"] is None or "$" not in names["127.99.0.21"]


def test_bad_dnsmasq_line_names_file_and_line(tmp_path):
    p = tmp_path / "dnsmasq.leases"
    p.write_text("garbage\n")
    with pytest.raises(DiscoveryError, match=r"dhcp_leases line 1"):
        targets.read_dhcp_leases(str(p), "dnsmasq")
