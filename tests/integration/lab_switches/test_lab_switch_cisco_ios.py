# SPDX-License-Identifier: GPL-3.0-or-later
"""The cisco_ios simulated switch, driven by netmiko's own cisco_ios driver."""

from __future__ import annotations

import re

import pytest
from netmiko.exceptions import NetmikoAuthenticationException


def _by(rows: list[dict], key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows}


def _macs(conn) -> dict[str, dict]:
    rows = conn.send_command("show mac address-table", use_textfsm=True)
    return {r["destination_address"]: r for r in rows if r["type"] == "DYNAMIC"}


def test_show_commands_parse_with_ntc_templates(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        assert conn.find_prompt() == f"{sw.kwargs['name']}#"  # netmiko entered enable

        version = conn.send_command("show version", use_textfsm=True)
        assert isinstance(version, list)
        assert version[0]["hostname"] == sw.kwargs["name"]
        assert version[0]["version"] == "15.2(7)E4"
        assert version[0]["hardware"] == ["WS-C2960X-48FPD-L"]
        assert version[0]["serial"][0].startswith("FOC")

        vlans = _by(conn.send_command("show vlan brief", use_textfsm=True), "vlan_id")
        assert vlans["1"]["vlan_name"] == "default"
        assert vlans["1"]["interfaces"] == ["Gi1/0/1", *[f"Gi1/0/{n}" for n in range(3, 12)]]
        assert vlans["20"]["interfaces"] == ["Gi1/0/2"]  # the printer's port starts in 20
        assert vlans["1002"]["status"] == "act/unsup"

        macs = _macs(conn)
        assert macs["001a.2b00.0001"]["vlan_id"] == "1"
        assert macs["001a.2b00.0001"]["destination_port"] == ["Gi1/0/1"]
        assert macs["001a.2b00.0002"]["vlan_id"] == "20"
        assert macs["001a.2b00.000b"]["destination_port"] == ["Gi1/0/12"]  # via the trunk

        status = _by(conn.send_command("show interfaces status", use_textfsm=True), "port")
        assert len(status) == 12
        assert status["Gi1/0/1"]["status"] == "connected"
        assert status["Gi1/0/4"]["status"] == "notconnect"
        assert status["Gi1/0/12"]["vlan_id"] == "trunk"

        full = _by(conn.send_command("show vlan", use_textfsm=True), "vlan_id")
        assert set(full) == {"1", "20", "1002", "1003", "1004", "1005"}


def test_vlan_and_access_port_changes_are_state(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        out = conn.send_config_set(
            [
                "vlan 30",
                "name IOT-CAMERAS",
                "int gi1/0/1",  # abbreviated, lower case
                "switchport mode access",
                "switchport access vlan 30",
                "description cam lobby",
                "interface GigabitEthernet1/0/4",
                "shutdown",
            ]
        )
        assert "Invalid input" not in out
        vlans = _by(conn.send_command("show vlan brief", use_textfsm=True), "vlan_id")
        assert vlans["30"]["vlan_name"] == "IOT-CAMERAS"
        assert vlans["30"]["interfaces"] == ["Gi1/0/1"]
        assert "Gi1/0/1" not in vlans["1"]["interfaces"]
        # the camera's MAC followed its port into VLAN 30
        assert _macs(conn)["001a.2b00.0001"]["vlan_id"] == "30"
        status = _by(conn.send_command("show interfaces status", use_textfsm=True), "port")
        assert status["Gi1/0/1"]["name"] == "cam lobby"
        assert status["Gi1/0/1"]["vlan_id"] == "30"
        assert status["Gi1/0/4"]["status"] == "disabled"

        # a VLAN that does not exist yet is created, as IOS does
        out = conn.send_config_set(["int gi1/0/3", "switchport access vlan 40"])
        assert "Access VLAN does not exist. Creating vlan 40" in out
        # deleting a VLAN leaves its ports inactive and their MACs unlearnt
        conn.send_config_set(["no vlan 40"])
        status = _by(conn.send_command("show interfaces status", use_textfsm=True), "port")
        assert status["Gi1/0/3"]["status"] == "inactive"
        assert "001a.2b00.0003" not in _macs(conn)

    port = sw.running["ports"]["Gi1/0/1"]
    assert (port["vlan"], port["description"]) == (30, "cam lobby")
    assert sw.startup["ports"]["Gi1/0/1"]["vlan"] == 1  # nothing saved yet
    assert sw.changes > 1


def test_errors_as_ios_prints_them(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        out = conn.send_command("show vlna", strip_prompt=False)
        prompt = sw.kwargs["name"] + "#"
        caret_line = out.splitlines()[0]
        assert caret_line == " " * (len(prompt) + len("show ")) + "^"
        assert "% Invalid input detected at '^' marker." in out
        assert "% Incomplete command." in conn.send_command("show mac")
        assert '% Ambiguous command:  "c"' in conn.send_command("c")
        out = conn.send_config_set(["interface Gi1/0/99"])
        assert "% Invalid input detected at '^' marker." in out
        assert conn.send_command("sh vl br") == conn.send_command("show vlan brief")


def test_running_config_masks_secrets(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["username ops privilege 15 secret Ops-Pass-77"])
        run = conn.send_command("show running-config")
    assert "Building configuration..." in run
    assert re.search(r"^enable secret 9 \$9\$[./\w]{14}\$[./\w]{43}$", run, re.M)
    assert re.search(r"^username ops privilege 15 secret 9 \$9\$[./\w]{14}\$[./\w]{43}$", run, re.M)
    assert re.search(r"^username admin privilege 1 secret 9 \$9\$", run, re.M)
    for secret in ("Ops-Pass-77", "Factory-Pass1", "Enable-Pass1"):
        assert secret not in run
        assert secret not in repr(sw.state)


def test_only_saved_config_survives_a_restart(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["vlan 30", "name SAVED", "int gi1/0/1", "switchport access vlan 30"])
        out = conn.save_config()
        assert "[OK]" in out
        conn.send_config_set(["vlan 31", "name UNSAVED", "int gi1/0/3", "switchport access vlan 31"])
        assert "name UNSAVED" not in conn.send_command("show startup-config")
    assert sw.startup["vlans"]["30"] == "SAVED"
    sw.restart()
    assert sw.state["boots"] == 2
    with sw.connect() as conn:
        vlans = _by(conn.send_command("show vlan brief", use_textfsm=True), "vlan_id")
        macs = _macs(conn)
    assert vlans["30"]["interfaces"] == ["Gi1/0/1"]
    assert "31" not in vlans
    assert macs["001a.2b00.0001"]["vlan_id"] == "30"
    assert macs["001a.2b00.0003"]["vlan_id"] == "1"


def test_copy_run_start_asks_for_the_destination(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["vlan 50", "name COPIED"])
        out = conn.send_command("copy running-config startup-config", expect_string=r"Destination filename")
        out += conn.send_command("", expect_string=r"#")
    assert "[OK]" in out
    assert sw.startup["vlans"]["50"] == "COPIED"


def test_user_password_change_locks_out_the_old_one(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["username admin privilege 1 secret New-Pass-2"])
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect()  # old password, same session of the switch
    with sw.connect(password="New-Pass-2") as conn:
        assert conn.find_prompt().endswith("#")
    sw.restart()  # not saved: the factory password is back
    with sw.connect() as conn:
        conn.send_config_set(["username admin privilege 1 secret New-Pass-2"])
        conn.save_config()
    sw.restart()
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect()
    with sw.connect(password="New-Pass-2") as conn:
        assert conn.find_prompt().endswith("#")


def test_enable_secret_change_locks_out_the_old_one(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["enable secret 0 Enable-New-3"])
    with sw.connect(enable=False) as conn:
        # the old secret is refused as IOS refuses it: Password: again, then % Bad secrets
        assert conn.find_prompt().endswith(">")
        out = conn.send_command("enable", expect_string=r"Password:")
        for _attempt in range(2):
            out = conn.send_command("Enable-Pass1", expect_string=r"Password:", cmd_verify=False)
        out = conn.send_command("Enable-Pass1", expect_string=r">", cmd_verify=False)
        assert "% Bad secrets" in out
        assert "Enable-Pass1" not in out  # a password prompt does not echo
        out = conn.send_command("enable", expect_string=r"Password:")
        out = conn.send_command("Enable-New-3", expect_string=r"#", cmd_verify=False)
        assert conn.find_prompt().endswith("#")
    with sw.connect(secret="Enable-New-3") as conn:
        assert conn.check_enable_mode()


def test_privilege_15_user_lands_in_enable_mode(make_switch):
    sw = make_switch("cisco_ios", enable_secret=None)
    with sw.connect(enable=False) as conn:
        assert conn.find_prompt().endswith("#")
        assert "enable secret" not in conn.send_command("show running-config")


def test_interface_range_configures_every_port(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        out = conn.send_config_set(
            ["interface range gi1/0/5 - 7 , Gi1/0/9", "switchport access vlan 60", "shutdown"]
        )
        assert "(config-if-range)#" in out
        assert "Invalid" not in out
        vlans = _by(conn.send_command("show vlan brief", use_textfsm=True), "vlan_id")
        out = conn.send_config_set(["interface range gi1/0/5 - 99"])
        assert "% Invalid input detected at '^' marker." in out
    assert vlans["60"]["interfaces"] == ["Gi1/0/5", "Gi1/0/6", "Gi1/0/7", "Gi1/0/9"]
    assert [n for n, p in sw.running["ports"].items() if p["shutdown"]] == [
        "Gi1/0/5",
        "Gi1/0/6",
        "Gi1/0/7",
        "Gi1/0/9",
    ]


def test_trunk_allowed_list_decides_which_macs_it_carries(make_switch):
    sw = make_switch("cisco_ios")  # Gi1/0/12 is the uplink: a trunk allowing 1 and 20
    with sw.connect() as conn:
        assert "001a.2b00.000b" in _macs(conn)  # VLAN 20 over the trunk
        conn.send_config_set(["int gi1/0/12", "switchport trunk allowed vlan remove 20"])
        assert "001a.2b00.000b" not in _macs(conn)
        conn.send_config_set(["int gi1/0/12", "switchport trunk allowed vlan all"])
        assert _macs(conn)["001a.2b00.000b"]["vlan_id"] == "20"
        run = conn.send_command("show running-config")
        out = conn.send_config_set(["int gi1/0/12", "switchport trunk allowed vlan 5000"])
    assert "% Invalid input detected at '^' marker." in out
    assert "interface GigabitEthernet1/0/12\n switchport mode trunk\n!" in run
    assert sw.running["ports"]["Gi1/0/12"]["tagged"] == []


def test_trunk_allowed_list_renders_as_ranges(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["int gi1/0/11", "switchport mode trunk"])
        conn.send_config_set(["int gi1/0/11", "switchport trunk allowed vlan remove 2-9,4000"])
        run = conn.send_command("show running-config")
    assert " switchport trunk allowed vlan 1,10-3999,4001-4094\n switchport mode trunk" in run


def test_saved_state_fits_a_chassis_that_grew_or_shrank(make_switch):
    sw = make_switch("cisco_ios")
    with sw.connect() as conn:
        conn.send_config_set(["int gi1/0/1", "switchport access vlan 30"])
        conn.save_config()
    sw.stop()
    sw.kwargs["interfaces"] = [*sw.kwargs["interfaces"][:10], "Gi1/0/12", "Gi2/0/1"]
    sw.kwargs["mac_table"] = [m for m in sw.kwargs["mac_table"] if m[2] != "Gi1/0/11"]
    sw.start()
    with sw.connect() as conn:
        status = _by(conn.send_command("show interfaces status", use_textfsm=True), "port")
    assert list(status) == sw.kwargs["interfaces"]
    assert status["Gi1/0/1"]["vlan_id"] == "30"  # the saved change survived
    assert status["Gi2/0/1"]["status"] == "notconnect"
    assert "Gi1/0/11" not in sw.startup["ports"]


def test_show_ip_arp_parses_and_follows_the_port(make_switch):
    """An L3 Catalyst's ARP table, as ntc-templates' cisco_ios ``show ip arp`` reads it: the
    resolved hosts on the SVI of the VLAN each is in now, the switch's own address aged '-'."""
    sw = make_switch(
        "cisco_ios",
        arp_table=[("127.99.40.10", "00:1a:2b:00:00:01"), ("127.99.40.11", "00:1a:2b:00:00:02")],
    )
    with sw.connect() as conn:
        rows = _by(conn.send_command("show ip arp", use_textfsm=True), "ip_address")
        assert set(rows) == {sw.kwargs["address"], "127.99.40.10", "127.99.40.11"}
        assert rows[sw.kwargs["address"]]["age"] == "-"
        assert rows["127.99.40.10"]["mac_address"] == "001a.2b00.0001"
        assert rows["127.99.40.10"]["interface"] == "Vlan1"
        assert rows["127.99.40.11"]["interface"] == "Vlan20"
        conn.send_config_set(["interface gi1/0/1", "switchport access vlan 30"])
        rows = _by(conn.send_command("show ip arp", use_textfsm=True), "ip_address")
        assert rows["127.99.40.10"]["interface"] == "Vlan30"
        conn.send_config_set(["interface gi1/0/1", "shutdown"])
        rows = _by(conn.send_command("show ip arp", use_textfsm=True), "ip_address")
        assert "127.99.40.10" not in rows  # aged out with the port down
