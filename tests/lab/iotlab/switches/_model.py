# SPDX-License-Identifier: GPL-3.0-or-later
"""Switch state: the JSON-serialisable config, password hashing, MAC formatting."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import ipaddress
import re
import secrets

SCHEMA = 1
MAX_NAME = 32
MAX_DESCRIPTION = 240

# Cisco's base64 alphabet for type 8/9 secrets ("./0-9A-Za-z" instead of "A-Za-z0-9+/").
_STD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_CISCO = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_CISCO = bytes.maketrans(_STD, _CISCO)
_SALT_CHARS = _CISCO.decode()
_TYPE9 = re.compile(r"^\$9\$([./0-9A-Za-z]{14})\$([./0-9A-Za-z]{43})$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def type9_hash(password: str, salt: str | None = None) -> str:
    """An IOS type 9 secret: scrypt (N=16384, r=1, p=1) in Cisco's base64 alphabet."""
    if salt is None:
        salt = "".join(secrets.choice(_SALT_CHARS) for _char in range(14))
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=16384, r=1, p=1, dklen=32)
    encoded = base64.b64encode(digest).translate(_TO_CISCO).rstrip(b"=").decode()
    return f"$9${salt}${encoded}"


def is_type9(value: str) -> bool:
    return bool(_TYPE9.match(value))


def verify(password: str, stored: str | None) -> bool:
    """Check a password against a stored type 9 hash (constant-time compare)."""
    if not stored:
        return False
    m = _TYPE9.match(stored)
    if not m:
        return False
    return hmac.compare_digest(type9_hash(password, m.group(1)), stored)


def clean_text(value: str, limit: int) -> str:
    """Strip control characters and bound the size of text stored or printed by a switch."""
    return _CONTROL.sub("", value)[:limit]


def mac_cisco(mac: str) -> str:
    h = mac.replace(":", "")
    return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"


def mac_hp(mac: str) -> str:
    h = mac.replace(":", "")
    return f"{h[0:6]}-{h[6:12]}"


def check_mac_table(
    mac_table: list[tuple[str, int, str]], interfaces: list[str]
) -> list[tuple[str, int, str]]:
    """Validate the constructor's MAC table; errors name the entry, the value and the fix."""
    known = set(interfaces)
    out = []
    for i, entry in enumerate(mac_table):
        if not isinstance(entry, (tuple, list)) or len(entry) != 3:
            raise ValueError(
                f"mac_table[{i}]: {entry!r} is not a (mac, vlan, interface) triple; "
                "give e.g. ('aa:bb:cc:dd:ee:ff', 10, 'Gi1/0/5')"
            )
        mac, vlan, iface = entry
        mac = str(mac).lower()
        if not _MAC.match(mac):
            raise ValueError(
                f"mac_table[{i}]: mac {entry[0]!r} is not colon-separated hex; "
                "write it as 'aa:bb:cc:dd:ee:ff'"
            )
        if not isinstance(vlan, int) or isinstance(vlan, bool) or not 1 <= vlan <= 4094:
            raise ValueError(f"mac_table[{i}]: vlan {vlan!r} is not an integer from 1 to 4094")
        if iface not in known:
            raise ValueError(
                f"mac_table[{i}]: interface {iface!r} is not one of this switch's interfaces; "
                f"use one of {sorted(known)[:6]}..."
            )
        out.append((mac, vlan, iface))
    return out


def factory_config(
    *,
    hostname: str,
    dialect: str,
    interfaces: list[str],
    mac_table: list[tuple[str, int, str]],
    username: str,
    password: str,
    enable_secret: str | None,
) -> dict:
    """The config a switch boots with the first time: every port in VLAN 1, except that a
    port whose MACs all sit in one VLAN is an access port of that VLAN, and a port with MACs
    in several VLANs is a trunk (an uplink)."""
    default_name = "default" if dialect == "cisco_ios" else "DEFAULT_VLAN"
    cfg: dict = {"hostname": hostname, "vlans": {"1": default_name}, "ports": {}}
    reconcile_ports(cfg, dialect, interfaces, mac_table)
    if dialect == "cisco_ios":
        users = {username: {"level": 1 if enable_secret is not None else 15}}
    else:
        users = {username: {"level": "manager"}}
    users[username]["secret"] = type9_hash(password)
    cfg["users"] = users
    cfg["enable_secret"] = type9_hash(enable_secret) if enable_secret is not None else None
    return cfg


