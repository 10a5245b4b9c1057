# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Which device sits on which switch port: address -> MAC -> port.

A switch's MAC table says which MAC is on which port; it does not say which address that
MAC has. The join takes addresses from every source a site has, in this order:

1. DHCP leases and nmap XML (targets that already carry a MAC);
2. the ARP tables of the switches read (``show ip arp`` on IOS, ``show arp`` on ProCurve:
   an L3 switch routing the VLANs knows every host on them, also those learnt by another
   switch);
3. the controller's own neighbour table (``/proc/net/arp``) when it shares the segment.

MAC rows that no source can join are counted per switch in a warning that names the
source which would fix them. Commands per platform are data; netmiko parses the output
with ntc-templates. Ports that carry many MACs (uplinks, trunks) are not a device's port;
``uplink_ports`` names more. Controller-side only.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import (
    Target,
    normalize_mac,
)

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

NEIGHBOUR_TABLE = "/proc/net/arp"
MAX_NEIGHBOURS = 65536


def _first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


class SwitchTables:
    """What one switch said: its device MAC rows and its ARP pairs (both parsed, bounded)."""

    def __init__(self, name, field, mac_rows, arp_pairs, has_arp=True):
        self.name = name
        self.field = field
        self.mac_rows = mac_rows  # [(mac, port, vlan)] of device ports only
        self.arp_pairs = arp_pairs  # [(address, mac)]
        self.has_arp = has_arp


def parse_tables(mac_rows, arp_rows, platform, uplink_ports=(), max_macs_per_port=4):
    """``(device_rows, arp_pairs)`` from parsed MAC and ARP rows: device rows are
    ``(mac, port, vlan)`` on ports that are no uplink and carry at most
    ``max_macs_per_port`` MACs; ARP pairs are ``(address, mac)``."""
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
        port = hostile.text(port, 64)
        per_port.setdefault(port, set()).add(mac)
        macs[mac] = (port, hostile.text(row.get(vlan_k) or "", 8))
    rows = []
    for mac, (port, vlan) in sorted(macs.items()):
        if port in uplink_ports or len(per_port.get(port, ())) > max_macs_per_port:
            continue
        rows.append((mac, port, vlan or None))
    pairs = []
    for row in arp_rows if isinstance(arp_rows, list) else []:
        mac = normalize_mac(row.get(arp_mac_k))
        address = _address(row.get(ip_k))
        if mac and address:
            pairs.append((address, mac))
    return rows, pairs


def _address(value):
    import ipaddress

    try:
        return str(ipaddress.ip_address(hostile.text(value or "", 64).strip()))
    except ValueError:
        return None


def read_neighbours(path=NEIGHBOUR_TABLE):
    """``[(address, mac)]`` of complete entries in the controller's neighbour table (Linux
    ``/proc/net/arp``). A missing table (not Linux, a container without /proc) is empty:
    the controller then shares no segment we can see."""
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            lines = fh.read(8 * 1024 * 1024).splitlines()[1 : MAX_NEIGHBOURS + 1]
    except OSError:
        return []
    out = []
    for line in lines:
        parts = line.split()
        # IP address, HW type, Flags, HW address, Mask, Device; flag 0x2 = complete
        if len(parts) < 6:
            continue
        try:
            complete = int(parts[2], 16) & 0x2
        except ValueError:
            continue
        mac = normalize_mac(parts[3])
        address = _address(parts[0])
        if complete and mac and address and mac != "00:00:00:00:00:00":
            out.append((address, mac))
    return out


