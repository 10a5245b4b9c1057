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

RESULT_VERSION = 2  # 2: summary and not_scanned


def scan_config(options):
    """ScanConfig from the options; ``concurrency`` unset (None) fits the open-file limit."""
    ports = probes.DEFAULT_PORTS if options.get("ports") is None else options["ports"]
    udp_probes = options.get("udp_probes", probes.UDP_PROBES)
    concurrency = options.get("concurrency")
    if concurrency is None:
        concurrency = probes.auto_concurrency(ports, len(udp_probes or ()))
    return probes.ScanConfig(
        ports=options.get("ports"),
        udp_probes=udp_probes,
        snmp_communities=options.get("snmp_communities") or (),
        concurrency=concurrency,
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
                continue
            # the switch itself answered that platform's CLI: evidence of what it is, for the
            # address when it is one the run scans anyway (no new target is added)
            if spec.get("host") in ranges:
                me = targets.Target(spec["host"], "switch_cli:%s" % tables[-1].name)
                me.cli = switches.check_spec(spec, i)[1]
                found.append(me)
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


def discover(options, progress=None):
    """Run discovery; ``progress(summary)`` is called every ``progress_interval`` seconds."""
    started = time.monotonic()
    nofile = None
    if options.get("raise_nofile") and options.get("probe", True):
        nofile = probes.raise_nofile()
    cfg = scan_config(options)
    found, _ranges, warnings = gather_targets(options)
    addresses = sorted(found, key=_addr_key)
    probing = options.get("probe", True) and addresses
    hosts = {}
    not_scanned = {}
    counts = {"done": 0, "absent": 0, "partial": 0}
    interval = options.get("progress_interval") or 0
    clock = {"next": started + interval}
    scanner = probes.Scanner(cfg)
    stats = scanner.stats

    def on_host(address, scan):
        # streamed: an address that answered nothing is dropped here, not held to the end
        counts["done"] += 1
        t = found[address]
        status = scan.get("status")
        silent = not scan["open_ports"] and not scan["services"]
        if status:
            counts["partial"] += 1
        if silent and status:
            # cut short before anything answered: not scanned, never taken for absent
            not_scanned[address] = {"target": t.as_dict(), "scan": scan}
        elif silent and t.sources == ["networks"]:
            # an address that only came from a range and answered every probe with nothing
            counts["absent"] += 1
        else:
            hosts[address] = {"target": t.as_dict(), "scan": scan}
        if progress is not None and interval and time.monotonic() >= clock["next"]:
            clock["next"] = time.monotonic() + interval
            progress(_summary(len(addresses), counts, hosts, not_scanned, scanner.stats, started))

    if probing:
        probes.run(scanner.scan(addresses, on_host))
    else:
        for address in addresses:
            hosts[address] = {"target": found[address].as_dict(), "scan": {"open_ports": [], "services": {}}}
    summary = _summary(len(addresses), counts, hosts, not_scanned, stats, started, probed=bool(probing))
    if progress is not None and interval and probing:
        progress(summary)
    summary["concurrency"] = cfg.concurrency
    if nofile is not None:
        summary["nofile_raised"] = {"from": nofile[0], "to": nofile[1]}
    stats["targets"] = len(addresses)
    stats["hosts"] = len(hosts)
    stats["elapsed"] = round(time.monotonic() - started, 3)
    return {
        "version": RESULT_VERSION,
        "hosts": hosts,
        "not_scanned": not_scanned,
        "summary": summary,
        "warnings": warnings,
        "stats": stats,
    }


def _summary(total, counts, hosts, not_scanned, stats, started, probed=True):
    """What the scan covered; ``complete`` is false when anything was cut short."""
    out = {
        "addresses": total,
        "addresses_done": counts["done"] if probed else total,
        "hosts_found": len(hosts),
        "hosts_absent": counts["absent"],
        "hosts_deadline": stats.get("hosts_deadline", 0),
        "hosts_not_scanned": len(not_scanned),
        "ports_not_probed": stats.get("ports_not_probed", 0),
        "probes_refused_fd": stats.get("fd_refused", 0),
        "udp_unsent": stats.get("udp_unsent", 0),
        # informational: an open port may well wait for a protocol we did not speak
        "open_ports_silent": stats.get("open_silent", 0),
        # hosts whose known protocol (HTTP, RTSP, SSH...) stayed silent: classified from ports alone
        "hosts_unanswered": stats.get("hosts_unanswered", 0),
        "probed": probed,
        "elapsed": round(time.monotonic() - started, 1),
    }
    out["complete"] = (
        not (
            out["hosts_deadline"]
            or out["ports_not_probed"]
            or out["probes_refused_fd"]
            or out["udp_unsent"]
            or out["hosts_unanswered"]
        )
        and out["addresses_done"] == total
    )
    return out


def summary_warning(summary, host_timeout, read_timeout=None):
    """One line for a person when the scan was cut short, else None."""
    if summary.get("complete", True):
        return None
    parts = [
        "scan incomplete: %d of %d address(es) done, %d host(s) found"
        % (summary["addresses_done"], summary["addresses"], summary["hosts_found"])
    ]
    if summary["hosts_deadline"]:
        parts.append(
            "%d host(s) reached host_timeout (%ss), %d of them before any probe answered "
            "(not scanned: group iot_not_scanned)"
            % (summary["hosts_deadline"], host_timeout, summary["hosts_not_scanned"])
        )
    if summary["ports_not_probed"]:
        parts.append("%d port(s) not probed" % summary["ports_not_probed"])
    if summary["probes_refused_fd"]:
        parts.append(
            "%d probe start(s) refused for lack of file descriptors or local ports"
            % summary["probes_refused_fd"]
        )
    if summary["udp_unsent"]:
        parts.append("%d UDP probe(s) not sent" % summary["udp_unsent"])
    if summary.get("hosts_unanswered"):
        parts.append(
            "%d host(s) kept an open HTTP/RTSP/SSH/... port silent within read_timeout%s, so their "
            "class rests on ports alone (iot_scan_status=partial)"
            % (summary["hosts_unanswered"], "" if read_timeout is None else " (%ss)" % read_timeout)
        )
    return "; ".join(parts) + (
        ". The inventory is incomplete (iot_discovery_summary.complete is false): raise host_timeout or "
        "read_timeout, lower concurrency or raise the open-file limit (raise_nofile: true)"
    )


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
