# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Active checks, each one read-only and bounded: a few packets, a timeout, a size limit.

* ``mqtt_connect``: an MQTT 3.1.1 CONNECT with no user name or password; the CONNACK
  return code says whether the broker lets anonymous clients in.
* ``snmp_get``: an SNMPv2c GET of sysDescr.0 with a given community (``public``).
* ``rtsp_describe``: an RTSP DESCRIBE without credentials; 200 means an open stream.
* ``upnp_port_mappings``: reads the router's UPnP IGD description and walks
  ``GetGenericPortMappingEntry`` until the router says the index is past the end.
* ``tcp_open``: whether a TCP port accepts a connection.
* ``try_credentials``: logins with the device's known defaults (or credentials the
  engineer supplied), spending from the device's shared login budget.

Nothing here changes a device. Everything a device sends back is hostile and bounded.
"""

from __future__ import annotations

import http.client
import os
import socket
import struct
import urllib.parse
import xml.etree.ElementTree as ET

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import wire

MAX_REPLY = 64 * 1024
MAX_MAPPINGS = 256


class ProbeError(Exception):
    """The probe could not get an answer (refused, timed out, garbage); message is safe."""


class NotGateway(ProbeError):
    """The UPnP device answered but offers no WAN connection service."""


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ProbeError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def _connect(host, port, timeout):
    try:
        return socket.create_connection((host, int(port)), timeout=timeout)
    except TimeoutError as exc:
        raise ProbeError("%s:%s timed out after %.0fs" % (host, port, timeout)) from exc
    except OSError as exc:
        raise ProbeError("%s:%s: %s" % (host, port, hostile.text(exc.strerror or exc, 128))) from exc


def tcp_state(host, port, timeout=3.0):
    """``"open"`` (the handshake completed), ``"refused"`` (the host answered with a reset:
    nothing listens there; the only answer that proves a port closed) or ``"silent"`` (a
    timeout or another error: dropped on the way, unreachable or overloaded; proves nothing)."""
    try:
        s = socket.create_connection((host, int(port)), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "silent"
    s.close()
    return "open"


def tcp_open(host, port, timeout=3.0):
    return tcp_state(host, port, timeout) == "open"


# --- MQTT ------------------------------------------------------------------------------------
MQTT_RETURN_CODES = {
    0: "accepted",
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


def _mqtt_string(s):
    b = s.encode("utf-8")
    return struct.pack("!H", len(b)) + b


def _mqtt_remaining_length(n):
    out = b""
    while True:
        digit = n % 128
        n //= 128
        out += bytes([digit | (0x80 if n else 0)])
        if not n:
            return out


def mqtt_connect_packet(client_id):
    # variable header: protocol name, level 4 (3.1.1), flags: clean session only, keep-alive 10 s
    var = _mqtt_string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 10)
    payload = _mqtt_string(client_id)
    body = var + payload
    return bytes([0x10]) + _mqtt_remaining_length(len(body)) + body


def mqtt_connect(host, port=1883, timeout=5.0):
    """Returns ``{"accepted": bool, "return_code": int, "meaning": str}``; ProbeError otherwise."""
    client_id = "iotguard-sra-%s" % os.urandom(4).hex()
    sock = _connect(host, port, timeout)
    try:
        sock.sendall(mqtt_connect_packet(client_id))
        head = _recv_exact(sock, 2)
        if head[0] != 0x20 or head[1] != 2:
            raise ProbeError("%s:%s did not answer with an MQTT CONNACK" % (host, port))
        body = _recv_exact(sock, 2)
        rc = body[1]
        if rc == 0:
            try:  # be polite: DISCONNECT
                sock.sendall(b"\xe0\x00")
            except OSError:
                pass
        return {"accepted": rc == 0, "return_code": rc, "meaning": MQTT_RETURN_CODES.get(rc, "unknown")}
    except (OSError, IndexError) as exc:
        raise ProbeError("%s:%s: MQTT exchange failed: %s" % (host, port, hostile.text(exc, 128))) from exc
    finally:
        sock.close()


# --- SNMP (the BER codec is discovery's) ------------------------------------------------------
def snmp_get(host, community="public", port=161, timeout=3.0, retries=1):
    """sysDescr as text when the community is accepted, None when no answer."""
    request_id = int.from_bytes(os.urandom(3), "big")
    packet = wire.snmp_get_request(community, request_id, version="2c", oids=(wire.SYS_DESCR,))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        for _attempt in range(retries + 1):
            try:
                sock.sendto(packet, (host, int(port)))
                while True:
                    data, _addr = sock.recvfrom(MAX_REPLY)
                    try:
                        rid, values = wire.parse_snmp_response(data)
                    except wire.SnmpErrorStatus as exc:
                        if exc.request_id == request_id:  # community accepted, no such object
                            return {"answered": True, "value": None}
                        continue
                    except ValueError:
                        continue  # not an SNMP reply: keep waiting until the timeout
                    if rid == request_id:
                        return {"answered": True, "value": values.get("sysdescr")}
            except TimeoutError:
                continue
            except OSError as exc:  # ICMP port unreachable shows up as ConnectionRefused
                return {"answered": False, "error": hostile.text(exc, 128)}
    return {"answered": False, "error": "no answer in %.0fs" % timeout}


# --- RTSP ------------------------------------------------------------------------------------
def rtsp_describe(host, port=554, path="/", timeout=5.0):
    """Returns ``{"status": int, "reason": str}`` of a DESCRIBE sent without credentials."""
    path = path if path.startswith("/") else "/" + path
    if any(c in path for c in "\r\n ") or len(path) > 256:
        raise ProbeError("RTSP path %r is not a plain path" % hostile.text(path, 64))
    netloc = "[%s]" % host if ":" in host else host
    req = (
        "DESCRIBE rtsp://%s:%d%s RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n"
        "User-Agent: iotguard-sra\r\n\r\n"
        % (
            netloc,
            int(port),
            path,
        )
    )
    sock = _connect(host, port, timeout)
    try:
        sock.sendall(req.encode("ascii"))
        data = b""
        while b"\r\n" not in data and len(data) < 4096:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        raise ProbeError("%s:%s: RTSP exchange failed: %s" % (host, port, hostile.text(exc, 128))) from exc
    finally:
        sock.close()
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
        raise ProbeError("%s:%s did not answer RTSP (%r)" % (host, port, hostile.text(line, 64)))
    return {"status": int(parts[1]), "reason": hostile.text(parts[2] if len(parts) > 2 else "", 64)}


# --- UPnP IGD ----------------------------------------------------------------------------------
WAN_SERVICES = (
    "urn:schemas-upnp-org:service:WANIPConnection:2",
    "urn:schemas-upnp-org:service:WANIPConnection:1",
    "urn:schemas-upnp-org:service:WANPPPConnection:1",
)
_SOAP = (
    '<?xml version="1.0"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
    '<u:GetGenericPortMappingEntry xmlns:u="%s"><NewPortMappingIndex>%d</NewPortMappingIndex>'
    "</u:GetGenericPortMappingEntry></s:Body></s:Envelope>"
)


def _http(method, url, timeout, body=None, headers=None):
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ProbeError("URL %r must be http(s)://host[:port]/path" % hostile.text(url, 128))
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = cls(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(
            method, (u.path or "/") + ("?" + u.query if u.query else ""), body=body, headers=headers or {}
        )
        resp = conn.getresponse()
        data = resp.read(MAX_REPLY + 1)
        if len(data) > MAX_REPLY:
            raise ProbeError("%s answered more than %d bytes" % (hostile.text(url, 128), MAX_REPLY))
        return resp.status, data
    except (OSError, http.client.HTTPException) as exc:
        raise ProbeError("%s: %s" % (hostile.text(url, 128), hostile.text(exc, 128))) from exc
    finally:
        conn.close()


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _xml(data, what):
    try:
        return ET.fromstring(data)  # noqa: S314 - bounded (MAX_REPLY), expat refuses entity expansion bombs
    except ET.ParseError as exc:
        raise ProbeError("%s is not valid XML: %s" % (what, exc)) from exc


def find_wan_service(description_url, timeout=5.0):
    """``(service_type, control_url)`` of the IGD's WAN connection service."""
    status, data = _http("GET", description_url, timeout)
    if status != 200:
        raise ProbeError(
            "UPnP description %s answered HTTP %d" % (hostile.text(description_url, 128), status)
        )
    root = _xml(data, "UPnP description")
    found = {}
    for svc in root.iter():
        if _local(svc.tag) != "service":
            continue
        fields = {_local(c.tag): (c.text or "").strip() for c in svc}
        if fields.get("serviceType") in WAN_SERVICES and fields.get("controlURL"):
            found[fields["serviceType"]] = fields["controlURL"]
    for st in WAN_SERVICES:
        if st in found:
            return st, urllib.parse.urljoin(description_url, found[st])
    raise ProbeError(
        "UPnP description %s offers no WAN connection service" % hostile.text(description_url, 128)
    )


