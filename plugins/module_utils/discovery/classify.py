# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""From probe results to what a device is: evidence, fingerprint match, ``iot_*`` facts."""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints as fpdb

# evidence field -> (service protocol(s), key in the probe result)
_SERVICE_FIELDS = [
    ("ssh.banner", ("ssh",), "banner"),
    ("telnet.banner", ("telnet",), "banner"),
    ("ftp.banner", ("ftp",), "banner"),
    ("http.server", ("http", "https"), "server"),
    ("http.title", ("http", "https"), "title"),
    ("http.realm", ("http", "https"), "realm"),
    ("http.location", ("http", "https"), "location"),
    ("tls.subject", ("http", "https"), "tls_subject"),
    ("rtsp.server", ("rtsp",), "server"),
    ("mqtt.connack", ("mqtt",), "connack"),
    ("mqtt.version", ("mqtt",), "version"),
    ("pjl.id", ("jetdirect",), "id"),
    ("sip.agent", ("sip",), "agent"),
    ("smb.os", ("smb",), "os"),
    ("smb.lanman", ("smb",), "lanman"),
    ("smb.dialect", ("smb",), "dialect"),
    ("dicom.association", ("dicom",), "association"),
    ("dicom.impl_class", ("dicom",), "impl_class"),
    ("dicom.impl_version", ("dicom",), "impl_version"),
    ("snmp.sysdescr", ("snmp",), "sysdescr"),
    ("snmp.sysobjectid", ("snmp",), "sysobjectid"),
    ("snmp.sysname", ("snmp",), "sysname"),
    ("ssdp.server", ("ssdp",), "server"),
    ("ssdp.st", ("ssdp",), "st"),
    ("ssdp.usn", ("ssdp",), "usn"),
    ("upnp.manufacturer", ("ssdp",), "manufacturer"),
    ("upnp.modelname", ("ssdp",), "modelname"),
    ("upnp.friendlyname", ("ssdp",), "friendlyname"),
    ("upnp.device_type", ("ssdp",), "devicetype"),
    ("mdns.service", ("mdns",), "service_types"),
    ("mdns.service", ("mdns",), "instances"),
    ("mdns.txt", ("mdns",), "txt"),
    ("mdns.hostname", ("mdns",), "hostname"),
    ("bacnet.vendor_id", ("bacnet",), "vendor_id"),
]
EVIDENCE_FIELDS = sorted(
    {f for f, _p, _k in _SERVICE_FIELDS}
    | {"bacnet.vendor", "oui.vendor", "dhcp.hostname", "nmap.product", "nmap.os", "nmap.devicetype", "port"}
    | {"switch.cli"}
)

_COMPILED = {}


def _rx(pattern):
    rx = _COMPILED.get(pattern)
    if rx is None:
        rx = _COMPILED[pattern] = re.compile(pattern)
    return rx


def evidence(scan, target=None, oui_vendor=None):
    """``[(field, value, source)]`` from one host's probe results and source data."""
    out = []
    for key, svc in sorted((scan or {}).get("services", {}).items()):
        proto = svc.get("protocol")
        for field, protos, name in _SERVICE_FIELDS:
            if proto not in protos or name not in svc:
                continue
            val = svc[name]
            for v in val if isinstance(val, list) else [val]:
                if v not in (None, ""):
                    out.append((field, str(v), "%s %s" % (proto, key)))
        if proto == "bacnet" and "vendor_id" in svc:
            name = fpdb.BACNET_VENDORS.get(svc["vendor_id"])
            if name:
                out.append(("bacnet.vendor", name, "bacnet %s" % key))
        out.append(("port", key, "connect %s" % key))
    if target:
        if target.get("cli"):
            out.append(
                (
                    "switch.cli",
                    target["cli"],
                    "switch source: its MAC table read with the %s CLI" % target["cli"],
                )
            )
        if target.get("hostname"):
            out.append(("dhcp.hostname", target["hostname"], "dhcp lease"))
        nm = target.get("nmap") or {}
        for key, svc in sorted((nm.get("services") or {}).items()):
            prod = " ".join(svc.get(k, "") for k in ("product", "version", "extrainfo") if svc.get(k))
            if prod:
                out.append(("nmap.product", prod, "nmap %s" % key))
            if svc.get("devicetype"):
                out.append(("nmap.devicetype", svc["devicetype"], "nmap %s" % key))
            if not scan or key not in scan.get("services", {}):
                out.append(("port", key, "nmap %s" % key))
        if nm.get("os"):
            out.append(("nmap.os", nm["os"], "nmap os"))
    if oui_vendor:
        out.append(("oui.vendor", oui_vendor, "mac oui"))
    return out


