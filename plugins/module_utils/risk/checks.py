# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Evidence -> findings. One function per catalogue ``check`` name.

A check reads the device (discovery's facts), the observations of the active probes and
the site context, and returns ``(location, evidence)`` pairs: one finding each. A check
raises nothing when its evidence is missing: no evidence, no finding (an unknown is never
reported as a weakness).
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue


def default_credentials(device, obs, ctx):
    res = obs.get("credentials") or {}
    acc = res.get("accepted")
    if not acc:
        return []
    where = res.get("protocol") or device.driver or "login"
    if res.get("unclaimed"):
        return [(where, "account %r: %s" % (acc["username"], acc.get("source")))]
    every = res.get("accepted_all") or [acc]
    return [
        (
            where,
            "; ".join(
                "login as %r accepted (%s)" % (a["username"], a.get("source") or "vendor default")
                for a in every
            ),
        )
    ]


def cleartext_management(device, obs, ctx):
    out = []
    for name in ("telnet", "ftp"):
        for port in device.ports_of(name):
            out.append(("tcp/%d" % port, "%s service open on tcp/%d" % (name, port)))
    return out


def http_without_tls(device, obs, ctx):
    if device.has("https"):
        return []
    if device.mgmt_protocols and "http" not in device.mgmt_protocols:
        return []  # a web server that is not how the product is administered
    upnp = device.upnp_ports()
    http_ports = [p for p in device.ports_of("http") if p not in upnp]
    if not http_ports:
        return []
    where = ", ".join("http://%s:%d" % (device.address, p) for p in http_ports)
    return [("http", "web administration on %s with no HTTPS offered" % where)]


def end_of_life(device, obs, ctx):
    if device.eol is True:
        what = (
            device.eol_reason or " ".join(x for x in (device.os, device.firmware) if x) or "operating system"
        )
        return [("os", "end of life: %s" % what)]
    for value in [*device.field_values("os", "lanman", "sysdescr", "banner", "server"), device.os]:
        for pattern, product, date in catalogue.EOL_MARKERS:
            if value and re.search(pattern, value):
                return [
                    (
                        "os",
                        "end of life: %s (no security fixes since %s); the device says %r"
                        % (product, date, value),
                    )
                ]
    return []


def internet_exposed(device, obs, ctx):
    out = []
    for m in ctx.get("port_mappings") or []:
        if m.get("internal_client") != device.address or not m.get("enabled", True):
            continue
        proto = (m.get("protocol") or "TCP").lower()
        out.append(
            (
                "upnp/%s/%s" % (proto, m.get("external_port")),
                "router %s maps external %s/%s to %s:%s (%s)"
                % (
                    m.get("router") or "gateway",
                    proto,
                    m.get("external_port"),
                    device.address,
                    m.get("internal_port"),
                    m.get("description") or "no description",
                ),
            )
        )
    return out


def management_outside_vpn(device, obs, ctx):
    ports = obs.get("management_reachable") or []
    if not ctx.get("assessed_from_vpn"):
        if not ports:
            return []
        return [("mgmt", "management answered from outside the VPN on %s" % ", ".join(ports))]
    # from inside the VPN an answer is expected; whether management also answers outside it
    # is what the probe outside the VPN saw (vantage.outside_view)
    outside = obs.get("outside")
    if outside is None:
        if not ports:
            return []
        return [
            (
                "mgmt",
                "management answered through the VPN on %s; no probe from outside the VPN ran, so it "
                "is not shown closed there (set risk_assessment_outside_probe)" % ", ".join(ports),
            )
        ]
    if outside["management_answered"]:
        return [
            (
                "mgmt",
                "management answered from %s, outside the VPN, on %s"
                % (outside["from"], ", ".join("tcp/%d" % p for p in outside["management_answered"])),
            )
        ]
    untried = [p for p in ports if int(p.rsplit("/", 1)[1]) in outside["not_tried"]]
    if untried:
        return [
            (
                "mgmt",
                "management answered through the VPN on %s, which %s did not try from outside the VPN"
                % (", ".join(untried), outside["from"]),
            )
        ]
    return []


def no_lockout(device, obs, ctx):
    lockout = obs.get("lockout_enabled", device.lockout)  # what the device said beats the product sheet
    if lockout is not False or not device.login_surface():
        return []
    if "lockout_enabled" in obs:
        return [
            (
                "auth",
                "read after the login worked: %s"
                % (obs.get("lockout_evidence") or "the lockout setting is off"),
            )
        ]
    return [("auth", "the product has no account lockout (%s)" % (device.lockout_note or "product data"))]


def _in_staff_network(device, ctx):
    vlans = set(ctx.get("staff_vlans") or [])
    if device.vlan is not None and device.vlan in vlans:
        return "VLAN %d is a staff workstation VLAN" % device.vlan
    if device.vlan is None:
        try:
            addr = ipaddress.ip_address(device.address)
        except ValueError:
            return None
        for net in ctx.get("staff_networks") or []:
            if addr in ipaddress.ip_network(net, strict=False):
                return "address %s is in the staff network %s" % (device.address, net)
    return None


INFRASTRUCTURE = ("network_switch", "router")


def flat_network(device, obs, ctx):
    if device.device_class in (ctx.get("staff_classes") or ("workstation",)) + INFRASTRUCTURE:
        return []
    why = _in_staff_network(device, ctx)
    return [("vlan", why)] if why else []


def _mapping(m):
    return "%s/%s -> %s:%s" % (
        m.get("protocol"),
        m.get("external_port"),
        m.get("internal_client"),
        m.get("internal_port"),
    )


def upnp_gateway(device, obs, ctx):
    maps = [
        m
        for m in ctx.get("port_mappings") or []
        if m.get("source") == "upnp" and m.get("router_address") == device.address
    ]
    if not maps:
        return []
    listed = ", ".join(_mapping(m) for m in maps[:8])
    return [
        (
            "upnp",
            "the router's UPnP IGD holds %d port mapping(s) to inside devices (%s)" % (len(maps), listed),
        )
    ]


def smbv1(device, obs, ctx):
    return [
        ("tcp/%d" % s.port, "SMB negotiated the SMBv1 dialect %r" % s.extra["dialect"])
        for s in device.services.values()
        if s.name == "smb" and s.extra.get("dialect") in ("NT LM 0.12", "NT LANMAN 1.0", "LANMAN2.1")
    ]


def dicom_unauthenticated(device, obs, ctx):
    return [
        (
            "tcp/%d" % s.port,
            "DICOM association from an unknown AE title accepted (C-ECHO status %s)"
            % s.extra.get("echo_status"),
        )
        for s in device.services.values()
        if s.name == "dicom" and s.extra.get("association") == "accepted"
    ]


def api_unauthenticated(device, obs, ctx):
    creds = obs.get("credentials") or {}
    if not creds.get("open"):
        return []
    return [(creds.get("protocol") or "api", creds["open"])]


def mqtt_unauthenticated(device, obs, ctx):
    return [
        ("tcp/%s" % port, "MQTT CONNECT without credentials accepted on tcp/%s" % port)
        for port, r in sorted((obs.get("mqtt") or {}).items())
        if r.get("accepted")
    ]


def rtsp_unauthenticated(device, obs, ctx):
    return [
        (
            "tcp/%s" % port,
            "RTSP DESCRIBE %s without credentials answered %d %s"
            % (r.get("path", "/"), r["status"], r.get("reason", "")),
        )
        for port, r in sorted((obs.get("rtsp") or {}).items())
        if r.get("status") == 200
    ]


def snmp_public(device, obs, ctx):
    r = obs.get("snmp") or {}
    if not r.get("answered") or r.get("value") is None:
        return []
    return [
        (
            "udp/%s" % r.get("port", 161),
            "community %r answered sysDescr.0 = %r"
            % (r.get("community") or "public", hostile.text(r["value"], 80)),
        )
    ]


CHECKS = {
    "default_credentials": default_credentials,
    "cleartext_management": cleartext_management,
    "http_without_tls": http_without_tls,
    "end_of_life": end_of_life,
    "internet_exposed": internet_exposed,
    "management_outside_vpn": management_outside_vpn,
    "no_lockout": no_lockout,
    "flat_network": flat_network,
    "mqtt_unauthenticated": mqtt_unauthenticated,
    "rtsp_unauthenticated": rtsp_unauthenticated,
    "snmp_public": snmp_public,
    "upnp_gateway": upnp_gateway,
    "smbv1": smbv1,
    "dicom_unauthenticated": dicom_unauthenticated,
    "api_unauthenticated": api_unauthenticated,
}


def unknown_rules(device, obs, ctx):
    """Rules this run could not decide for the device (their absence is not a fix)."""
    out = []
    creds = obs.get("credentials")
    # refused defaults decide the rule only when every candidate was tried: candidates left
    # untried (to stay below a lockout threshold) may still be the ones the device accepts,
    # and refused common guesses say nothing of a product whose default nobody published
    if creds is None or (
        not creds.get("accepted")
        and (creds.get("skipped") or creds.get("guessed_only") or creds.get("not_rechecked"))
    ):
        out.append("IOTG-DEFAULT-CREDS")
    if creds is None:
        # no login was tried, so nothing showed whether the API still answers without one
        out.append("IOTG-API-NOAUTH")
    if "lockout_enabled" not in obs and device.lockout is not False and device.login_surface():
        out.append("IOTG-NO-LOCKOUT")
    return out


def evaluate(device, obs, ctx, enabled=None):
    """Every finding of ``device``: dicts with rule, severity, location, evidence, key."""
    findings = []
    for entry in catalogue.FINDINGS:
        if enabled is not None and entry["id"] not in enabled:
            continue
        for location, evidence in CHECKS[entry["check"]](device, obs, ctx):
            findings.append(
                {
                    "rule": entry["id"],
                    "severity": entry["severity"],
                    "location": location,
                    "evidence": hostile.text(evidence, 512),
                    "key": "%s|%s|%s" % (entry["id"], device.identity(), location),
                }
            )
    return findings
