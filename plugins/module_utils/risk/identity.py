# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""What a device says it is called and which firmware it runs, from discovery's records.

Discovery keeps each service's answers in ``iot_services`` (SNMP sysName, the SMB server's
NetBIOS name, the mDNS instance, the telnet login prompt, UPnP friendlyName, SIP user
agent, DICOM implementation version, FTP banner). A person reading the report knows a
device by that name, not by its address. Every value is device data: cleaned and bounded
by ``hostile`` and only ever shown as text.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile

#: login prompts and names that say nothing about which device this is
GENERIC_NAMES = {"localhost", "login", "user", "username", "router", "gateway", "device", "camera", "ipc"}
_PROMPT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]{0,62})\s+login:\s*$")
_MDNS_INSTANCE = re.compile(r"@([A-Za-z0-9][A-Za-z0-9._-]{0,62})\._[a-z0-9-]+\._tcp\.local$")
_FIRMWARE = (
    ("ftp", "banner", re.compile(r"Network Camera ([0-9][0-9.]{1,20}[0-9])\b")),
    ("sip", "agent", re.compile(r"(?:SIP-\S+ |-UA/)([0-9][0-9.]{1,20}[0-9])\b")),
    ("http", "server", re.compile(r"\bSonos/([0-9][0-9.-]{1,20}[0-9])\b")),
    ("ssdp", "server", re.compile(r"\bSonos/([0-9][0-9.-]{1,20}[0-9])\b")),
    ("dicom", "impl_version", re.compile(r"^([A-Za-z0-9_.-]{2,32})$")),
    ("snmp", "sysdescr", re.compile(r"JETDIRECT,(JD[0-9]+)")),
)


def _services(iot):
    raw = iot.get("iot_services")
    if isinstance(raw, dict):
        items = [v for _k, v in sorted(raw.items(), key=lambda kv: str(kv[0]))[:256] if isinstance(v, dict)]
    elif isinstance(raw, (list, tuple)):
        items = [v for v in list(raw)[:256] if isinstance(v, dict)]
    else:
        items = []
    for rec in items:
        yield str(rec.get("protocol") or rec.get("name") or "").lower(), rec


def _name(value):
    name = hostile.hostname(value) if isinstance(value, str) else ""
    return name if name and name.lower() not in GENERIC_NAMES else ""


def reported_name(iot, address=""):
    """``(name, source)``: the name the device announces, best source first; ("", "") if none."""
    if isinstance(iot.get("iot_hostname"), str) and _name(iot["iot_hostname"]):
        return _name(iot["iot_hostname"]), "discovery"
    found = {}
    for proto, rec in _services(iot):
        if proto == "snmp" and _name(rec.get("sysname")):
            found.setdefault("SNMP sysName", _name(rec["sysname"]))
        elif proto == "smb" and _name(rec.get("server")):
            found.setdefault("SMB (NetBIOS) name", _name(rec["server"]))
        elif proto == "mdns":
            for inst in (rec.get("instances") or [])[:16]:
                m = _MDNS_INSTANCE.search(str(inst))
                if m and _name(m.group(1)):
                    found.setdefault("mDNS instance", _name(m.group(1)))
        elif proto == "telnet" and isinstance(rec.get("banner"), str):
            m = _PROMPT.match(hostile.text(rec["banner"], 80))
            if m and _name(m.group(1)):
                found.setdefault("telnet login prompt", _name(m.group(1)))
        elif proto == "ssdp" and isinstance(rec.get("friendlyname"), str):
            friendly = hostile.text(rec["friendlyname"], 64)
            if address and address not in friendly and _name(friendly.replace(" ", "-")):
                found.setdefault("UPnP friendlyName", friendly)
    for source in (
        "SNMP sysName",
        "SMB (NetBIOS) name",
        "mDNS instance",
        "telnet login prompt",
        "UPnP friendlyName",
    ):
        if source in found:
            return found[source], source
    return "", ""


def firmware(iot):
    """``(version, source)`` the device reports, or ``("", "")``."""
    if isinstance(iot.get("iot_firmware"), str) and iot["iot_firmware"].strip():
        return hostile.text(iot["iot_firmware"], 64), "discovery"
    for proto, rec in _services(iot):
        for want, field, pattern in _FIRMWARE:
            if proto == want and isinstance(rec.get(field), str):
                m = pattern.search(hostile.text(rec[field], 256))
                if m:
                    return m.group(1), "%s %s" % (proto, field.replace("_", " "))
    return "", ""


def vendor_model(vendor, model):
    """ "HP LaserJet" rather than "HP HP LaserJet"; no "unknown" shown as a vendor."""
    vendor = "" if (vendor or "").lower() in ("", "unknown") else vendor
    model = model or ""
    if vendor and model.lower().startswith(vendor.lower()):
        return model
    return " ".join(p for p in (vendor, model) if p)
