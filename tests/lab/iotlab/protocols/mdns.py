# SPDX-License-Identifier: GPL-3.0-or-later
"""mDNS / DNS-SD (RFC 6762/6763) responder for unicast queries to the device on UDP 5353."""

from __future__ import annotations

import socket
import struct

PTR, TXT, SRV, A, ANY = 12, 16, 33, 1, 255
IN, CACHE_FLUSH = 1, 0x8000


def _name(labels: str) -> bytes:
    out = b""
    for part in labels.rstrip(".").split("."):
        raw = part.encode()
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _read_name(data: bytes, pos: int) -> tuple[str, int]:
    parts, jumped, end = [], False, pos
    for _unused in range(64):
        n = data[pos]
        if n == 0:
            pos += 1
            break
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = pos + 2
            pos = ((n & 0x3F) << 8) | data[pos + 1]
            jumped = True
            continue
        parts.append(data[pos + 1 : pos + 1 + n].decode("utf-8", "replace"))
        pos += 1 + n
    return ".".join(parts) + ".", (end if jumped else pos)


def _rr(name: str, rtype: int, rdata: bytes, ttl: int = 120, flush: bool = False) -> bytes:
    return (
        _name(name) + struct.pack("!HHIH", rtype, IN | (CACHE_FLUSH if flush else 0), ttl, len(rdata)) + rdata
    )


class MdnsResponder:
    """Announces ``services`` (type -> (instance, port, txt)) for ``host`` at ``address``."""

    def __init__(self, host: str, address: str, services: dict[str, tuple[str, int, dict[str, str]]]) -> None:
        self.host = host.rstrip(".") + ".local."
        self.address = address
        self.services = services

    def records(self, qname: str, qtype: int) -> list[bytes]:
        q = qname.lower()
        out = []
        if q == "_services._dns-sd._udp.local." and qtype in (PTR, ANY):
            out += [_rr(qname, PTR, _name(t)) for t in self.services]
        for stype, (instance, port, txt) in self.services.items():
            full = f"{instance}.{stype}"
            if q == stype.lower() and qtype in (PTR, ANY):
                out.append(_rr(stype, PTR, _name(full)))
                out.append(_rr(full, SRV, struct.pack("!HHH", 0, 0, port) + _name(self.host), flush=True))
                out.append(
                    _rr(
                        full,
                        TXT,
                        b"".join(bytes([len(e)]) + e for e in (f"{k}={v}".encode() for k, v in txt.items())),
                        flush=True,
                    )
                )
                out.append(_rr(self.host, A, socket.inet_aton(self.address), flush=True))
            elif q == full.lower() and qtype in (SRV, TXT, ANY):
                out.append(_rr(full, SRV, struct.pack("!HHH", 0, 0, port) + _name(self.host), flush=True))
        if q == self.host.lower() and qtype in (A, ANY):
            out.append(_rr(self.host, A, socket.inet_aton(self.address), flush=True))
        return out

    def handle(self, data: bytes, addr) -> bytes | None:
        if len(data) < 12:
            return None
        qid, flags, qd, _an, _ns, _ar = struct.unpack_from("!6H", data)
        if flags & 0x8000:
            return None
        pos, answers, questions = 12, [], b""
        for _unused in range(min(qd, 16)):
            qname, pos = _read_name(data, pos)
            qtype, _qclass = struct.unpack_from("!HH", data, pos)
            pos += 4
            questions += _name(qname) + struct.pack("!HH", qtype, IN)
            answers += self.records(qname, qtype)
        if not answers:
            return None
        # A unicast (legacy) query gets its id and question echoed (RFC 6762 section 6.7).
        legacy = addr[1] != 5353
        head = struct.pack("!6H", qid if legacy else 0, 0x8400, qd if legacy else 0, len(answers), 0, 0)
        return head + (questions if legacy else b"") + b"".join(answers)