def _score(fp, ev):
    total = 0.0
    hits = []
    model = None
    for field, pattern, weight in fp["match"]:
        rx = _rx(pattern)
        for efield, value, source in ev:
            if efield != field:
                continue
            m = rx.search(value)
            if m:
                total += weight
                hits.append(
                    {"field": field, "value": hostile.text(value, 128), "source": source, "weight": weight}
                )
                if model is None and "model" in rx.groupindex and m.group("model"):
                    model = m.group("model").strip()
                break
    return total, hits, model


#: protocols whose service is management of the device: ``iot_mgmt_protocols`` lists those
#: found listening (evidence), never the product sheet's claim
MGMT_PROTOCOLS = frozenset(
    (
        "telnet",
        "ssh",
        "http",
        "https",
        "ftp",
        "snmp",
        "rdp",
        "vnc",
        "smb",
        "winrm",
        "http-admin",
        "https-admin",
    )
)


def listening_mgmt(services):
    """The management protocols among the services discovery found listening."""
    return sorted(
        {s.get("protocol") for s in (services or {}).values() if s.get("protocol") in MGMT_PROTOCOLS}
    )


def _confidence(score):
    return round(min(0.99, 1 - 0.5**score), 2) if score > 0 else 0.0


def classify(scan, target=None, oui_vendor=None, min_score=2.0):
    """The ``iot_*`` facts for one host (plain data; the caller marks them unsafe)."""
    target = target or {}
    ev = evidence(scan, target, oui_vendor)
    best = None
    for fp in fpdb.FINGERPRINTS:
        score, hits, model = _score(fp, ev)
        # a product needs at least one rule beyond its MAC vendor
        if score >= min_score and any(h["field"] != "oui.vendor" for h in hits):
            # an operating system is a layer under a product: any product match wins over it
            rank = (fp.get("kind") != "os", score)
            if best is None or rank > best[4]:
                best = (score, fp, hits, model, rank)
    facts = {
        "iot_open_ports": sorted((scan or {}).get("open_ports", [])),
        "iot_services": _services_view(scan),
        "iot_mac": target.get("mac"),
        "iot_switch": target.get("switch"),
        "iot_switch_port": target.get("switch_port"),
    }
    evidence_out = []
    if best:
        score, fp, hits, model, _rank = best
        facts.update(
            {
                "iot_fingerprint_id": fp["id"],
                "iot_class": fp["class"],
                "iot_vendor": fp["vendor"],
                "iot_model": model or fp["model"],
                "iot_confidence": _confidence(score),
                "iot_os": fp.get("os"),
                "iot_eol": dict(fp["eol"]) if fp.get("eol") else None,
                "iot_mgmt_protocols": listening_mgmt(facts["iot_services"]),
                "iot_mgmt_protocols_product": list(fp["mgmt_protocols"]),
                "iot_default_credentials": sorted({c["username"] for c in fp["default_credentials"]}),
                # the product's factory setting, labelled: what the device reports (read
                # after a login) is kept in the login ledger and beats it
                "iot_lockout": dict(fp["lockout"], source="product data (fallback)"),
                "iot_driver": fp.get("driver"),
            }
        )
        for h in hits:
            evidence_out.append(dict(h, conclusion="fingerprint=%s" % fp["id"]))
        if fp.get("network_os"):
            facts["iot_network_os"] = fp["network_os"]
    else:
        cls, cls_hits = _class_hint(ev)
        facts.update(
            {
                "iot_fingerprint_id": None,
                "iot_class": cls,
                "iot_vendor": oui_vendor or "unknown",
                "iot_model": None,
                "iot_confidence": _confidence(sum(h["weight"] for h in cls_hits) / 2.0),
                "iot_os": None,
                "iot_eol": None,
                "iot_mgmt_protocols": listening_mgmt(facts["iot_services"]),
                "iot_mgmt_protocols_product": [],
                "iot_default_credentials": [],
                "iot_lockout": {
                    "supported": None,
                    "threshold": None,
                    "note": "unknown device",
                    "source": "unknown",
                },
                "iot_driver": None,
            }
        )
        for h in cls_hits:
            evidence_out.append(dict(h, conclusion="class=%s" % cls))
        if oui_vendor:
            evidence_out.append(
                {
                    "field": "oui.vendor",
                    "value": oui_vendor,
                    "source": "mac oui",
                    "weight": 1,
                    "conclusion": "vendor",
                }
            )
    _layer_os(facts, ev, evidence_out)
    smb_os = next((v for f, v, _s in ev if f == "smb.os"), None)
    if smb_os and facts["iot_os"] and facts["iot_os"].startswith("Windows"):
        facts["iot_os"] = "%s (SMB: %s)" % (facts["iot_os"] or "Windows", smb_os)
    facts["iot_evidence"] = evidence_out
    return facts


