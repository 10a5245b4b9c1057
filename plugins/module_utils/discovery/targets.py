# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Where the addresses come from: CIDRs and lists, nmap XML, DHCP leases.

Every reader returns ``Target`` records: an address plus whatever the source knew about it
(MAC, host name, open ports and services from nmap). Values read from files are device
data (a DHCP client chooses its own host name) and go through ``hostile``.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError

MAX_FILE_BYTES = 64 * 1024 * 1024
_MAC_RE = re.compile(r"^[0-9a-f]{12}$")
_MAC_SEP = re.compile(r"[:.\-\s]")


def normalize_mac(value):
    """``aa:bb:cc:dd:ee:ff`` from the usual spellings (colons, dashes, Cisco dots); None if not a MAC."""
    if not value:
        return None
    s = hostile.text(value, 32).lower()
    s = _MAC_SEP.sub("", s)
    if not _MAC_RE.match(s):
        return None
    return ":".join(s[i : i + 2] for i in range(0, 12, 2))


class Target:
    """One address and what the sources said about it."""

    __slots__ = ("address", "cli", "hostname", "mac", "nmap", "sources", "switch", "switch_port", "vlan")

    def __init__(self, address, source, mac=None, hostname=None):
        self.address = address
        self.sources = [source]
        self.mac = normalize_mac(mac)
        self.hostname = hostile.hostname(hostname) if hostname else None
        self.nmap = None
        self.switch = None
        self.switch_port = None
        self.vlan = None
        # the switch CLI (netmiko platform) that answered at this address: the switch source
        # logged in there and read its tables with that platform's commands
        self.cli = None

    def merge(self, other):
        for s in other.sources:
            if s not in self.sources:
                self.sources.append(s)
        for attr in ("mac", "hostname", "nmap", "switch", "switch_port", "vlan", "cli"):
            if getattr(self, attr) is None and getattr(other, attr) is not None:
                setattr(self, attr, getattr(other, attr))

    def as_dict(self):
        return {attr: getattr(self, attr) for attr in self.__slots__}

    @classmethod
    def from_dict(cls, data):
        t = cls(data["address"], data["sources"][0] if data.get("sources") else "cache")
        for attr in cls.__slots__:
            if attr in data:
                setattr(t, attr, data[attr])
        return t


