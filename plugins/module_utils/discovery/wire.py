# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Wire formats the probes speak: requests we send, parsers for what comes back.

Pure functions over bytes (no sockets), so each is unit-tested with captured replies.
Parsers are defensive: a reply is attacker-controlled, every length is checked, nothing
raises past ``ValueError``.
"""

from __future__ import annotations

import re
import struct

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile

# ---------------------------------------------------------------- SNMP (BER, v1/v2c GET)
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SNMP_OIDS = {
    SYS_DESCR: "sysdescr",
    "1.3.6.1.2.1.1.2.0": "sysobjectid",
    "1.3.6.1.2.1.1.5.0": "sysname",
}


def _ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, value):
    return bytes([tag]) + _ber_len(len(value)) + value


def _ber_int(n):
    return _tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _ber_oid(oid):
    parts = [int(p) for p in oid.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def snmp_get_request(community, request_id, version="2c", oids=tuple(SNMP_OIDS)):
    """An SNMP GetRequest for ``oids`` (v1 or v2c)."""
    ver = 0 if version == "1" else 1
    varbinds = b"".join(_tlv(0x30, _ber_oid(o) + b"\x05\x00") for o in oids)
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) + _tlv(0x30, varbinds))
    return _tlv(0x30, _ber_int(ver) + _tlv(0x04, community.encode("utf-8")) + pdu)


def _ber_read(data, pos):
    if pos + 2 > len(data):
        raise ValueError("truncated BER")
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > len(data):
            raise ValueError("bad BER length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > len(data):
        raise ValueError("truncated BER value")
    return tag, data[pos : pos + n], pos + n


def _ber_items(data):
    pos, out = 0, []
    while pos < len(data):
        tag, val, pos = _ber_read(data, pos)
        out.append((tag, val))
    return out


def _oid_str(val):
    if not val:
        return ""
    parts = [val[0] // 40, val[0] % 40]
    n = 0
    for b in val[1:]:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            parts.append(n)
            n = 0
    return ".".join(str(p) for p in parts)


class SnmpErrorStatus(ValueError):
    """A well-formed GetResponse whose error-status is not zero (noSuchName, ...)."""

    def __init__(self, request_id, status):
        super().__init__("SNMP error-status %d" % status)
        self.request_id = request_id
        self.status = status


def parse_snmp_response(data):
    """``(request_id, {name: value})`` from a GetResponse; raises ValueError otherwise
    (SnmpErrorStatus, with the request id, for a reply with a non-zero error-status)."""
    tag, body = _ber_read(data, 0)[:2]
    if tag != 0x30:
        raise ValueError("not an SNMP message")
    items = _ber_items(body)
    if len(items) < 3 or items[2][0] != 0xA2:
        raise ValueError("not a GetResponse")
    pdu = _ber_items(items[2][1])
    request_id = int.from_bytes(pdu[0][1], "big", signed=True)
    if int.from_bytes(pdu[1][1], "big") != 0:
        raise SnmpErrorStatus(request_id, int.from_bytes(pdu[1][1], "big"))
    values = {}
    for _tag, vb in _ber_items(pdu[3][1]):
        parts = _ber_items(vb)
        if len(parts) != 2 or parts[0][0] != 0x06:
            continue
        oid = _oid_str(parts[0][1])
        vtag, vval = parts[1]
        if oid not in SNMP_OIDS or vtag in (0x05, 0x80, 0x81, 0x82):
            continue
        if vtag == 0x06:
            values[SNMP_OIDS[oid]] = _oid_str(vval)
        elif vtag == 0x02:
            values[SNMP_OIDS[oid]] = str(int.from_bytes(vval, "big", signed=True))
        else:
            values[SNMP_OIDS[oid]] = hostile.text(vval, 512)
    return request_id, values


# ---------------------------------------------------------------- DNS / mDNS
def dns_query(names, qtype=12, unicast=True, qid=0):
    """A DNS query (several questions are fine for mDNS); PTR by default, QU bit set."""
    out = bytearray(struct.pack(">HHHHHH", qid, 0, len(names), 0, 0, 0))
    for name in names:
        for label in name.rstrip(".").split("."):
            raw = label.encode("utf-8")
            out.append(len(raw))
            out.extend(raw)
        out.append(0)
        out.extend(struct.pack(">HH", qtype, 0x8001 if unicast else 1))
    return bytes(out)


def _dns_name(data, pos, depth=0):
    labels = []
    jumped_end = None
    hops = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated name")
        n = data[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 == 0xC0:
            if pos + 1 >= len(data):
                raise ValueError("truncated pointer")
            ptr = ((n & 0x3F) << 8) | data[pos + 1]
            if jumped_end is None:
                jumped_end = pos + 2
            hops += 1
            if hops > 16 or ptr >= len(data):
                raise ValueError("bad compression pointer")
            pos = ptr
            continue
        labels.append(hostile.decode(data[pos + 1 : pos + 1 + n]))
        pos += 1 + n
        if len(labels) > 64:
            raise ValueError("name too long")
    return ".".join(labels), (jumped_end if jumped_end is not None else pos)


def parse_dns_response(data):
    """Records of a DNS/mDNS answer: list of dicts name/type/value (PTR, TXT, SRV, A)."""
    if len(data) < 12:
        raise ValueError("short DNS message")
    _qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", data[:12])
    if not flags & 0x8000:
        raise ValueError("not a DNS response")
    pos = 12
    for _question in range(qd):
        _n, pos = _dns_name(data, pos)
        pos += 4
    records = []
    for _record in range(min(an + ns + ar, 200)):
        name, pos = _dns_name(data, pos)
        if pos + 10 > len(data):
            break
        rtype, _rclass, _ttl, rdlen = struct.unpack(">HHIH", data[pos : pos + 10])
        pos += 10
        rdata = data[pos : pos + rdlen]
        start = pos
        pos += rdlen
        rec = {"name": hostile.text(name, 255), "type": rtype}
        if rtype == 12:
            rec["value"] = hostile.text(_dns_name(data, start)[0], 255)
        elif rtype == 16:
            txt, i = [], 0
            while i < len(rdata):
                ln = rdata[i]
                txt.append(hostile.text(rdata[i + 1 : i + 1 + ln], 255))
                i += 1 + ln
            rec["value"] = [t for t in txt if t]
        elif rtype == 33 and rdlen >= 7:
            rec["value"] = {
                "port": struct.unpack(">H", rdata[4:6])[0],
                "target": hostile.text(_dns_name(data, start + 6)[0], 255),
            }
        elif rtype == 1 and rdlen == 4:
            rec["value"] = ".".join(str(b) for b in rdata)
        else:
            continue
        records.append(rec)
    return records


# ---------------------------------------------------------------- HTTP-like replies
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
_REALM = re.compile(r'realm="([^"]*)"', re.I)


def parse_http_like(data):
    """Status line, headers (lower-case keys, first value wins) and body of HTTP/RTSP/SIP/SSDP."""
    head, _sep, body = data.partition(b"\r\n\r\n")
    if not body and b"\n\n" in head:
        head, _sep, body = data.partition(b"\n\n")
    lines = hostile.decode(head).splitlines()
    if not lines:
        raise ValueError("empty reply")
    status = lines[0]
    headers = {}
    for line in lines[1:100]:
        key, sep, val = line.partition(":")
        if sep:
            headers.setdefault(key.strip().lower(), val.strip())
    return status, headers, body


def http_summary(data):
    """What an HTTP reply says about the device: status, server, title, realm, location."""
    status, headers, body = parse_http_like(data)
    if not status.upper().startswith("HTTP/"):
        raise ValueError("not HTTP")
    out = {"status": hostile.text(status, 80)}
    parts = status.split()
    if len(parts) >= 2 and parts[1].isdigit():
        out["status_code"] = int(parts[1])
    for key, name in (("server", "server"), ("location", "location"), ("x-powered-by", "powered_by")):
        if headers.get(key):
            out[name] = hostile.text(headers[key], 200)
    auth = headers.get("www-authenticate")
    if auth:
        out["auth"] = hostile.text(auth.split()[0], 16)
        m = _REALM.search(auth)
        if m:
            out["realm"] = hostile.text(m.group(1), 128)
    m = _TITLE.search(body[:65536])
    if m:
        title = hostile.text(re.sub(rb"\s+", b" ", m.group(1)), 128)
        if title:
            out["title"] = title
    return out


_UPNP_TAGS = ("manufacturer", "modelName", "modelNumber", "friendlyName", "deviceType", "modelDescription")


def upnp_description(body):
    """Fields of a UPnP device description (regex over bounded text, no XML parser)."""
    out = {}
    text = hostile.decode(body[:65536])
    for tag in _UPNP_TAGS:
        m = re.search(r"<%s>([^<]{1,256})</%s>" % (tag, tag), text)
        if m:
            out[tag.lower()] = hostile.text(m.group(1), 128)
    return out


def ssdp_msearch():
    return (
        b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
        b'MAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'
    )


def sip_options(target, local, lport, tag, transport="UDP"):
    return (
        "OPTIONS sip:%(t)s SIP/2.0\r\n"
        "Via: SIP/2.0/%(tr)s %(l)s:%(p)d;branch=z9hG4bK%(tag)s\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:probe@%(l)s>;tag=%(tag)s\r\n"
        "To: <sip:%(t)s>\r\n"
        "Call-ID: %(tag)s@%(l)s\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "Contact: <sip:probe@%(l)s:%(p)d>\r\n"
        "Accept: application/sdp\r\n"
        "Content-Length: 0\r\n\r\n" % {"t": target, "l": local, "p": lport, "tag": tag, "tr": transport}
    ).encode("ascii")


def sip_summary(data):
    status, headers = parse_http_like(data)[:2]
    if not status.upper().startswith("SIP/2.0"):
        raise ValueError("not SIP")
    out = {"status": hostile.text(status, 80)}
    for key in ("user-agent", "server"):
        if headers.get(key):
            out["agent"] = hostile.text(headers[key], 200)
            break
    if headers.get("allow"):
        out["allow"] = hostile.text(headers["allow"], 200)
    return out


# ---------------------------------------------------------------- telnet
IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240


def telnet_strip(data):
    """``(text, reply)``: the printable stream and our refusals of every option offered."""
    text = bytearray()
    reply = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b != IAC:
            text.append(b)
            i += 1
            continue
        if i + 1 >= len(data):
            break
        cmd = data[i + 1]
        if cmd in (DO, DONT, WILL, WONT) and i + 2 < len(data):
            opt = data[i + 2]
            if cmd == DO:
                reply += bytes([IAC, WONT, opt])
            elif cmd == WILL:
                reply += bytes([IAC, DONT, opt])
            i += 3
        elif cmd == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            i = len(data) if end < 0 else end + 2
        elif cmd == IAC:
            text.append(IAC)
            i += 2
        else:
            i += 2
    return bytes(text), bytes(reply)


# ---------------------------------------------------------------- MQTT
def mqtt_connect(client_id="iotguard-probe"):
    cid = client_id.encode("ascii")
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = struct.pack(">H", len(cid)) + cid
    body = var + payload
    return bytes([0x10, len(body)]) + body


MQTT_CONNACK = {
    0: "accepted",
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


def parse_mqtt_connack(data):
    if len(data) < 4 or data[0] != 0x20 or data[1] != 0x02:
        raise ValueError("not an MQTT CONNACK")
    rc = data[3]
    return {"connack": MQTT_CONNACK.get(rc, "code %d" % rc), "anonymous": rc == 0}


def mqtt_subscribe(topic, packet_id=1):
    t = topic.encode("ascii")
    body = struct.pack(">H", packet_id) + struct.pack(">H", len(t)) + t + b"\x00"
    return bytes([0x82, len(body)]) + body


def parse_mqtt_publish(data):
    """``(topic, payload)`` of the first PUBLISH packet in ``data`` (skips SUBACK etc.)."""
    pos = 0
    while pos < len(data):
        ptype = data[pos] >> 4
        mult, length, i = 1, 0, pos + 1
        while i < len(data):
            b = data[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        end = i + length
        if ptype == 3 and end <= len(data):
            tlen = struct.unpack(">H", data[i : i + 2])[0]
            topic = data[i + 2 : i + 2 + tlen]
            qos = (data[pos] >> 1) & 3
            start = i + 2 + tlen + (2 if qos else 0)
            return hostile.text(topic, 128), hostile.text(data[start:end], 128)
        pos = end
    raise ValueError("no PUBLISH")


# ---------------------------------------------------------------- PJL (printers on 9100)
PJL_INFO_ID = b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n"


def parse_pjl_id(data):
    text = hostile.decode(data)
    m = re.search(r"@PJL INFO ID\s*\r?\n(.*?)(?:\r?\n|\x0c|$)", text, re.S)
    if not m:
        raise ValueError("no PJL INFO ID reply")
    return {"id": hostile.text(m.group(1).strip().strip('"'), 128)}


# ---------------------------------------------------------------- SMB (negotiate + null session)
def _nbss(payload):
    return struct.pack(">I", len(payload)) + payload


def _smb1_header(command, flags2=0xC001, uid=0):
    return (
        b"\xffSMB"
        + bytes([command])
        + b"\x00" * 4
        + b"\x18"
        + struct.pack("<H", flags2)
        + b"\x00" * 12
        + struct.pack("<HHHH", 0, 0xFEFF, uid, 0)
    )


def smb_negotiate():
    dialects = b"\x02NT LM 0.12\x00\x02SMB 2.002\x00"
    return _nbss(_smb1_header(0x72) + b"\x00" + struct.pack("<H", len(dialects)) + dialects)


def _utf16_run(raw, start):
    """One NUL-terminated UTF-16LE string from ``start``: (text, next position)."""
    pos = start
    while pos + 1 < len(raw) and raw[pos : pos + 2] != b"\x00\x00":
        pos += 2
    return raw[start:pos].decode("utf-16-le", "replace"), pos + 2


def _utf16_strings(raw, count=3):
    """Up to ``count`` NUL-terminated UTF-16LE strings; copes with a one-byte alignment pad
    (servers differ on whether they pad), by taking whichever alignment reads as text."""
    out = []
    pos = 0
    while pos < len(raw) and len(out) < count:
        best = None
        for p in (pos, pos + 1):
            text, nxt = _utf16_run(raw, p)
            score = sum(1 for ch in text if 0x20 <= ord(ch) < 0x7F) - 2 * sum(
                1 for ch in text if ord(ch) > 0x2FF
            )
            if best is None or score > best[0]:
                best = (score, text, nxt)
        _score, text, pos = best
        s = hostile.text(text, 128)
        if s:
            out.append(s)
    return out


def parse_smb_negotiate(data):
    """Dialect and (SMB1 without extended security) domain and server names."""
    if len(data) < 8:
        raise ValueError("short SMB reply")
    msg = data[4:]
    if msg[:4] == b"\xfeSMB":
        dialect = struct.unpack("<H", msg[64 + 4 : 64 + 6])[0] if len(msg) >= 70 else 0
        return {"dialect": "SMB 2/3 (0x%04x)" % dialect, "smb1": False}
    if msg[:4] != b"\xffSMB" or msg[4] != 0x72:
        raise ValueError("not an SMB negotiate reply")
    out = {"dialect": "NT LM 0.12", "smb1": True}
    wc = msg[32]
    if wc == 17:
        words = msg[33 : 33 + 34]
        out["session_key"] = struct.unpack("<I", words[15:19])[0]
        caps = struct.unpack("<I", words[19:23])[0]
        out["extended_security"] = bool(caps & 0x80000000)
        bc_pos = 33 + 34
        bc = struct.unpack("<H", msg[bc_pos : bc_pos + 2])[0]
        raw = msg[bc_pos + 2 : bc_pos + 2 + bc]
        keylen = words[33]
        if not out["extended_security"]:
            names = _utf16_strings(raw[keylen:])
            if names:
                out["domain"] = names[0]
            if len(names) > 1:
                out["server"] = names[1]
    return out


def smb_session_setup(session_key=0):
    words = struct.pack("<BBHHHHIHHII", 0xFF, 0, 0, 0xFFFF, 2, 1, session_key, 0, 0, 0, 0x000000D4)
    data = (
        b"\x00"
        + "\x00\x00\x00\x00".encode()
        + "Unix\x00".encode("utf-16-le")
        + "Samba\x00".encode("utf-16-le")
    )
    return _nbss(_smb1_header(0x73) + bytes([13]) + words + struct.pack("<H", len(data)) + data)


def parse_smb_session_setup(data):
    msg = data[4:]
    if msg[:4] != b"\xffSMB" or len(msg) < 35 or msg[4] != 0x73:
        raise ValueError("not an SMB session setup reply")
    wc = msg[32]
    bc_pos = 33 + wc * 2
    bc = struct.unpack("<H", msg[bc_pos : bc_pos + 2])[0]
    raw = msg[bc_pos + 2 : bc_pos + 2 + bc]
    flags2 = struct.unpack("<H", msg[10:12])[0]
    if flags2 & 0x8000:
        if (bc_pos + 2) % 2:
            raw = raw[1:]
        names = _utf16_strings(raw)
    else:
        names = [hostile.text(p, 128) for p in raw.split(b"\x00") if p]
    out = {}
    for key, val in zip(("os", "lanman", "domain"), names[:3]):  # noqa: B905 - shorter is fine
        out[key] = val
    return out


# ---------------------------------------------------------------- DICOM (association + C-ECHO)
VERIFICATION_UID = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
APP_CONTEXT = "1.2.840.10008.3.1.1.1"
OUR_IMPL_UID = "1.2.826.0.1.3680043.10.1125.1"


def _item(t, value):
    return bytes([t, 0]) + struct.pack(">H", len(value)) + value


def dicom_associate_rq(called="ANY-SCP", calling="IOTGUARD"):
    pres = b"\x01\x00\x00\x00" + _item(0x30, VERIFICATION_UID.encode()) + _item(0x40, IMPLICIT_LE.encode())
    user = (
        _item(0x51, struct.pack(">I", 16384)) + _item(0x52, OUR_IMPL_UID.encode()) + _item(0x55, b"IOTGUARD")
    )
    body = (
        struct.pack(">HH", 1, 0)
        + called.encode().ljust(16)[:16]
        + calling.encode().ljust(16)[:16]
        + b"\x00" * 32
        + _item(0x10, APP_CONTEXT.encode())
        + _item(0x20, pres)
        + _item(0x50, user)
    )
    return b"\x01\x00" + struct.pack(">I", len(body)) + body


def parse_dicom_associate(data):
    """Accept/reject and the peer's implementation class UID and version name."""
    if len(data) < 10:
        raise ValueError("short DICOM reply")
    ptype = data[0]
    if ptype == 0x03:
        return {
            "association": "rejected",
            "reason": "result %d source %d reason %d" % (data[7], data[8], data[9]),
        }
    if ptype != 0x02:
        raise ValueError("not a DICOM association reply")
    out = {"association": "accepted", "accepted_contexts": 0}
    pos = 6 + 68
    while pos + 4 <= len(data):
        it, ln = data[pos], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        val = data[pos + 4 : pos + 4 + ln]
        if it == 0x21 and len(val) >= 3 and val[2] == 0:
            out["accepted_contexts"] += 1
        if it == 0x50:
            sp = 0
            while sp + 4 <= len(val):
                st, sl = val[sp], struct.unpack(">H", val[sp + 2 : sp + 4])[0]
                sv = val[sp + 4 : sp + 4 + sl]
                if st == 0x52:
                    out["impl_class"] = hostile.text(sv.rstrip(b"\x00"), 64)
                elif st == 0x55:
                    out["impl_version"] = hostile.text(sv.rstrip(b"\x00"), 64)
                sp += 4 + sl
        pos += 4 + ln
    return out


