# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's building blocks on their own (no site needed): BER, password policy, MQTT topic
matching, site expansion. Table-driven, quick."""

from __future__ import annotations

import pytest
from iotlab.devices import KINDS
from iotlab.devices.base import check_policy
from iotlab.protocols import snmp
from iotlab.protocols.mqtt import topic_matches
from iotlab.protocols.xmlish import field
from iotlab.site import load_site


@pytest.mark.parametrize(
    "oid", [(1, 3, 6, 1, 2, 1, 1, 1, 0), (1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 1), (2, 999, 16384, 2**31)]
)
def test_ber_oid_round_trip(oid):
    tag, body, _end = snmp.decode(snmp.enc_oid(oid))
    assert tag == snmp.OID and snmp.dec_oid(body) == oid


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, -1, -129, 2**31 - 1])
def test_ber_integer_round_trip(value):
    tag, body, _end = snmp.decode(snmp.enc_int(snmp.INTEGER, value))
    assert tag == snmp.INTEGER and int.from_bytes(body, "big", signed=True) == value


def test_ber_long_length():
    blob = snmp.tlv(snmp.OCTET_STRING, b"x" * 300)
    assert blob[1] == 0x82 and snmp.decode(blob)[1] == b"x" * 300


HIK = {"min_length": 8, "max_length": 16, "min_classes": 2, "forbid_username": True}
NO_SYMBOLS = {"min_length": 6, "max_length": 12, "min_classes": 2, "symbols": ""}


@pytest.mark.parametrize(
    ("policy", "password", "problem"),
    [
        (HIK, "Abcdefg1", None),
        (HIK, "short1", "too short"),
        (HIK, "x" * 17, "too long"),
        (HIK, "abcdefgh", "character classes"),
        (HIK, "admin-Pass1", "user name"),
        (HIK, "Sp ace123", "not allowed"),
        (NO_SYMBOLS, "abc123", None),
        (NO_SYMBOLS, "abc!123", "not allowed"),
    ],
)
def test_password_policy(policy, password, problem):
    got = check_policy(policy, "admin", password)
    assert (got is None) if problem is None else (problem in got)


@pytest.mark.parametrize(
    ("pattern", "topic", "match"),
    [
        ("a/#", "a/b/c", True),
        ("a/+/c", "a/b/c", True),
        ("a/+", "a/b/c", False),
        ("#", "x", True),
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
    ],
)
def test_mqtt_topic_matching(pattern, topic, match):
    assert topic_matches(pattern, topic) is match


def test_xml_field_reads_namespaced_and_escaped():
    text = '<x:User xmlns:x="u"><x:password>a&amp;b&lt;c</x:password></x:User>'
    assert field(text, "password") == "a&b<c"
    assert field(text, "missing") is None


def test_site_expansion_is_deterministic_and_spreads_over_switches():
    a, b = load_site("clinic", KINDS), load_site("clinic", KINDS)
    assert [(d.name, d.address, d.mac, d.switch_port) for d in a.devices] == [
        (d.name, d.address, d.mac, d.switch_port) for d in b.devices
    ]
    assert {d.switch for d in a.devices} == {"sw-core", "sw-floor2"}
    big = load_site("large", KINDS)
    assert len(big.devices) == 1000
    assert all(
        d.switch_port not in s.uplinks for s in big.switches for d in big.devices if d.switch == s.name
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nsubnet: 127.30.0.0/24\ndevices:\n  - {kind: printer, count: many}\n",
            r"devices\[0\]\.count: 'many'",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\ndevices:\n  - printer\n",
            r"devices\[0\]: 'printer' must be a mapping",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\nswitches:\n  - {name: s, dialect: cisco_ios}\n",
            r"switches\[0\]\.address: is required",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\ndevices:\n  - {kind: printer, vlan: 5000}\n",
            r"vlan: 5000 must be",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\nrouted: {vlans: {1: 127.30.0.0/24, 20: 127.30.0.0/25},"
            " outside: 127.30.250.0/24}\n",
            r"routed\.vlans\.20: 127\.30\.0\.0/25 overlaps routed\.vlans\.1",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\nrouted: {vlans: {1: 127.30.0.0/24, 20: 127.30.16.0/20},"
            " outside: 127.30.250.0/24}\n",
            r"routed\.vlans\.20: 127\.30\.16\.0/20 must be a /24 like `subnet`",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\nrouted: {vlans: {1: 127.30.0.0/24}, outside: 10.0.0.0/24}\n",
            r"routed\.outside: 10\.0\.0\.0/24 must be inside 127\.0\.0\.0/8",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\n"
            "routed: {vlans: {5000: 127.30.0.0/24}, outside: 127.30.9.0/24}\n",
            r"routed\.vlans\.5000: 5000 must be a VLAN id",
        ),
        (
            "name: x\nsubnet: 127.30.0.0/24\nrouted: {vlans: {20: 127.30.20.0/24}, outside: 127.30.9.0/24}\n"
            "switches:\n  - {name: s, dialect: cisco_ios, address: 127.30.0.2}\n",
            r"routed\.vlans: no VLAN's subnet holds switch s's address 127\.30\.0\.2",
        ),
    ],
)
def test_site_file_type_errors_name_field_and_value(tmp_path, text, message):
    from iotlab.errors import LabError

    path = tmp_path / "site.yml"
    path.write_text(text)
    with pytest.raises(LabError, match=message):
        load_site(str(path), KINDS)


def test_a_routed_site_is_parsed_and_not_rebased():
    from iotlab.errors import LabError

    site = load_site("routed", KINDS)
    assert site.routed == {
        "vlans": {
            1: "127.22.0.0/24",
            20: "127.22.20.0/24",
            30: "127.22.30.0/24",
            31: "127.22.31.0/24",
            50: "127.22.50.0/24",
            70: "127.22.70.0/24",
            99: "127.22.99.0/24",
        },
        "outside": "127.22.250.0/24",
    }
    assert load_site("clinic", KINDS).routed is None
    with pytest.raises(LabError, match="a routed site keeps its VLAN subnets"):
        load_site("routed", KINDS, rebase="127.22.64.0/24")


def test_a_site_that_extends_another_keeps_its_devices_and_adds_its_own_keys(tmp_path):
    from iotlab.errors import LabError

    flat, routed = load_site("clinic", KINDS), load_site("clinic-routed", KINDS)
    assert routed.name == flat.name and routed.routed["outside"] == "127.20.250.0/24"
    same = ("name", "kind", "variant", "address", "mac", "switch", "switch_port")
    assert [tuple(getattr(d, k) for k in same) for d in routed.devices] == [
        tuple(getattr(d, k) for k in same) for d in flat.devices
    ]
    for text, message in (
        ("extends: nowhere\n", "no site file nowhere.yml beside this one"),
        ("extends: [clinic]\n", "must name another site file"),
    ):
        path = tmp_path / "variant.yml"
        path.write_text(text)
        with pytest.raises(LabError, match=message):
            load_site(str(path), KINDS)
    (tmp_path / "base.yml").write_text("extends: clinic\n")
    (tmp_path / "variant.yml").write_text("extends: base\n")
    with pytest.raises(LabError, match="one level of extends"):
        load_site(str(tmp_path / "variant.yml"), KINDS)


def test_rebase_moves_every_address():
    site = load_site("clinic", KINDS, rebase="127.20.99.0/24")
    assert site.subnet == "127.20.99.0/24"
    assert all(d.address.startswith("127.20.99.") for d in site.devices)
    assert [s.address for s in site.switches] == ["127.20.99.2", "127.20.99.3"]