def upnp_locations(address, services):
    """UPnP description URLs from a router's discovery services, only those on its own address."""
    out = []
    if not address or not isinstance(services, dict):
        return out
    for rec in list(services.values())[:64]:
        loc = rec.get("location") if isinstance(rec, dict) else None
        if not isinstance(loc, str) or len(loc) > 512:
            continue
        u = urllib.parse.urlsplit(loc)
        if u.scheme == "http" and u.hostname == address and loc not in out:
            out.append(loc)
    return out


def ssdp_locations(address, timeout=2.0, port=1900):
    """The UPnP description URLs a device names in its SSDP answers (an M-SEARCH sent to its
    own address), only those on that address; [] when it does not answer."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    out = []
    try:
        sock.settimeout(timeout)
        sock.sendto(wire.ssdp_msearch(), (address, port))
        for _unused in range(16):
            try:
                data, _addr = sock.recvfrom(8192)
            except (TimeoutError, socket.timeout):
                break
            for line in hostile.decode(data[:8192]).split("\r\n")[1:32]:
                name, _sep, value = line.partition(":")
                if name.strip().lower() == "location":
                    out.append(value.strip()[:512])
            sock.settimeout(0.3)  # the rest of the answers come at once
    except OSError:
        return []
    finally:
        sock.close()
    return upnp_locations(address, {str(i): {"location": loc} for i, loc in enumerate(out)})


def upnp_port_mappings(description_url, timeout=5.0, max_entries=MAX_MAPPINGS):
    """Every port mapping the router holds, as a list of dicts (device strings cleaned)."""
    service, control = find_wan_service(description_url, timeout)
    u = urllib.parse.urlsplit(control)
    if u.hostname != urllib.parse.urlsplit(description_url).hostname:
        raise ProbeError(
            "UPnP control URL %s points away from the router; refusing to follow it"
            % hostile.text(control, 128)
        )
    mappings = []
    for index in range(max_entries):
        status, data = _http(
            "POST",
            control,
            timeout,
            body=(_SOAP % (service, index)).encode(),
            headers={
                "Content-Type": 'text/xml; charset="utf-8"',
                "SOAPAction": '"%s#GetGenericPortMappingEntry"' % service,
            },
        )
        root = _xml(data, "UPnP SOAP reply")
        fields = {_local(e.tag): (e.text or "").strip() for e in root.iter()}
        if status != 200:
            code = fields.get("errorCode", "")
            if code in ("713", "714") or (status == 500 and code == ""):
                break  # SpecifiedArrayIndexInvalid / NoSuchEntryInArray: past the end
            raise ProbeError(
                "GetGenericPortMappingEntry failed: HTTP %d, UPnP error %s" % (status, hostile.text(code, 16))
            )
        mappings.append(
            {
                "external_port": int(fields.get("NewExternalPort") or 0),
                "protocol": hostile.text(fields.get("NewProtocol") or "", 8).upper(),
                "internal_client": hostile.text(fields.get("NewInternalClient") or "", 64),
                "internal_port": int(fields.get("NewInternalPort") or 0),
                "enabled": (fields.get("NewEnabled") or "1") in ("1", "true"),
                "description": hostile.text(fields.get("NewPortMappingDescription") or "", 128),
                "remote_host": hostile.text(fields.get("NewRemoteHost") or "", 64),
            }
        )
    return mappings


# --- credentials ----------------------------------------------------------------------------
def try_credentials(login, candidates, budget):
    """Try ``candidates`` (dicts with username/password/source) with ``login(user, pw) -> bool``,
    each spending from ``budget`` (an ``access.budget.LoginBudget``: the device's shared one).

    Stops at the first accepted credential or when the budget allows no more failures.
    Returns ``{"accepted": {username, source} or None, "tried": n, "skipped": m}``; the
    password is never returned.
    """
    tried = 0
    for cred in candidates:
        kind = "given" if cred.get("source") == "supplied" else "default"
        ok = budget.attempt(login, cred["username"], cred["password"], kind)
        if ok is None:
            break
        tried += 1
        if ok:
            return {
                "accepted": {"username": cred["username"], "source": cred.get("source", "vendor default")},
                "index": tried - 1,
                "tried": tried,
                "skipped": len(candidates) - tried,
            }
    return {"accepted": None, "tried": tried, "skipped": max(0, len(candidates) - tried)}
