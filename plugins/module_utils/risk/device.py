# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""One device as the assessment sees it, built from discovery's ``iot_*`` host vars.

Discovery (``iotguard.hardening.iot_discovery``) is the source of these facts; this module
reads them defensively (device data is hostile: every string goes through ``hostile``)
and tolerates the shapes discovery documents (lists of ports, service records as a list or
a dict keyed by port).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.classify import MGMT_PROTOCOLS
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import identity

# Services whose protocol is management of the device: discovery's one list.
MGMT_SERVICES = MGMT_PROTOCOLS
CLEARTEXT_MGMT = {"telnet": 23, "ftp": 21}
WELL_KNOWN = {
    21: "ftp",
    22: "ssh",
    23: "telnet",
    80: "http",
    161: "snmp",
    443: "https",
    445: "smb",
    554: "rtsp",
    1883: "mqtt",
    3389: "rdp",
    5900: "vnc",
    8080: "http",
    8443: "https",
    8883: "mqtts",
}
MAX_PORTS = 256
# candidates kept per device (the lockout budget usually tries far fewer)
MAX_CANDIDATES = 16
# common IoT defaults guessed on a device whose product documents none: a check, not a
# brute force (refusing these proves nothing, so the rule stays undecided)
COMMON_GUESSES = 3
# service fields from discovery that checks read (all device data: cleaned, bounded)
EXTRA_FIELDS = (
    "anonymous", "location", "community", "auth", "status", "os", "lanman", "dialect", "sysdescr",
    "association", "echo_status", "server", "banner",
)  # fmt: skip


def factory_defaults(fingerprint_id):
    """The product's published factory defaults (from discovery's fingerprint data); for a
    product that documents none, or a device discovery could not identify, the common IoT
    defaults (the attempt budget decides how many of them are tried).

    Host vars never carry passwords; they are looked up by ``iot_fingerprint_id``.
    """
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints

    fp = (fingerprints.by_id(fingerprint_id) if fingerprint_id else None) or {}
    documented = fp.get("default_credentials") or []
    out = []
    for cred in documented[:MAX_CANDIDATES] or fingerprints.COMMON_DEFAULTS[:COMMON_GUESSES]:
        if isinstance(cred, dict) and cred.get("username") is not None:
            out.append(
                {
                    "username": cred["username"],
                    "password": cred.get("password") or "",
                    "source": cred.get("source") or "vendor default",
                    "service": cred.get("service"),
                    "documented": bool(documented),
                }
            )
    return out


class FactsError(ValueError):
    """The host vars cannot be assessed; the message names the host, the field and the fix."""


def _port(value):
    try:
        p = int(value)
    except (TypeError, ValueError):
        return None
    return p if 0 < p < 65536 else None


class Service:
    __slots__ = ("banner", "extra", "name", "port", "proto", "tls")

    def __init__(self, port, name=None, proto="tcp", tls=None, banner=None):
        self.port = port
        self.proto = proto if proto in ("tcp", "udp") else "tcp"
        self.name = (hostile.text(name, 32).lower() if name else WELL_KNOWN.get(port, "unknown")) or "unknown"
        self.tls = tls if isinstance(tls, bool) else self.name in ("https", "mqtts", "ssh")
        self.banner = hostile.text(banner, 256) if banner else ""
        self.extra = {}

    def as_dict(self):
        return {
            "port": self.port,
            "proto": self.proto,
            "name": self.name,
            "tls": self.tls,
            "banner": self.banner,
        }


def _key_port(key):
    """``"80/tcp"`` -> (80, "tcp"); ``80`` -> (80, None)."""
    if isinstance(key, str) and "/" in key:
        port, proto = key.split("/", 1)
        return _port(port), proto.lower()
    return _port(key), None


