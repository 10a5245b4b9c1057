# SPDX-License-Identifier: GPL-3.0-or-later
"""The hp_procurve simulated switch, driven by netmiko's own hp_procurve driver."""

from __future__ import annotations

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException


def _by(rows: list[dict], key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows}


def test_login_banner_and_show_commands_parse(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        # netmiko got past "Press any key to continue" and into the manager level
        assert conn.find_prompt() == sw.kwargs["name"] + "#"

        vlans = _by(conn.send_command("show vlans", use_textfsm=True), "vlan_id")
        assert vlans["1"]["vlan_name"] == "DEFAULT_VLAN"
        assert vlans["20"]["vlan_name"] == "VLAN20"
        assert vlans["20"]["status"] == "Port-based"

        macs = _by(conn.send_command("show mac-address", use_textfsm=True), "mac_address")
        assert macs["001a2b-000001"] == {"mac_address": "001a2b-000001", "port": "1", "vlan_id": "1"}
        assert macs["001a2b-000002"]["vlan_id"] == "20"
        assert macs["001a2b-00000b"]["port"] == "12"

        ports = _by(conn.send_command("show interfaces brief", use_textfsm=True), "port")
        assert len(ports) == 12
        assert (ports["1"]["enabled"], ports["1"]["status"]) == ("Yes", "Up")
        assert ports["4"]["status"] == "Down"

        assert "YA.16.10.0009" in conn.send_command("show version")


def test_banner_asks_for_a_key_before_the_prompt(make_switch):
    sw = make_switch("hp_procurve")
    client, chan = _shell(sw, "admin", "Factory-Pass1")
    try:
        seen = b""
        while b"any key to continue" not in seen:
            seen += chan.recv(4096)
        assert b"Copyright" in seen
        assert b"#" not in seen  # no prompt until a key is pressed
        chan.send(b" ")
        while not seen.rstrip().endswith(b"#"):
            seen += chan.recv(4096)
        assert seen.rstrip().endswith(sw.kwargs["name"].encode() + b"#")
    finally:
        client.close()


def test_vlan_and_untagged_port_changes_are_state(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        out = conn.send_config_set(
            [
                'vlan 30 name "IOT Cameras"',
                "vlan 30 untagged 1",
                "vlan 40",
                "untagged 3-4",
                "interface 5",
                "disable",
                'name "spare port"',
            ]
        )
        assert "Invalid input" not in out
        vlans = _by(conn.send_command("show vlans", use_textfsm=True), "vlan_id")
        assert vlans["30"]["vlan_name"] == "IOT Cameras"
        assert vlans["40"]["vlan_name"] == "VLAN40"
        macs = _by(conn.send_command("show mac-address", use_textfsm=True), "mac_address")
        assert macs["001a2b-000001"]["vlan_id"] == "30"  # moved with its port
        assert macs["001a2b-000003"]["vlan_id"] == "40"
        ports = _by(conn.send_command("show interfaces brief", use_textfsm=True), "port")
        assert ports["5"]["enabled"] == "No"
        run = conn.send_command("show running-config")
        assert 'vlan 30\n   name "IOT Cameras"\n   untagged 1\n' in run
        assert "   untagged 3-4\n" in run
        assert 'interface 5\n   disable\n   name "spare port"' in run

        conn.send_config_set(["no vlan 40"])
        macs = _by(conn.send_command("show mac-address", use_textfsm=True), "mac_address")
        assert macs["001a2b-000003"]["vlan_id"] == "1"  # back to DEFAULT_VLAN
        assert "Invalid input: vlna" in conn.send_command("show vlna")
        assert "Module not present" in conn.send_config_set(["vlan 30 untagged 99"])
    assert sw.running["ports"]["1"]["vlan"] == 30
    assert sw.startup["ports"]["1"]["vlan"] == 1


def test_only_saved_config_survives_a_restart(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        conn.send_config_set(["vlan 30 name SAVED", "vlan 30 untagged 1"])
        conn.save_config()
        conn.send_config_set(["vlan 31 name UNSAVED", "vlan 31 untagged 3"])
        startup = conn.send_command("show config")
        assert "SAVED" in startup
        assert "UNSAVED" not in startup
    sw.restart()
    with sw.connect() as conn:
        vlans = _by(conn.send_command("show vlans", use_textfsm=True), "vlan_id")
        macs = _by(conn.send_command("show mac-address", use_textfsm=True), "mac_address")
    assert vlans["30"]["vlan_name"] == "SAVED"
    assert "31" not in vlans
    assert macs["001a2b-000001"]["vlan_id"] == "30"


def test_logout_offers_to_save_unsaved_changes(make_switch):
    sw = make_switch("hp_procurve")
    conn = sw.connect()
    conn.send_config_set(["vlan 60 name ASKED"])
    conn.write_channel("logout\n")
    out = conn.read_until_pattern(r"Do you want to save the current configuration")
    conn.write_channel("y")
    out += conn.read_until_pattern(r"Do you want to log out")
    conn.write_channel("y")
    conn.paramiko_cleanup()  # the switch hung up; netmiko's cleanup would talk to it again
    assert sw.startup["vlans"]["60"] == "ASKED"


def test_manager_password_change_locks_out_the_old_one(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        out = conn.send_config_set(["password manager user-name admin plaintext New-Pass-4"])
        assert "New-Pass-4" not in conn.send_command("show running-config")
        assert "Invalid" not in out
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect()
    with sw.connect(password="New-Pass-4") as conn:
        assert conn.find_prompt().endswith("#")
    assert "New-Pass-4" not in repr(sw.state)


def test_operator_level_is_not_the_manager_level(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        conn.send_config_set(["password operator user-name viewer plaintext View-Pass-5"])
    # The operator logs in (no authentication error) but lands at ">", and netmiko's
    # driver cannot elevate: `enable` wants the manager's user name and password.
    with pytest.raises(ValueError, match="Failed to enter enable mode"):
        sw.connect(username="viewer", password="View-Pass-5", secret="View-Pass-5")
    assert sw.running["users"]["viewer"]["level"] == "operator"


def test_show_vlans_of_one_vlan_lists_its_ports(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        conn.send_config_set(["vlan 20 untagged 3"])
        out = conn.send_command("show vlans 20")
        assert "VLAN 99 is not configured." in conn.send_command("show vlans 99")
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [
        ["2", "Untagged", "Learn", "Up"],
        ["3", "Untagged", "Learn", "Up"],
        ["12", "Tagged", "Learn", "Up"],
    ]
    assert "  Name : VLAN20" in out


def _shell(sw, username, password):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - lab switch
    client.connect(
        sw.kwargs["address"],
        port=sw.kwargs["port"],
        username=username,
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    chan = client.invoke_shell(width=511, height=1000)
    chan.settimeout(5)
    return client, chan


def _until(chan, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        seen += chan.recv(4096)
    return seen


def test_operator_enables_with_the_managers_name_and_password(make_switch):
    sw = make_switch("hp_procurve")
    with sw.connect() as conn:
        conn.send_config_set(["password operator user-name viewer plaintext View-Pass-5"])
    client, chan = _shell(sw, "viewer", "View-Pass-5")
    try:
        _until(chan, b"any key to continue")
        chan.send(b"\n")
        _until(chan, b"> ")
        chan.send(b"configure\n")
        assert b"Invalid input: configure" in _until(chan, b"> ")
        chan.send(b"enable\n")
        _until(chan, b"Username: ")
        chan.send(b"admin\n")
        _until(chan, b"Password: ")
        chan.send(b"Factory-Pass1\n")
        out = _until(chan, b"# ")
        assert b"Factory-Pass1" not in out
        assert out.rstrip().endswith(sw.kwargs["name"].encode() + b"#")
    finally:
        client.close()


def test_show_arp_parses_with_ntc_templates(make_switch):
    """A 2530 routing its VLANs: ``show arp`` as ntc-templates' hp_procurve template reads it."""
    sw = make_switch(
        "hp_procurve",
        arp_table=[("127.99.41.10", "00:1a:2b:00:00:01"), ("127.99.41.12", "00:1a:2b:00:00:03")],
    )
    with sw.connect() as conn:
        rows = {r["ip_address"]: r for r in conn.send_command("show arp", use_textfsm=True)}
        assert set(rows) == {"127.99.41.10", "127.99.41.12"}
        assert rows["127.99.41.10"]["mac_address"] == "001a2b-000001"
        assert rows["127.99.41.10"]["port"] == "1"
        assert rows["127.99.41.12"]["port"] == "3"
        assert rows["127.99.41.12"]["type"] == "dynamic"