def reconcile_ports(
    cfg: dict, dialect: str, interfaces: list[str], mac_table: list[tuple[str, int, str]]
) -> bool:
    """Fit a config to the chassis: ports it lacks get factory settings (see
    factory_config), ports the chassis no longer has are dropped. True if it changed."""
    by_port: dict[str, set[int]] = {}
    for _mac, vlan, iface in mac_table:
        by_port.setdefault(iface, set()).add(vlan)
    changed = False
    for iface in [p for p in cfg["ports"] if p not in set(interfaces)]:
        del cfg["ports"][iface]
        changed = True
    for iface in interfaces:
        if iface in cfg["ports"]:
            continue
        seen = by_port.get(iface, set())
        port = {"description": "", "shutdown": False, "mode": "access", "vlan": 1, "tagged": []}
        if len(seen) == 1:
            port["vlan"] = next(iter(seen))
        elif len(seen) > 1:
            port["mode"] = "trunk"
            port["tagged"] = sorted(v for v in seen if v != 1)
        cfg["ports"][iface] = port
        for vlan in seen:
            cfg["vlans"].setdefault(str(vlan), default_vlan_name(dialect, vlan))
        changed = True
    return changed


def default_vlan_name(dialect: str, vlan: int) -> str:
    return f"VLAN{vlan:04d}" if dialect == "cisco_ios" else f"VLAN{vlan}"


def clone(cfg: dict) -> dict:
    return copy.deepcopy(cfg)


def sorted_vlans(cfg: dict) -> list[int]:
    return sorted(int(v) for v in cfg["vlans"])


def check_arp_table(arp_table: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """Validate the constructor's ARP table: (IPv4 address, MAC) pairs."""
    out = []
    for i, entry in enumerate(arp_table or []):
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            raise ValueError(
                f"arp_table[{i}]: {entry!r} is not an (address, mac) pair; "
                "give e.g. ('127.20.0.10', 'aa:bb:cc:dd:ee:ff')"
            )
        address, mac = str(entry[0]), str(entry[1]).lower()
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ValueError(f"arp_table[{i}]: address {entry[0]!r} is not an IPv4 address") from None
        if not _MAC.match(mac):
            raise ValueError(
                f"arp_table[{i}]: mac {entry[1]!r} is not colon-separated hex; "
                "write it as 'aa:bb:cc:dd:ee:ff'"
            )
        out.append((address, mac))
    return out


def arp_entries(
    cfg: dict, mac_table: list[tuple[str, int, str]], arp_table: list[tuple[str, str]]
) -> list[tuple[str, str, int, str]]:
    """(address, mac, vlan, port) the switch has resolved and still hears: an address whose
    MAC it no longer learns (shut port, deleted VLAN) ages out, as on a real L3 switch."""
    learnt = {mac: (vlan, iface) for vlan, mac, iface in mac_entries(cfg, mac_table)}
    out = []
    for address, mac in arp_table:
        if mac in learnt:
            vlan, iface = learnt[mac]
            out.append((address, mac, vlan, iface))
    return sorted(out, key=lambda e: ipaddress.IPv4Address(e[0]))


def mac_entries(cfg: dict, mac_table: list[tuple[str, int, str]]) -> list[tuple[int, str, str]]:
    """(vlan, mac, port) a switch has learnt now. A MAC on an access port shows in that
    port's (untagged) VLAN, so it moves when the port moves; on a trunk it shows in its own
    VLAN when the trunk carries it. Shut ports and VLANs that do not exist learn nothing."""
    out = []
    for mac, vlan, iface in mac_table:
        port = cfg["ports"][iface]
        if port["shutdown"]:
            continue
        if port["mode"] == "access":
            shown = port["vlan"]
        elif vlan == port["vlan"] or vlan in port["tagged"] or not port["tagged"]:
            # a trunk with no allowed list carries every VLAN (IOS's default)
            shown = vlan
        else:
            continue
        if shown is None or str(shown) not in cfg["vlans"]:
            continue
        out.append((shown, mac, iface))
    return sorted(out)