def _services(raw, open_ports):
    out = {}
    items = []
    if isinstance(raw, dict):
        for key, val in list(raw.items())[:MAX_PORTS]:
            rec = dict(val) if isinstance(val, dict) else {"protocol": val}
            port, proto = _key_port(key)
            rec.setdefault("port", port)
            if proto and not rec.get("proto"):
                rec["proto"] = proto
            items.append(rec)
    elif isinstance(raw, (list, tuple)):
        items = [dict(v) for v in list(raw)[:MAX_PORTS] if isinstance(v, dict)]
    for rec in items:
        port = _port(rec.get("port"))
        if port is None:
            continue
        proto = hostile.text(rec.get("proto") or rec.get("transport") or "tcp", 8).lower()
        name = rec.get("protocol") or rec.get("name") or rec.get("service")
        tls = rec.get("tls")
        if tls is None and rec.get("tls_subject"):
            tls = True
        svc = Service(port, name, proto, tls, rec.get("banner") or rec.get("server") or rec.get("title"))
        svc.extra = {
            k: (hostile.text(rec[k], 128) if isinstance(rec[k], str) else rec[k])
            for k in EXTRA_FIELDS
            if k in rec and isinstance(rec[k], (str, int, bool))
        }
        out[(svc.proto, port)] = svc
    for p in open_ports:
        out.setdefault(("tcp", p), Service(p))
    return out


def tcp_ports(raw_services, open_ports=()):
    """The TCP ports of a device's ``iot_services`` (keys as ``"80/tcp"`` or records with
    ``port`` and ``proto``) and of its ``open_ports``, as the assessment reads them."""
    ports = [p for p in (_port(x) for x in open_ports or []) if p is not None]
    return sorted({port for (proto, port) in _services(raw_services, ports) if proto == "tcp"})


