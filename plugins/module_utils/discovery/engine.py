# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""One discovery run: read the sources, probe, and hand back plain data to cache.

``discover(options)`` returns::

    {"version": 1,
     "hosts": {"192.0.2.10": {"target": {...source data...}, "scan": {...probe results...}}},
     "warnings": ["switches[0] (192.0.2.2): timed out ..."],
     "stats": {"tcp_connects": ..., "elapsed": ...}}

Classification happens later (``facts()``), so a cached run is re-read with the current
fingerprint database.
"""

from __future__ import annotations

import ipaddress
import time

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import classify as _classify
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import oui as _oui
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import probes, targets
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError

RESULT_VERSION = 1


def scan_config(options):
    return probes.ScanConfig(
        ports=options.get("ports"),
        udp_probes=options.get("udp_probes", probes.UDP_PROBES),
        snmp_communities=options.get("snmp_communities") or (),
        concurrency=options.get("concurrency", 256),
        host_rate=options.get("host_rate", 100.0),
        connect_timeout=options.get("connect_timeout", 1.0),
        read_timeout=options.get("read_timeout", 2.0),
        udp_timeout=options.get("udp_timeout", 1.0),
        host_timeout=options.get("host_timeout", 15.0),
        port_protocols={int(k): v for k, v in (options.get("port_protocols") or {}).items()},
    )


def gather_targets(options):
    """``({address: Target}, from_ranges, warnings)``; bad options raise DiscoveryError."""
    found = []
    warnings = []
    ranges = set(
        targets.expand(
            options.get("networks") or [], options.get("exclude") or [], options.get("max_hosts", 65536)
        )
    )
    found.extend(targets.Target(a, "networks") for a in sorted(ranges, key=_addr_key))
    excl = [targets.parse_address(v, "exclude[%d]" % i) for i, v in enumerate(options.get("exclude") or [])]
    for i, path in enumerate(options.get("nmap_xml") or []):
        found.extend(targets.read_nmap_xml(path, "nmap_xml[%d]" % i))
    for i, lease in enumerate(options.get("dhcp_leases") or []):
        if isinstance(lease, str):
            lease = {"path": lease}
        if not isinstance(lease, dict) or not lease.get("path"):
            raise DiscoveryError(
                "dhcp_leases[%d]" % i, lease, "has no path", "give {path: ..., format: auto|isc|dnsmasq}"
            )
        found.extend(
            targets.read_dhcp_leases(lease["path"], lease.get("format", "auto"), "dhcp_leases[%d]" % i)
        )
    tables = []
    if options.get("switches"):
        from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import switches

        for i, spec in enumerate(options["switches"]):
            switches.check_spec(spec, i)
        for i, spec in enumerate(options["switches"]):
            try:
                tables.append(switches.read_switch(spec, i, options.get("source_timeout", 30)))
            except switches.SourceError as exc:
                warnings.append("%s; its devices are missing switch/port data" % exc)
        neighbours = []
        if options.get("neighbour_table", switches.NEIGHBOUR_TABLE):
            neighbours = switches.read_neighbours(options.get("neighbour_table", switches.NEIGHBOUR_TABLE))
        given = [k for k in ("dhcp_leases", "nmap_xml") if options.get(k)]
        joined, gaps = switches.join(found, tables, neighbours, given)
        found.extend(joined)
        warnings.extend(gaps)

    kept = [t for t in found if not any(ipaddress.ip_address(t.address) in n for n in excl)]
    merged = targets.merge(kept)
    return merged, ranges, warnings


def _addr_key(a):

    ip = ipaddress.ip_address(a)
    return (ip.version, int(ip))


def discover(options):
    started = time.monotonic()
    cfg = scan_config(options)
    found, _ranges, warnings = gather_targets(options)
    addresses = sorted(found, key=_addr_key)
    stats = {}
    scans = {}
    if options.get("probe", True) and addresses:
        scans, stats = probes.scan(addresses, cfg)
    hosts = {}
    for address in addresses:
        t = found[address]
        scan = scans.get(address) or {"open_ports": [], "services": {}}
        silent = not scan["open_ports"] and not scan["services"]
        # an address that only came from a range and answered nothing is no device
        if silent and t.sources == ["networks"] and options.get("probe", True):
            continue
        hosts[address] = {"target": t.as_dict(), "scan": scan}
    stats["targets"] = len(addresses)
    stats["hosts"] = len(hosts)
    stats["elapsed"] = round(time.monotonic() - started, 3)
    return {"version": RESULT_VERSION, "hosts": hosts, "warnings": warnings, "stats": stats}


def load_oui(path=None, required=False):
    """``(table, warning)``: a missing registry is a warning unless ``required``."""
    try:
        return _oui.load(path), None
    except _oui.OuiMissing as exc:
        if required or path:
            raise DiscoveryError(
                "oui_file", path, str(exc).split(": ", 1)[1], "install ieee-data or fix oui_file"
            ) from None
        return {}, str(exc)


def facts(entry, oui_table, site=None):
    """``iot_*`` facts of one cached host entry."""
    target = entry.get("target") or {}
    vendor = _oui.vendor(oui_table, target.get("mac"))
    if not vendor and (target.get("nmap") or {}).get("mac_vendor"):
        vendor = target["nmap"]["mac_vendor"]
    out = _classify.classify(entry.get("scan"), target, vendor)
    out["iot_site"] = site
    out["iot_sources"] = list(target.get("sources") or [])
    out["iot_hostname"] = target.get("hostname")
    out["iot_vlan"] = target.get("vlan")
    return out
