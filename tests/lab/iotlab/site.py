# SPDX-License-Identifier: GPL-3.0-or-later
"""Site files (``tests/lab/sites/*.yml``) expanded into concrete device and switch specs.

Expansion is deterministic: the same file always gives the same names, addresses, MACs and
switch ports, so ground truth is stable across runs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import LabError

SITES_DIR = Path(__file__).resolve().parent.parent / "sites"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
DIALECT_PORT_NAMES = {
    "cisco_ios": lambda n: f"Gi{(n - 1) // 48 + 1}/0/{(n - 1) % 48 + 1}",  # a stack of 48-port members
    "hp_procurve": str,
}


@dataclass
class DeviceSpec:
    name: str
    kind: str
    variant: str
    address: str
    mac: str = ""
    switch: str | None = None
    switch_port: str | None = None
    vlan: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class SwitchSpec:
    name: str
    dialect: str
    address: str
    port: int
    username: str
    password: str
    enable_secret: str | None
    interfaces: list[str]
    uplinks: list[str]
    mac: str = ""


@dataclass
class Site:
    name: str
    description: str
    subnet: str
    devices: list[DeviceSpec]
    switches: list[SwitchSpec]
    source: Path | None = None
    #: a routed site: ``{"vlans": {id: subnet}, "outside": subnet}`` (see netns.py); None: flat
    routed: dict[str, Any] | None = None

    def device(self, name: str) -> DeviceSpec:
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(name)


def mac_for(oui: str, site: str, name: str) -> str:
    tail = hashlib.sha256(f"{site}/{name}".encode()).hexdigest()[:6]
    return f"{oui.lower()}:{tail[0:2]}:{tail[2:4]}:{tail[4:6]}"


def site_path(site: str) -> Path:
    p = Path(site)
    if p.suffix in (".yml", ".yaml") or "/" in site:
        return p
    return SITES_DIR / f"{site}.yml"


def _err(src: Path, where: str, msg: str) -> LabError:
    return LabError(f"{src}: {where}: {msg}")


def _int(src: Path, where: str, item: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _err(src, f"{where}.{key}", f"{value!r} must be a whole number from {lo} to {hi}")
    return value


def _mapping(src: Path, where: str, item: Any, required: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _err(src, where, f"{item!r} must be a mapping (key: value)")
    for key in required:
        if key not in item:
            raise _err(src, f"{where}.{key}", "is required")
    return item


def rebase_doc(doc: dict[str, Any], subnet: str, src: Path) -> None:
    """Move every address of a parsed site file into ``subnet`` (same size), in place.

    Lets a second copy of a site run beside the first (another engineer's test run).
    """
    try:
        old, new = ipaddress.ip_network(str(doc.get("subnet"))), ipaddress.ip_network(subnet)
    except ValueError as exc:
        raise _err(src, "rebase", f"{subnet!r} is not a network ({exc})") from exc
    if new.prefixlen > old.prefixlen or not new.subnet_of(ipaddress.ip_network("127.0.0.0/8")):
        raise _err(src, "rebase", f"{new} must be inside 127.0.0.0/8 and at least as large as {old}")

    def move(addr: Any) -> str:
        return str(new.network_address + (int(ipaddress.ip_address(str(addr))) - int(old.network_address)))

    doc["subnet"] = str(new)
    if "first_device_address" in doc:
        doc["first_device_address"] = move(doc["first_device_address"])
    for item in [*(doc.get("switches") or []), *(doc.get("devices") or [])]:
        if "address" in item:
            item["address"] = move(item["address"])


def _extended(src: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """``extends: <site>``: that site file's keys, with this file's keys over them (one level:
    a variant of a site, e.g. the same devices behind a gateway)."""
    if "extends" not in doc:
        return doc
    base_name = doc["extends"]
    if not isinstance(base_name, str) or not NAME_RE.match(base_name):
        raise _err(src, "extends", f"{base_name!r} must name another site file of {src.parent}")
    base_src = src.parent / f"{base_name}.yml"
    if base_src == src or not base_src.is_file():
        raise _err(src, "extends", f"{base_name!r}: no site file {base_src.name} beside this one")
    try:
        base = yaml.safe_load(base_src.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LabError(f"{base_src}: not valid YAML: {exc}") from exc
    if not isinstance(base, dict) or "extends" in base:
        raise _err(src, "extends", f"{base_src.name} must be a plain site file (one level of extends)")
    return {**base, **{k: v for k, v in doc.items() if k != "extends"}}


def load_site(site: str | Path, kinds: dict[str, Any] | None = None, rebase: str | None = None) -> Site:
    """Parse and expand a site file; ``kinds`` (kind -> device class) validates variants;
    ``rebase`` moves the whole site to another loopback subnet of the same size."""
    src = site_path(str(site))
    if not src.is_file():
        known = ", ".join(sorted(p.stem for p in SITES_DIR.glob("*.yml")))
        raise LabError(f"site {site!r} not found ({src}); known sites: {known}")
    try:
        doc = yaml.safe_load(src.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LabError(f"{src}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise _err(src, "top level", "must be a mapping with name, subnet, switches, devices")
    doc = _extended(src, doc)
    if rebase:
        if doc.get("routed"):
            raise _err(src, "rebase", "a routed site keeps its VLAN subnets; copy the file and edit them")
        rebase_doc(doc, rebase, src)
    name = str(doc.get("name", ""))
    if not NAME_RE.match(name):
        raise _err(src, "name", f"{name!r} must be lower-case letters, digits and '-'")
    try:
        net = ipaddress.ip_network(str(doc.get("subnet", "")))
    except ValueError as exc:
        raise _err(
            src, "subnet", f"{doc.get('subnet')!r} is not a network ({exc}); use e.g. 127.20.0.0/24"
        ) from exc
    if not net.subnet_of(ipaddress.ip_network("127.0.0.0/8")):
        raise _err(src, "subnet", f"{net} is outside 127.0.0.0/8; the lab binds loopback addresses only")

    used: set[str] = set()

    def take(addr: str | None, where: str) -> str:
        if addr is None:
            raise _err(src, where, "no address left in the subnet; widen `subnet` or lower `count`")
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            raise _err(src, where, f"address {addr!r} is not an IPv4 address; use one inside {net}") from None
        if ip not in net:
            raise _err(src, where, f"address {addr} is outside subnet {net}")
        if addr in used:
            raise _err(src, where, f"address {addr} is used twice")
        used.add(addr)
        return addr

    hosts = (str(h) for h in net.hosts() if h.packed[-1] not in (0, 255))
    first = ipaddress.ip_address(doc.get("first_device_address", str(net.network_address + 10)))

    def next_free() -> str | None:
        for h in hosts:
            if ipaddress.ip_address(h) >= first and h not in used:
                return h
        return None

    switches: list[SwitchSpec] = []
    for i, sw in enumerate(doc.get("switches") or []):
        where = f"switches[{i}]"
        sw = _mapping(src, where, sw, ("name", "dialect", "address"))
        dialect = sw.get("dialect")
        if dialect not in DIALECT_PORT_NAMES:
            raise _err(
                src,
                f"{where}.dialect",
                f"{dialect!r} is not supported; use {' or '.join(DIALECT_PORT_NAMES)}",
            )
        count = _int(src, where, sw, "ports", 24, 2, 528)
        names = [DIALECT_PORT_NAMES[dialect](n) for n in range(1, count + 1)]
        uplinks = names[-_int(src, where, sw, "uplinks", 1, 1, count - 1) :]
        switches.append(
            SwitchSpec(
                name=str(sw["name"]),
                dialect=dialect,
                address=take(str(sw["address"]), f"{where}.address"),
                port=_int(src, where, sw, "ssh_port", 22, 1, 65535),
                username=str(sw.get("username", "admin")),
                password=str(sw.get("password", "admin")),
                enable_secret=None if sw.get("enable_secret") is None else str(sw["enable_secret"]),
                interfaces=names,
                uplinks=uplinks,
                mac=mac_for(str(sw.get("oui", "00:1b:54")), name, str(sw["name"])),
            )
        )
    free_ports = {s.name: [p for p in s.interfaces if p not in s.uplinks] for s in switches}
    rr = 0

    devices: list[DeviceSpec] = []
    names: set[str] = set()
    for i, group in enumerate(doc.get("devices") or []):
        where = f"devices[{i}]"
        group = _mapping(src, where, group, ("kind",))
        kind = group.get("kind")
        if kinds is not None and kind not in kinds:
            raise _err(
                src, f"{where}.kind", f"{kind!r} is not a device kind; use one of {', '.join(sorted(kinds))}"
            )
        cls = kinds.get(kind) if kinds else None
        variant = str(group.get("variant") or (next(iter(cls.VARIANTS)) if cls else ""))
        if cls is not None and variant not in cls.VARIANTS:
            raise _err(
                src,
                f"{where}.variant",
                f"{variant!r} is not a {kind} variant; use one of {', '.join(cls.VARIANTS)}",
            )
        count = _int(src, where, group, "count", 1, 1, 100000)
        if "name" in group and count != 1:
            raise _err(src, where, "`name` names one device; use `prefix` with `count`")
        overrides = {
            k: group[k]
            for k in ("settings", "users", "lockout", "policy", "weaknesses", "port_mappings")
            if k in group
        }
        delay = group.get("login_failure_delay", doc.get("login_failure_delay"))
        if delay is not None:
            if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not 0 <= delay <= 30:
                raise _err(
                    src,
                    f"{where}.login_failure_delay",
                    f"{delay!r} must be seconds between 0 and 30 (BusyBox login pauses 3)",
                )
            overrides["login_failure_delay"] = float(delay)
        for n in range(1, count + 1):
            width = max(2, len(str(count)))
            dname = str(group["name"]) if "name" in group else f"{group.get('prefix', kind)}-{n:0{width}d}"
            if not NAME_RE.match(dname) or dname in names:
                raise _err(src, f"{where}.name", f"{dname!r} is invalid or repeated")
            names.add(dname)
            addr = take(str(group["address"]) if "address" in group and count == 1 else next_free(), where)
            spec = DeviceSpec(
                dname,
                kind,
                variant,
                addr,
                vlan=_int(src, where, group, "vlan", 1, 1, 4094),
                overrides=overrides,
            )
            oui = (cls.VARIANTS[variant].get("oui") if cls else None) or "02:00:00"
            spec.mac = mac_for(oui, name, dname)
            if switches and group.get("switch", "auto") is not None:
                wanted = group.get("switch", "auto")
                order = [s.name for s in switches]
                candidates = (
                    [wanted] if wanted != "auto" else order[rr % len(order) :] + order[: rr % len(order)]
                )
                for sname in candidates:
                    if sname not in free_ports:
                        raise _err(src, f"{where}.switch", f"{sname!r} is not a switch of this site")
                    if free_ports[sname]:
                        spec.switch, spec.switch_port = sname, free_ports[sname].pop(0)
                        break
                else:
                    raise _err(
                        src, f"{where}.switch", f"no free access port left for {dname}; add switch ports"
                    )
                rr += 1
            devices.append(spec)
    routed = _routed(src, doc.get("routed"), net) if doc.get("routed") is not None else None
    if routed:
        for sw in switches:
            if not any(
                ipaddress.ip_address(sw.address) in ipaddress.ip_network(s) for s in routed["vlans"].values()
            ):
                raise _err(
                    src, "routed.vlans", f"no VLAN's subnet holds switch {sw.name}'s address {sw.address}"
                )
    return Site(name, str(doc.get("description", "")), str(net), devices, switches, src, routed)


def _routed(src: Path, item: Any, net: ipaddress.IPv4Network) -> dict[str, Any]:
    """``routed: {vlans: {<id>: <subnet>}, outside: <subnet>}``: every subnet inside
    127.0.0.0/8, none overlapping; a VLAN's subnet has the size of ``subnet`` (a device keeps
    its host part on every VLAN)."""
    item = _mapping(src, "routed", item, ("vlans", "outside"))
    unknown = sorted(set(item) - {"vlans", "outside"})
    if unknown:
        raise _err(src, f"routed.{unknown[0]}", "is not a key of routed (vlans, outside)")
    if not isinstance(item["vlans"], dict) or not item["vlans"]:
        raise _err(src, "routed.vlans", "must map VLAN ids to subnets, e.g. {1: 127.20.0.0/24}")
    seen: list[tuple[str, ipaddress.IPv4Network]] = []
    vlans: dict[int, str] = {}

    def network(where: str, value: Any) -> ipaddress.IPv4Network:
        try:
            sub = ipaddress.ip_network(str(value))
        except ValueError as exc:
            raise _err(src, where, f"{value!r} is not a network ({exc}); use e.g. 127.20.30.0/24") from exc
        if not sub.subnet_of(ipaddress.ip_network("127.0.0.0/8")) or ipaddress.ip_address("127.0.0.1") in sub:
            raise _err(src, where, f"{sub} must be inside 127.0.0.0/8 and leave out 127.0.0.1")
        for other, o in seen:
            if sub.overlaps(o):
                raise _err(src, where, f"{sub} overlaps {other} ({o})")
        return sub

    for vid, value in item["vlans"].items():
        where = f"routed.vlans.{vid}"
        if isinstance(vid, bool) or not isinstance(vid, int) or not 1 <= vid <= 4094:
            raise _err(src, where, f"{vid!r} must be a VLAN id from 1 to 4094")
        sub = network(where, value)
        if sub.prefixlen != net.prefixlen:
            raise _err(src, where, f"{sub} must be a /{net.prefixlen} like `subnet` ({net})")
        seen.append((where, sub))
        vlans[vid] = str(sub)
    outside = network("routed.outside", item["outside"])
    return {"vlans": vlans, "outside": str(outside)}