def _elem(group, element, value):
    return struct.pack("<HHI", group, element, len(value)) + value


def dicom_c_echo_rq(message_id=1):
    uid = VERIFICATION_UID.encode()
    if len(uid) % 2:
        uid += b"\x00"
    rest = (
        _elem(0, 0x0002, uid)
        + _elem(0, 0x0100, struct.pack("<H", 0x0030))
        + _elem(0, 0x0110, struct.pack("<H", message_id))
        + _elem(0, 0x0800, struct.pack("<H", 0x0101))
    )
    cmd = _elem(0, 0x0000, struct.pack("<I", len(rest))) + rest
    pdv = struct.pack(">I", len(cmd) + 2) + b"\x01\x03" + cmd
    return b"\x04\x00" + struct.pack(">I", len(pdv)) + pdv


def parse_dicom_c_echo_rsp(data):
    if len(data) < 12 or data[0] != 0x04:
        raise ValueError("not a DICOM P-DATA reply")
    cmd = data[12:]
    pos = 0
    while pos + 8 <= len(cmd):
        group, element, ln = struct.unpack("<HHI", cmd[pos : pos + 8])
        if group == 0 and element == 0x0900 and ln == 2:
            return {"echo_status": struct.unpack("<H", cmd[pos + 8 : pos + 10])[0]}
        pos += 8 + ln
    raise ValueError("no status in C-ECHO-RSP")