def _flag(raw, *keys):
    """A fact that may be a bool or a dict holding one of ``keys``; None when unknown."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, dict):
        for k in keys:
            if isinstance(raw.get(k), bool):
                return raw[k]
    if isinstance(raw, str) and raw.lower() in ("true", "yes", "false", "no"):
        return raw.lower() in ("true", "yes")
    return None


class Device:
    """The assessed device: identity, address, services and the facts the checks read."""

    def __init__(self, name, hostvars):
        if not isinstance(hostvars, dict):
            raise FactsError(
                "host %r: facts must be a dict of iot_* host vars, got %s" % (name, type(hostvars).__name__)
            )
        iot = {k: v for k, v in hostvars.items() if isinstance(k, str) and k.startswith("iot_")}
        if not iot or "iot_class" not in iot:
            raise FactsError(
                "host %r has no iot_* facts (iot_class is missing): run discovery first "
                "(inventory plugin iotguard.hardening.iot_discovery) or limit the play to discovered hosts"
                % name
            )
        self.name = hostile.text(name, 128)
        self.address = hostile.text(hostvars.get("ansible_host") or iot.get("iot_address") or name, 64)
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise FactsError(
                "host %r: address %r (ansible_host) is not an IP address; discovery sets it, "
                "or set ansible_host to the device's IP" % (self.name, self.address)
            ) from None
        self.device_class = hostile.text(iot.get("iot_class") or "unknown", 32).lower()
        self.vendor = hostile.text(iot.get("iot_vendor") or "", 64)
        self.model = hostile.text(iot.get("iot_model") or "", 64)
        self.os = hostile.text(iot.get("iot_os") or "", 64)
        self.firmware, self.firmware_source = identity.firmware(iot)
        self.mac = hostile.text(iot.get("iot_mac") or "", 32).lower()
        self.hostname = hostile.hostname(iot.get("iot_hostname") or "")
        self.reported_name, self.name_source = identity.reported_name(iot, self.address)
        self.site = hostile.text(iot.get("iot_site") or "", 64)
        self.fingerprint_id = hostile.text(iot.get("iot_fingerprint_id") or "", 64)
        self.switch = hostile.text(iot.get("iot_switch") or "", 64)
        self.switch_port = hostile.text(iot.get("iot_switch_port") or "", 32)
        self.zone = hostile.text(iot.get("iot_zone") or "", 24)  # set by segmentation (read back)
        vlan = iot.get("iot_vlan")
        self.vlan = int(vlan) if isinstance(vlan, int) or (isinstance(vlan, str) and vlan.isdigit()) else None
        try:
            self.confidence = float(iot.get("iot_confidence") or 0.0)
        except (TypeError, ValueError):
            self.confidence = 0.0
        ports = iot.get("iot_open_ports") or []
        if not isinstance(ports, (list, tuple)):
            raise FactsError("host %r: iot_open_ports=%r must be a list of port numbers" % (self.name, ports))
        self.open_ports = sorted({p for p in (_port(x) for x in list(ports)[:MAX_PORTS]) if p})
        self.services = _services(iot.get("iot_services"), self.open_ports)
        mgmt = iot.get("iot_mgmt_protocols") or []
        self.mgmt_protocols = sorted(
            {hostile.text(m, 32).lower() for m in mgmt if m} if isinstance(mgmt, (list, tuple)) else set()
        )
        eol = iot.get("iot_eol")
        # discovery: null, or a dict with date/reason when the product gets no more fixes
        self.eol = (
            True if isinstance(eol, dict) and (eol.get("date") or eol.get("reason")) else _flag(eol, "eol")
        )
        self.eol_reason = (
            hostile.text(eol.get("reason") or eol.get("product") or "", 128) if isinstance(eol, dict) else ""
        )
        lockout = iot.get("iot_lockout")
        self.lockout = _flag(lockout, "enabled", "active", "supported")
        self.lockout_threshold = None
        self.lockout_note = hostile.text(lockout.get("note") or "", 128) if isinstance(lockout, dict) else ""
        if isinstance(lockout, dict):
            th = lockout.get("threshold") or lockout.get("attempts")
            self.lockout_threshold = int(th) if isinstance(th, int) and th > 0 else None
        self.default_credentials = factory_defaults(self.fingerprint_id)
        self.driver = hostile.text(iot.get("iot_driver") or "", 32)

    # --- what the checks ask ----------------------------------------------------------------
    def has(self, name):
        """Whether a service of that protocol is open (what discovery saw, not the product sheet)."""
        return any(s.name == name for s in self.services.values())

    def ports_of(self, name):
        return sorted(s.port for s in self.services.values() if s.name == name)

    def closed(self, ports):
        """Forget the TCP services whose port refused a connection in this run: discovery saw
        them, the device has closed them since (a hardening turned telnet off). The checks
        then judge what the device runs now. Returns the services dropped."""
        gone = [s for key, s in self.services.items() if key[0] == "tcp" and s.port in set(ports)]
        for s in gone:
            del self.services[(s.proto, s.port)]
        return gone

    def upnp_ports(self):
        """TCP ports that serve the device's own UPnP description (not an admin interface)."""
        import urllib.parse

        out = set()
        for s in self.services.values():
            loc = s.extra.get("location")
            if isinstance(loc, str):
                u = urllib.parse.urlsplit(loc)
                if u.hostname == self.address and u.port:
                    out.add(u.port)
        return out

    def field_values(self, *fields):
        """Every value of the given service fields (for marker matching)."""
        return [s.extra[f] for s in self.services.values() for f in fields if isinstance(s.extra.get(f), str)]

    def login_surface(self):
        """Whether anything here takes a password: a management service or a driver."""
        upnp = self.upnp_ports()
        return bool(self.driver) or any(
            s.name in ("telnet", "ssh", "http", "https", "ftp") and s.port not in upnp
            for s in self.services.values()
        )

    def management_services(self):
        names = set(self.mgmt_protocols)
        return sorted(
            (s for s in self.services.values() if s.name in MGMT_SERVICES and (not names or s.name in names)),
            key=lambda s: (s.proto, s.port),
        )

    def identity(self):
        """A stable key for diffs across runs: MAC, else fingerprint-free host name."""
        return self.mac or self.name

    def summary(self):
        return {
            "name": self.name,
            "address": self.address,
            "hostname": self.hostname,
            "class": self.device_class,
            "vendor": self.vendor,
            "model": self.model,
            "os": self.os,
            "firmware": self.firmware,
            "firmware_source": self.firmware_source,
            "reported_name": self.reported_name,
            "name_source": self.name_source,
            "mac": self.mac,
            "site": self.site,
            "vlan": self.vlan,
            "switch": self.switch,
            "switch_port": self.switch_port,
            "zone": self.zone,
            "confidence": self.confidence,
            "fingerprint_id": self.fingerprint_id,
            "driver": self.driver,
            "open_ports": self.open_ports,
            "services": [
                s.as_dict() for s in sorted(self.services.values(), key=lambda s: (s.proto, s.port))
            ],
        }
