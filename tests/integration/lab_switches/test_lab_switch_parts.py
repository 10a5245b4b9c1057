# SPDX-License-Identifier: GPL-3.0-or-later
"""The switch's parts without SSH: grammar matching, names, port lists, secrets, input
checks; plus hostile input over SSH."""

from __future__ import annotations

import re

import paramiko
import pytest
from iotlab.switches import SwitchSim, _model
from iotlab.switches._cli import Failure, Grammar, Match
from iotlab.switches.cisco_ios import canonical_iface, parse_range
from iotlab.switches.hp_procurve import compress_ports, parse_ports

GRAMMAR = Grammar(
    [
        ("show vlan brief", None, "brief"),
        ("show vlan", None, "vlan"),
        ("show version", None, "version"),
        ("switchport access vlan <1-4094>", "config", "access"),
        ("description <LINE>", "config", "desc"),
        ("configure terminal", None, "conf"),
        ("copy running-config startup-config", "write_memory", "copy"),
    ]
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("show vlan brief", Match("brief", None, [])),
        ("sh vl br", Match("brief", None, [])),
        ("SHOW VLAN", Match("vlan", None, [])),
        ("sh ver", Match("version", None, [])),
        ("sw acc vl 30", Match("access", "config", [30])),
        ("desc  cam  lobby  ", Match("desc", "config", ["cam  lobby"])),
        ("conf t", Match("conf", None, [])),
        ("sh v", Failure("ambiguous", 3, "v")),
        ("c", Failure("ambiguous", 0, "c")),
        ("show vlna", Failure("invalid", 5, "vlna")),
        ("sw acc vl 4095", Failure("invalid", 10, "4095")),
        ("sw acc vl ten", Failure("invalid", 10, "ten")),
        ("sw acc vl", Failure("incomplete", 9, "")),
        ("show vlan brief extra", Failure("invalid", 16, "extra")),
    ],
)
def test_grammar_matches_like_a_switch_cli(line, expected):
    assert GRAMMAR.match(line) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gi1/0/5", "Gi1/0/5"),
        ("GigabitEthernet1/0/5", "Gi1/0/5"),
        ("g1/0/5", "Gi1/0/5"),
        ("fa0/1", "Fa0/1"),
        ("te1/1/1", "Te1/1/1"),
        ("t1/1/1", None),  # TenGigabit or TwoGigabit: ambiguous
        ("vlan1", None),
        ("gi", None),
    ],
)
def test_ios_interface_names(text, expected):
    assert canonical_iface(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gi1/0/1 - 3", ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]),
        ("Gi1/0/1-2, te1/1/4", ["Gi1/0/1", "Gi1/0/2", "Te1/1/4"]),
        ("GigabitEthernet2/0/48", ["Gi2/0/48"]),
        ("gi1/0/4 - 2", None),
        ("gi1/0/1 - x", None),
        ("", None),
    ],
)
def test_ios_interface_ranges(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", ["5"]),
        ("1-3,6", ["1", "2", "3", "6"]),
        ("a1-a3", ["A1", "A2", "A3"]),
        ("1/1-1/2", ["1/1", "1/2"]),
        ("3-1", None),
        ("1-A3", None),
        ("x", None),
        ("1-100000", None),
    ],
)
def test_procurve_port_lists(text, expected):
    assert parse_ports(text) == expected
    if expected:
        assert parse_ports(compress_ports(expected)) == expected


def test_type9_secret_round_trip():
    stored = _model.type9_hash("Secret-1")
    assert re.fullmatch(r"\$9\$[./0-9A-Za-z]{14}\$[./0-9A-Za-z]{43}", stored)
    assert _model.verify("Secret-1", stored)
    assert not _model.verify("Secret-2", stored)
    assert not _model.verify("Secret-1", None)
    assert not _model.verify("Secret-1", "plain")
    assert _model.type9_hash("Secret-1") != stored  # salted


def _kwargs(**overrides):
    kwargs = {
        "name": "sw-x",
        "dialect": "cisco_ios",
        "address": "127.99.30.1",
        "port": 2022,
        "username": "admin",
        "password": "pw",
        "enable_secret": None,
        "interfaces": ["Gi1/0/1"],
        "mac_table": [],
        "state": {},
        "on_change": lambda: None,
        "fault_for": lambda op: None,
    }
    kwargs.update(overrides)
    return kwargs


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dialect": "junos"}, r"dialect: 'junos' is not supported"),
        ({"name": "sw x"}, r"name: 'sw x' may hold only"),
        ({"interfaces": ["1"]}, r"interfaces: '1' is not an IOS short interface name"),
        ({"dialect": "hp_procurve", "interfaces": ["Gi1/0/1"]}, r"not a ProCurve port name"),
        ({"mac_table": [("aa-bb", 1, "Gi1/0/1")]}, r"mac_table\[0\]: mac 'aa-bb'"),
        ({"mac_table": [("aa:bb:cc:dd:ee:ff", 5000, "Gi1/0/1")]}, r"vlan 5000"),
        ({"mac_table": [("aa:bb:cc:dd:ee:ff", 1, "Gi1/0/9")]}, r"interface 'Gi1/0/9'"),
        ({"port": 0}, r"port: 0"),
        ({"password": ""}, r"password: must not be empty"),
    ],
)
def test_bad_arguments_name_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        SwitchSim(**_kwargs(**overrides))


def test_hostile_input_is_bounded_and_cleaned(make_switch):
    sw = make_switch("cisco_ios", enable_secret=None)
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - lab switch
    client.connect(
        sw.kwargs["address"],
        port=sw.kwargs["port"],
        username="admin",
        password="Factory-Pass1",
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    try:
        chan = client.invoke_shell(width=511, height=1000)
        chan.settimeout(5)
        desc = "evil\x1b[2J\x07" + "A" * 5000 + "\xff\xfe{{ lookup('pipe', 'id') }}"
        chan.send(b"conf t\ninterface gi1/0/1\ndescription " + desc.encode("utf-8", "replace"))
        chan.send(b"\n" + bytes(range(1, 32)).replace(b"\r", b"").replace(b"\n", b"") + b"\n")
        chan.send(b"end\nshow interfaces status\n")
        seen = b""
        while b"Gi1/0/12" not in seen:
            seen += chan.recv(65536)
    finally:
        client.close()
    stored = sw.running["ports"]["Gi1/0/1"]["description"]
    assert stored.startswith("evil[2J")  # the escape and bell are gone
    assert len(stored) <= _model.MAX_DESCRIPTION
    assert not re.search(r"[\x00-\x1f\x7f]", stored)
