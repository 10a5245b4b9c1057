# SPDX-License-Identifier: GPL-3.0-or-later
"""An SNMP v1/v2c agent (RFC 1157/3416) with its own BER codec: GET, GETNEXT, GETBULK.

A wrong community gets no answer (as real agents do); SET answers ``readOnly``/``noAccess``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

INTEGER, OCTET_STRING, NULL, OID, SEQUENCE = 0x02, 0x04, 0x05, 0x06, 0x30
TIMETICKS, NO_SUCH_OBJECT, END_OF_MIB = 0x43, 0x80, 0x82
GET, GETNEXT, RESPONSE, SET, GETBULK = 0xA0, 0xA1, 0xA2, 0xA3, 0xA5
NO_SUCH_NAME, READ_ONLY = 2, 4
MAX_VARBINDS = 64

Value = tuple[int, bytes | int | str | tuple[int, ...] | None]


# -- BER -----------------------------------------------------------------------------------
def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _len(len(body)) + body


def enc_int(tag: int, value: int) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(length, "big", signed=True))


def _base128(arc: int) -> bytes:
    chunk = [arc & 0x7F]
    arc >>= 7
    while arc:
        chunk.append(0x80 | (arc & 0x7F))
        arc >>= 7
    return bytes(reversed(chunk))


def enc_oid(oid: tuple[int, ...]) -> bytes:
    return tlv(OID, b"".join(_base128(a) for a in (40 * oid[0] + oid[1], *oid[2:])))


def enc_value(value: Value) -> bytes:
    tag, v = value
    if tag in (INTEGER, TIMETICKS):
        assert isinstance(v, int)
        return (
            enc_int(tag, v)
            if tag == INTEGER
            else tlv(tag, v.to_bytes(max(1, (v.bit_length() + 7) // 8), "big"))
        )
    if tag == OCTET_STRING:
        return tlv(tag, v.encode() if isinstance(v, str) else bytes(v or b""))  # type: ignore[arg-type]
    if tag == OID:
        return enc_oid(v)  # type: ignore[arg-type]
    return tlv(tag, b"")


def decode(data: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, body, next position) of the TLV at ``pos``."""
    tag = data[pos]
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise ValueError("bad BER length")
        n = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + n > len(data):
        raise ValueError("truncated BER")
    return tag, data[pos : pos + n], pos + n


def children(body: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(body):
        tag, value, pos = decode(body, pos)
        out.append((tag, value))
    return out


def dec_oid(body: bytes) -> tuple[int, ...]:
    if not body:
        raise ValueError("empty OID")
    subids, acc = [], 0
    for b in body:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            subids.append(acc)
            acc = 0
    first = subids[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *subids[1:])


def oid_str(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def parse_oid(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.strip(".").split("."))


# -- agent ---------------------------------------------------------------------------------
class SnmpAgent:
    """Answers for a MIB given as ``{oid: Value}``, rebuilt on each request by ``mib()``."""

    def __init__(
        self, mib: Callable[[], dict[tuple[int, ...], Value]], community: Callable[[], str | None]
    ) -> None:
        self.mib = mib
        self.community = community
        self.started = time.monotonic()

    def uptime(self) -> Value:
        return (TIMETICKS, int((time.monotonic() - self.started) * 100))

    def handle(self, data: bytes, addr) -> bytes | None:
        tag, body, _end = decode(data)
        if tag != SEQUENCE:
            return None
        parts = children(body)
        if len(parts) != 3 or parts[0][0] != INTEGER or parts[1][0] != OCTET_STRING:
            return None
        version = int.from_bytes(parts[0][1], "big")
        community = parts[1][1].decode("latin-1")
        want = self.community()
        if version not in (0, 1) or want is None or community != want:
            return None
        pdu_tag, pdu_body = parts[2]
        fields = children(pdu_body)
        request_id = int.from_bytes(fields[0][1], "big", signed=True)
        varbinds = [children(vb)[0] for _tag, vb in children(fields[3][1])][:MAX_VARBINDS]
        oids = [dec_oid(v[1]) for v in varbinds]
        mib = self.mib()
        ordered = sorted(mib)
        error_status = error_index = 0
        out: list[tuple[tuple[int, ...], Value]] = []
        if pdu_tag == GET:
            for i, oid in enumerate(oids):
                if oid in mib:
                    out.append((oid, mib[oid]))
                elif version == 0:
                    error_status, error_index = NO_SUCH_NAME, i + 1
                    out = [(o, (NULL, None)) for o in oids]
                    break
                else:
                    out.append((oid, (NO_SUCH_OBJECT, None)))
        elif pdu_tag in (GETNEXT, GETBULK):
            repeat = 1
            if pdu_tag == GETBULK:
                if version == 0:
                    return None
                repeat = max(1, min(int.from_bytes(fields[2][1], "big"), MAX_VARBINDS))
            for i, oid in enumerate(oids):
                cur = oid
                for _step in range(repeat):
                    nxt = next((o for o in ordered if o > cur), None)
                    if nxt is None:
                        if version == 0:
                            error_status, error_index = NO_SUCH_NAME, i + 1
                        out.append((cur, (END_OF_MIB, None)))
                        break
                    out.append((nxt, mib[nxt]))
                    cur = nxt
            if error_status:
                out = [(o, (NULL, None)) for o in oids]
        elif pdu_tag == SET:
            error_status, error_index = (NO_SUCH_NAME if version == 0 else READ_ONLY), 1
            out = [(o, (NULL, None)) for o in oids]
        else:
            return None
        vbs = b"".join(tlv(SEQUENCE, enc_oid(o) + enc_value(v)) for o, v in out)
        pdu = enc_int(INTEGER, request_id) + enc_int(INTEGER, error_status) + enc_int(INTEGER, error_index)
        pdu += tlv(SEQUENCE, vbs)
        msg = enc_int(INTEGER, version) + tlv(OCTET_STRING, parts[1][1]) + tlv(RESPONSE, pdu)
        return tlv(SEQUENCE, msg)


def system_mib(descr: str, object_id: str, name: str, location: str, contact: str, uptime: Value) -> dict:
    base = (1, 3, 6, 1, 2, 1, 1)
    return {
        (*base, 1, 0): (OCTET_STRING, descr),
        (*base, 2, 0): (OID, parse_oid(object_id)),
        (*base, 3, 0): uptime,
        (*base, 4, 0): (OCTET_STRING, contact),
        (*base, 5, 0): (OCTET_STRING, name),
        (*base, 6, 0): (OCTET_STRING, location),
        (*base, 7, 0): (INTEGER, 72),
    }
