# SPDX-License-Identifier: GPL-3.0-or-later
"""The site's switches, through netmiko: the MAC table the site gave them, faults set through
the site's control channel, and saved config surviving a site restart.
"""

from __future__ import annotations

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

pytestmark = pytest.mark.lab


def connect(sw: dict, **extra):
    return ConnectHandler(
        device_type=sw["dialect"],
        host=sw["address"],
        port=sw["ssh_port"],
        username=sw["username"],
        password=sw["password"],
        secret=sw["enable_secret"] or "",
        timeout=20,
        conn_timeout=10,
        auth_timeout=10,
        banner_timeout=10,
        fast_cli=False,
        **extra,
    )


def dotted(mac: str) -> str:
    h = mac.replace(":", "")
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


def test_cisco_mac_table_matches_ground_truth(lab_site):
    sw = lab_site.switch("sw-core")
    with connect(sw) as conn:
        conn.enable()
        rows = conn.send_command("show mac address-table", use_textfsm=True)
    assert isinstance(rows, list) and rows, rows
    seen = {
        r["destination_address"]: r["destination_port"][0]
        if isinstance(r["destination_port"], list)
        else r["destination_port"]
        for r in rows
    }
    for entry in sw["mac_table"]:
        assert seen.get(dotted(entry["mac"])) == entry["interface"], entry


def test_procurve_answers_and_login_fault(lab_site):
    sw = lab_site.switch("sw-floor2")
    with connect(sw) as conn:
        out = conn.send_command("show vlans")
    assert "DEFAULT_VLAN" in out
    lab_site.fault("sw-floor2", "login", "reject", times=1)
    with pytest.raises(NetmikoAuthenticationException):
        connect(sw)
    with connect(sw) as conn:  # the fault fired once and cleared itself
        assert conn.find_prompt().endswith(("#", ">"))


def test_saved_switch_config_survives_site_restart(lab_site):
    sw = lab_site.switch("sw-core")
    port = sw["mac_table"][0]["interface"]
    with connect(sw) as conn:
        conn.enable()
        conn.send_config_set(["vlan 30", "name CAMERAS", f"interface {port}", "switchport access vlan 30"])
        moved = next(
            d for d in lab_site.refresh()["devices"] if d["switch_port"] == port and d["switch"] == "sw-core"
        )
        assert (moved["vlan"], moved["vlan_saved"]) == (30, 1)  # running, not yet saved
        conn.save_config()
    lab_site.restart()
    sw = lab_site.switch("sw-core")
    with connect(sw) as conn:
        conn.enable()
        rows = conn.send_command("show vlan brief", use_textfsm=True)
    cams = next(r for r in rows if r["vlan_id"] == "30")
    assert cams["vlan_name"] == "CAMERAS" and port in cams["interfaces"]
    moved = next(
        d for d in lab_site.refresh()["devices"] if d["switch_port"] == port and d["switch"] == "sw-core"
    )
    assert (moved["vlan"], moved["vlan_saved"]) == (30, 30)