def _layer_os(facts, ev, evidence_out):
    """A product running an operating system we know (Windows XP under an MRI console)
    takes that system's name and end of life."""
    if (
        facts.get("iot_fingerprint_id")
        and (fpdb.by_id(facts["iot_fingerprint_id"]) or {}).get("kind") == "os"
    ):
        return
    best = None
    for fp in fpdb.FINGERPRINTS:
        if fp.get("kind") != "os":
            continue
        score, hits, _model = _score(fp, ev)
        if score >= 2 and (best is None or score > best[0]):
            best = (score, fp, hits)
    if not best:
        return
    fp, hits = best[1], best[2]
    facts["iot_os"] = fp["os"]
    if not facts.get("iot_eol") and fp.get("eol"):
        facts["iot_eol"] = dict(fp["eol"])
    for h in hits:
        evidence_out.append(dict(h, conclusion="os=%s" % fp["os"]))


def _class_hint(ev):
    scores = {}
    hits = {}
    for field, pattern, cls, weight in fpdb.CLASS_HINTS:
        rx = _rx(pattern)
        for efield, value, source in ev:
            if efield == field and rx.search(value):
                scores[cls] = scores.get(cls, 0) + weight
                hits.setdefault(cls, []).append(
                    {"field": field, "value": hostile.text(value, 128), "source": source, "weight": weight}
                )
                break
    if not scores:
        return "unknown", []
    cls = max(scores, key=lambda c: scores[c])
    return cls, hits[cls]


_SERVICE_KEEP = (
    "protocol",
    "banner",
    "server",
    "title",
    "realm",
    "status",
    "auth",
    "location",
    "tls_subject",
    "tls_issuer",
    "tls_version",
    "connack",
    "anonymous",
    "version",
    "id",
    "agent",
    "os",
    "lanman",
    "domain",
    "dialect",
    "association",
    "impl_class",
    "impl_version",
    "echo_status",
    "sysdescr",
    "sysobjectid",
    "sysname",
    "community",
    "manufacturer",
    "modelname",
    "friendlyname",
    "devicetype",
    "service_types",
    "instances",
    "txt",
    "hostname",
    "vendor_id",
    "instance",
    "methods",
    "error",
)


def _services_view(scan):
    """Per port what the device said, as seen (bounded, cleaned)."""
    out = {}
    for key, svc in (scan or {}).get("services", {}).items():
        out[key] = hostile.tree({k: svc[k] for k in _SERVICE_KEEP if k in svc}, limit=256, max_items=32)
    return out