def parse_address(value, field):
    """One address or network from ``value``; raises DiscoveryError naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise DiscoveryError(
            field, value, "is not an address or CIDR", "use a form like 192.0.2.10 or 192.0.2.0/24"
        )
    s = value.strip()
    try:
        if "/" in s:
            return ipaddress.ip_network(s, strict=False)
        return ipaddress.ip_network(s + ("/128" if ":" in s else "/32"))
    except ValueError as exc:
        raise DiscoveryError(
            field,
            value,
            "is not a valid address or CIDR (%s)" % exc,
            "use a form like 192.0.2.10 or 192.0.2.0/24",
        ) from None


def _hosts(net):
    if net.num_addresses == 1:
        return [net.network_address]
    if net.version == 4 and net.prefixlen >= 31:
        return list(net)
    return list(net.hosts())


def expand(networks, exclude=(), max_hosts=65536, field="networks"):
    """Addresses (str, in order, no duplicates) of ``networks`` minus ``exclude``."""
    if isinstance(networks, str):
        networks = [networks]
    nets = [parse_address(v, "%s[%d]" % (field, i)) for i, v in enumerate(networks or [])]
    excl = [parse_address(v, "exclude[%d]" % i) for i, v in enumerate(exclude or [])]
    total = sum(n.num_addresses for n in nets)
    if total > max_hosts:
        raise DiscoveryError(
            field,
            [str(n) for n in nets],
            "holds %d addresses, more than max_hosts (%d)" % (total, max_hosts),
            "split the range or raise max_hosts",
        )
    seen = set()
    out = []
    for net in nets:
        for addr in _hosts(net):
            if addr in seen or any(addr.version == e.version and addr in e for e in excl):
                continue
            seen.add(addr)
            out.append(str(addr))
    return out


def _read_bounded(path, field):
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DiscoveryError(
            field, path, "cannot be read (%s)" % exc.strerror, "check the path and its permissions"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise DiscoveryError(field, path, "is larger than %d bytes" % MAX_FILE_BYTES, "split the file")
    return data


def read_nmap_xml(path, field="nmap_xml"):
    """Hosts that nmap saw up, with MAC, host name, open ports and service guesses."""
    data = _read_bounded(path, field)
    if b"<!ENTITY" in data or b"<!DOCTYPE nmaprun [" in data:
        raise DiscoveryError(field, path, "declares XML entities", "give nmap's own -oX output, unedited")
    try:
        root = ET.fromstring(data)  # noqa: S314 - entities refused above, size bounded
    except ET.ParseError as exc:
        raise DiscoveryError(
            field, path, "is not valid XML (%s)" % exc, "give a file written by nmap -oX"
        ) from None
    if root.tag != "nmaprun":
        raise DiscoveryError(
            field,
            path,
            "is not nmap XML (root element %r)" % root.tag[:40],
            "give a file written by nmap -oX",
        )
    targets = []
    for host in root.iter("host"):
        status = host.find("status")
        if status is not None and status.get("state") not in (None, "up"):
            continue
        addr = mac = mac_vendor = None
        for a in host.findall("address"):
            if a.get("addrtype") in ("ipv4", "ipv6") and addr is None:
                addr = a.get("addr")
            elif a.get("addrtype") == "mac":
                mac = a.get("addr")
                mac_vendor = a.get("vendor")
        if not addr:
            continue
        try:
            addr = str(ipaddress.ip_address(addr))
        except ValueError:
            continue
        name = None
        hn = host.find("hostnames/hostname")
        if hn is not None:
            name = hn.get("name")
        t = Target(addr, "nmap_xml", mac=mac, hostname=name)
        services = {}
        for port in host.iter("port"):
            st = port.find("state")
            if st is None or st.get("state") != "open":
                continue
            try:
                num = int(port.get("portid"))
            except (TypeError, ValueError):
                continue
            svc = port.find("service")
            info = {"protocol": port.get("protocol", "tcp")}
            if svc is not None:
                for key in ("name", "product", "version", "extrainfo", "devicetype", "ostype"):
                    if svc.get(key):
                        info[key] = hostile.text(svc.get(key), 128)
            services["%s/%d" % (info["protocol"], num)] = info
        osname = None
        om = host.find("os/osmatch")
        if om is not None and om.get("name"):
            osname = hostile.text(om.get("name"), 128)
        t.nmap = {
            "services": services,
            "os": osname,
            "mac_vendor": hostile.text(mac_vendor, 64) if mac_vendor else None,
        }
        targets.append(t)
    return targets


_ISC_LEASE = re.compile(r"lease\s+([0-9a-fA-F.:]+)\s*\{(.*?)\}", re.S)


def read_dhcp_leases(path, fmt="auto", field="dhcp_leases"):
    """Active leases from an ISC dhcpd ``dhcpd.leases`` or a dnsmasq lease file.

    ``fmt`` is ``isc``, ``dnsmasq`` or ``auto``. Later ISC entries for one address win
    (that file is a journal).
    """
    text = hostile.decode(_read_bounded(path, field))
    if fmt == "auto":
        fmt = "isc" if re.search(r"^\s*lease\s+\S+\s*\{", text, re.M) else "dnsmasq"
    if fmt not in ("isc", "dnsmasq"):
        raise DiscoveryError(field + ".format", fmt, "is not a lease file format", "use isc, dnsmasq or auto")
    found = {}
    if fmt == "isc":
        for m in _ISC_LEASE.finditer(text):
            addr, body = m.group(1), m.group(2)
            state = re.search(r"^\s*binding state\s+(\w+)\s*;", body, re.M)
            if state and state.group(1) not in ("active", "static"):
                found.pop(addr, None)
                continue
            mac = re.search(r"hardware ethernet\s+([0-9a-fA-F:]+)\s*;", body)
            name = re.search(r'client-hostname\s+"([^"]*)"\s*;', body)
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                continue
            found[addr] = Target(
                addr,
                "dhcp_leases",
                mac=mac.group(1) if mac else None,
                hostname=name.group(1) if name else None,
            )
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts or parts[0].startswith("#") or parts[0] == "duid":
                continue
            if len(parts) < 4:
                raise DiscoveryError(
                    "%s line %d" % (field, lineno),
                    line[:80],
                    "is not a dnsmasq lease line",
                    "expected: <expiry> <mac> <ip> <hostname> [client-id]; or set format: isc",
                )
            _expiry, mac, addr, name = parts[:4]
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise DiscoveryError(
                    "%s line %d" % (field, lineno),
                    addr,
                    "is not an IP address",
                    "check the lease file format",
                ) from None
            found[addr] = Target(addr, "dhcp_leases", mac=mac, hostname=None if name == "*" else name)
    return list(found.values())


def merge(targets):
    """Merge records for the same address (first seen keeps its place)."""
    out = {}
    for t in targets:
        if t.address in out:
            out[t.address].merge(t)
        else:
            out[t.address] = t
    return out