def join(found, tables, neighbours=(), given=()):
    """Join switch MAC rows to addresses. ``found``: targets from the other sources (some
    with a MAC); ``tables``: ``SwitchTables``; ``neighbours``: ``(address, mac)`` from the
    controller; ``given``: the names of the sources the run was given (``dhcp_leases``,
    ``nmap_xml``), to say which one would fix a gap.

    Returns ``(targets, warnings)``: one target per joined MAC row, with address, switch,
    port and VLAN, and one warning per switch whose rows could not all be joined.
    """
    address_of = {}
    for t in found:
        if t.mac and t.address:
            address_of.setdefault(t.mac, (t.address, None))
    for table in tables:
        for address, mac in table.arp_pairs:
            address_of.setdefault(mac, (address, "switch_arp:%s" % table.name))
    for address, mac in neighbours:
        address_of.setdefault(mac, (address, "neighbours"))
    out = []
    warnings = []
    any_arp = any(table.arp_pairs for table in tables)
    for table in tables:
        missing = []
        for mac, port, vlan in table.mac_rows:
            hit = address_of.get(mac)
            if hit is None:
                missing.append(mac)
                continue
            t = Target(hit[0], "switch:%s" % table.name, mac=mac)
            if hit[1] and hit[1] not in t.sources:
                t.sources.append(hit[1])
            t.switch = table.name
            t.switch_port = port
            t.vlan = vlan
            out.append(t)
        if missing:
            warnings.append(_gap_warning(table, missing, given, any_arp))
    return out, warnings


def _gap_warning(table, missing, given, any_arp):
    fixes = []
    if "dhcp_leases" not in given:
        fixes.append("dhcp_leases (the DHCP server's lease file for these VLANs)")
    if not table.has_arp or not any_arp:
        fixes.append(
            "the L3 switch or router that routes these VLANs under switches (its ARP table "
            "names every host it routes for)"
        )
    if "nmap_xml" not in given:
        fixes.append("nmap_xml from a scan run on the devices' own segment (nmap learns MACs only there)")
    if not fixes:
        fixes.append(
            "a DHCP lease file or nmap scan that covers these MACs (the ones given do not), "
            "or the ARP table of the router of their VLAN"
        )
    return (
        "%s (%s): %d of %d device MAC rows have no address (e.g. %s): no DHCP lease, nmap XML, "
        "switch ARP table or controller neighbour entry names them, so these devices have no "
        "switch port. Add %s."
        % (
            table.field,
            table.name,
            len(missing),
            len(table.mac_rows),
            ", ".join(missing[:3]),
            "; or ".join(fixes),
        )
    )


def check_spec(spec, index):
    """The options of ``switches[index]``; bad ones raise DiscoveryError naming the field."""
    field = "switches[%d]" % index
    if not isinstance(spec, dict):
        raise DiscoveryError(field, "...", "is not a mapping", "give host, device_type, username, password")
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
    return field, platform


def read_switch(spec, index, timeout):
    """Read one switch's MAC and ARP tables over one netmiko session. Raises
    DiscoveryError on bad options; connection problems raise ``SourceError`` (the caller
    warns and goes on)."""
    from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session

    field, platform = check_spec(spec, index)
    if not netmiko_session.HAS_NETMIKO:
        raise DiscoveryError(
            field, spec.get("host"), "needs the netmiko Python library", "pip install netmiko"
        )
    if not spec.get("username") or not spec.get("password"):
        raise SourceError(
            "%s (%s): username or password is empty; set them (e.g. from a vaulted variable or an "
            "environment lookup) to read this switch" % (field, spec["host"])
        )
    name = hostile.text(spec.get("name") or spec["host"], 64)
    keys = PLATFORMS[platform]
    has_arp = True
    try:
        with netmiko_session.open_session(
            netmiko_session.SwitchAccess.from_spec(spec, platform, timeout), enable=False
        ) as session:
            mac_rows = session.show(keys["mac"], parse=True)
            try:
                arp_rows = session.show(keys["arp"], parse=True)
            except netmiko_session.SessionError:
                # an L2-only switch has no ARP table: its MACs are joined through other sources
                arp_rows, has_arp = [], False
    except netmiko_session.SessionError as exc:
        raise SourceError("%s (%s): %s" % (field, spec["host"], exc)) from None
    rows, pairs = parse_tables(mac_rows, arp_rows, platform, tuple(spec.get("uplink_ports") or ()))
    return SwitchTables(name, field, rows, pairs, has_arp=has_arp and isinstance(arp_rows, list))


class SourceError(Exception):
    """A source failed on its own; the inventory goes on without it (a warning)."""