DICOM_RELEASE_RQ = b"\x05\x00\x00\x00\x00\x04\x00\x00\x00\x00"


# ---------------------------------------------------------------- BACnet/IP Who-Is
BACNET_WHO_IS = b"\x81\x0a\x00\x08\x01\x00\x10\x08"


def parse_bacnet_i_am(data):
    """Device instance and vendor id of an I-Am (BVLC + NPDU + unconfirmed APDU)."""
    if len(data) < 8 or data[0] != 0x81:
        raise ValueError("not BACnet/IP")
    npdu = data[4:]
    ctrl = npdu[1]
    pos = 2
    if ctrl & 0x20:  # destination present
        dlen = npdu[pos + 2]
        pos += 3 + dlen
    if ctrl & 0x08:  # source present
        slen = npdu[pos + 2]
        pos += 3 + slen
    if ctrl & 0x20:
        pos += 1  # hop count
    apdu = npdu[pos:]
    if len(apdu) < 2 or apdu[0] != 0x10 or apdu[1] != 0x00:
        raise ValueError("not an I-Am")
    # object id (context app tag 12, len 4), max APDU (unsigned), segmentation (enum), vendor id (unsigned)
    vals = []
    i = 2
    while i < len(apdu) and len(vals) < 4:
        tag = apdu[i]
        ln = tag & 0x07
        val = apdu[i + 1 : i + 1 + ln]
        vals.append(int.from_bytes(val, "big"))
        i += 1 + ln
    if len(vals) < 4:
        raise ValueError("short I-Am")
    return {"instance": vals[0] & 0x3FFFFF, "vendor_id": vals[3]}
