# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Which device sits on which switch port: MAC and ARP tables read through netmiko.

Commands per platform are data; netmiko parses their output with ntc-templates
(``use_textfsm=True``). Ports that carry many MACs (uplinks, trunks) are not a device's
port; ``uplink_ports`` names more. Controller-side only.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import (
    Target,
    normalize_mac,
)

try:
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    HAS_NETMIKO = True
    NETMIKO_ERRORS = (NetmikoAuthenticationException, NetmikoTimeoutException)
    try:
        from paramiko.ssh_exception import SSHException

        NETMIKO_ERRORS += (SSHException,)
    except ImportError:  # pragma: no cover - netmiko depends on paramiko
        pass
except ImportError:  # pragma: no cover - reported by read_switch()
    HAS_NETMIKO = False
    NETMIKO_ERRORS = ()

try:
    from textfsm.parser import Error as TextFSMError
except ImportError:  # pragma: no cover - comes with netmiko

    class TextFSMError(Exception):
        pass


# device_type -> (MAC table command, ARP table command, key names in the parsed rows)
PLATFORMS = {
    "cisco_ios": {
        "mac": "show mac address-table",
        "arp": "show ip arp",
        "mac_keys": ("destination_address", "destination_port", "vlan_id"),
        "arp_keys": ("ip_address", "mac_address"),
    },
    "cisco_nxos": {
        "mac": "show mac address-table",
        "arp": "show ip arp",
        "mac_keys": ("mac_address", "ports", "vlan_id"),
        "arp_keys": ("ip_address", "mac_address"),
    },
    "hp_procurve": {
        "mac": "show mac-address",
        "arp": "show arp",
        "mac_keys": ("mac_address", "port", "vlan_id"),
        "arp_keys": ("ip_address", "mac_address"),
    },
}


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def parse_tables(mac_rows, arp_rows, platform, switch_name, uplink_ports=(), max_macs_per_port=4):
    """Targets (address, MAC, switch, port, VLAN) from parsed MAC and ARP rows."""
    keys = PLATFORMS[platform]
    mac_k, port_k, vlan_k = keys["mac_keys"]
    ip_k, arp_mac_k = keys["arp_keys"]
    per_port = {}
    macs = {}
    for row in mac_rows if isinstance(mac_rows, list) else []:
        mac = normalize_mac(row.get(mac_k))
        port = _first(row.get(port_k))
        if not mac or not port or str(port).upper() == "CPU":
            continue
        per_port.setdefault(port, set()).add(mac)
        macs[mac] = (str(port), str(row.get(vlan_k) or ""))
    ip_of = {}
    for row in arp_rows if isinstance(arp_rows, list) else []:
        mac = normalize_mac(row.get(arp_mac_k))
        if mac and row.get(ip_k):
            ip_of.setdefault(mac, row[ip_k])
    out = []
    for mac, (port, vlan) in sorted(macs.items()):
        if port in uplink_ports or len(per_port.get(port, ())) > max_macs_per_port:
            continue
        # no address: the caller joins it by MAC with other sources (DHCP, nmap)
        t = Target(ip_of.get(mac), "switch:%s" % switch_name, mac=mac)
        t.switch = switch_name
        t.switch_port = port
        t.vlan = vlan or None
        out.append(t)
    return out


def read_switch(spec, index, timeout):
    """Connect with netmiko, read both tables, return targets. Raises DiscoveryError on bad
    options; connection problems raise ``SourceError`` (the caller warns and goes on)."""
    field = "switches[%d]" % index
    if not HAS_NETMIKO:
        raise DiscoveryError(
            field, spec.get("host"), "needs the netmiko Python library", "pip install netmiko"
        )
    platform = spec.get("device_type", "cisco_ios")
    if platform not in PLATFORMS:
        raise DiscoveryError(
            field + ".device_type",
            platform,
            "is not supported",
            "use one of %s" % ", ".join(sorted(PLATFORMS)),
        )
    if not spec.get("host"):
        raise DiscoveryError(field + ".host", spec.get("host"), "is missing", "give the switch's address")
    if not spec.get("username") or not spec.get("password"):
        raise SourceError(
            "%s (%s): username or password is empty; set them (e.g. from a vaulted variable or an "
            "environment lookup) to read this switch" % (field, spec["host"])
        )
    params = {
        "device_type": platform,
        "host": spec["host"],
        "port": int(spec.get("port") or 22),
        "username": spec.get("username"),
        "password": spec.get("password"),
        "secret": spec.get("secret") or "",
        "conn_timeout": timeout,
        "auth_timeout": timeout,
        "banner_timeout": timeout,
        "read_timeout_override": timeout,
        "fast_cli": True,
    }
    name = spec.get("name") or spec["host"]
    keys = PLATFORMS[platform]
    try:
        conn = ConnectHandler(**params)
        try:
            mac_rows = conn.send_command(keys["mac"], use_textfsm=True)
            try:
                arp_rows = conn.send_command(keys["arp"], use_textfsm=True)
            except TextFSMError:
                # an L2-only switch has no ARP table: its MACs are joined through other sources
                arp_rows = []
        finally:
            conn.disconnect()
    except NETMIKO_ERRORS as exc:
        raise SourceError("%s (%s): %s" % (field, spec["host"], str(exc).splitlines()[0][:200])) from None
    except (OSError, EOFError, ValueError, TextFSMError) as exc:
        raise SourceError("%s (%s): %s" % (field, spec["host"], str(exc)[:200])) from None
    return parse_tables(mac_rows, arp_rows, platform, name, tuple(spec.get("uplink_ports") or ()))


class SourceError(Exception):
    """A source failed on its own; the inventory goes on without it (a warning)."""
