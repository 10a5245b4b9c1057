# SPDX-License-Identifier: GPL-3.0-or-later
"""DICOM upper layer (PS3.8) and C-ECHO (PS3.7): A-ASSOCIATE-RQ/AC/RJ, P-DATA, A-RELEASE.

Accepts the Verification SOP class (1.2.840.10008.1.1) with Implicit/Explicit VR Little
Endian, answers C-ECHO-RQ with C-ECHO-RSP status 0x0000, and rejects other abstract syntaxes.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass

from ..errors import DropConnection
from ..net import Conn

VERIFICATION = "1.2.840.10008.1.1"
APP_CONTEXT = "1.2.840.10008.3.1.1.1"
IMPLICIT_LE, EXPLICIT_LE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
MAX_PDU = 1 << 20


@dataclass
class DicomIdentity:
    ae_title: str = "MRC_CONSOLE"
    implementation_uid: str = "1.3.12.2.1107.5.2"
    implementation_version: str = "SYNGO_MR_B17"


def _uid(raw: bytes) -> str:
    return raw.rstrip(b"\0 ").decode("ascii", "replace")


def _item(kind: int, body: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(body)) + body


def _pdu(kind: int, body: bytes) -> bytes:
    return struct.pack(">BBI", kind, 0, len(body)) + body


def _elem(group: int, element: int, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\0"
    return struct.pack("<HHI", group, element, len(value)) + value


def _parse_command(data: bytes) -> dict[tuple[int, int], bytes]:
    out, pos = {}, 0
    while pos + 8 <= len(data):
        group, element, length = struct.unpack_from("<HHI", data, pos)
        out[(group, element)] = data[pos + 8 : pos + 8 + length]
        pos += 8 + length
    return out


def associate_ac(rq: bytes, ident: DicomIdentity) -> bytes:
    called, calling = rq[4:20], rq[20:36]
    pos, contexts = 68, []
    while pos + 4 <= len(rq):
        kind, _unused, length = struct.unpack_from(">BBH", rq, pos)
        body = rq[pos + 4 : pos + 4 + length]
        if kind == 0x20:
            ctx_id, sub, abstract, syntaxes = body[0], 4, "", []
            while sub + 4 <= len(body):
                sk, _unused, sl = struct.unpack_from(">BBH", body, sub)
                value = _uid(body[sub + 4 : sub + 4 + sl])
                if sk == 0x30:
                    abstract = value
                elif sk == 0x40:
                    syntaxes.append(value)
                sub += 4 + sl
            contexts.append((ctx_id, abstract, syntaxes))
        pos += 4 + length
    items = _item(0x10, APP_CONTEXT.encode())
    for ctx_id, abstract, syntaxes in contexts:
        chosen = next((s for s in (IMPLICIT_LE, EXPLICIT_LE) if s in syntaxes), None)
        if abstract != VERIFICATION:
            result, chosen = 3, IMPLICIT_LE  # abstract syntax not supported
        elif chosen is None:
            result, chosen = 4, IMPLICIT_LE  # transfer syntaxes not supported
        else:
            result = 0
        items += _item(0x21, bytes([ctx_id, 0, result, 0]) + _item(0x40, chosen.encode()))
    user = _item(0x51, struct.pack(">I", 16384))
    user += _item(0x52, ident.implementation_uid.encode())
    user += _item(0x55, ident.implementation_version.encode())
    items += _item(0x50, user)
    body = struct.pack(">HH", 1, 0) + called + calling + b"\0" * 32 + items
    return _pdu(0x02, body)


def echo_rsp(ctx_id: int, command: dict[tuple[int, int], bytes]) -> bytes:
    msg_id = command.get((0x0000, 0x0110), b"\x01\0")[:2]
    sop = command.get((0x0000, 0x0002), VERIFICATION.encode())
    elems = (
        _elem(0x0000, 0x0002, sop)
        + _elem(0x0000, 0x0100, struct.pack("<H", 0x8030))
        + _elem(0x0000, 0x0120, msg_id)
        + _elem(0x0000, 0x0800, struct.pack("<H", 0x0101))
        + _elem(0x0000, 0x0900, struct.pack("<H", 0x0000))
    )
    group = _elem(0x0000, 0x0000, struct.pack("<I", len(elems))) + elems
    pdv = struct.pack(">IB", len(group) + 2, ctx_id) + bytes([0x03]) + group  # command, last fragment
    return _pdu(0x04, pdv)


async def serve_dicom(conn: Conn, ident: DicomIdentity) -> None:
    associated = False
    fragments = b""
    while True:
        head = await conn.reader.read(6)
        if not head:
            return
        if len(head) < 6:
            head += await conn.reader.readexactly(6 - len(head))
        kind, _unused, length = struct.unpack(">BBI", head)
        if length > MAX_PDU:
            raise DropConnection
        body = await asyncio.wait_for(conn.reader.readexactly(length), 30)
        if kind == 0x01:  # A-ASSOCIATE-RQ
            called = body[4:20].decode("ascii", "replace").strip()
            if called not in (ident.ae_title, "ANY-SCP", ""):
                # A-ASSOCIATE-RJ: permanent, service user, called AE title not recognised
                await conn.send(_pdu(0x03, bytes([0, 1, 1, 7])))
                return
            await conn.send(associate_ac(body, ident))
            associated = True
        elif kind == 0x04 and associated:  # P-DATA-TF
            pos = 0
            while pos + 6 <= len(body):
                (item_len,) = struct.unpack_from(">I", body, pos)
                ctx_id, control = body[pos + 4], body[pos + 5]
                fragments += body[pos + 6 : pos + 4 + item_len]
                pos += 4 + item_len
                if control & 0x01 and control & 0x02:  # a complete command
                    command = _parse_command(fragments)
                    fragments = b""
                    if struct.unpack("<H", command.get((0x0000, 0x0100), b"\0\0")[:2])[0] == 0x0030:
                        await conn.send(echo_rsp(ctx_id, command))
        elif kind == 0x05:  # A-RELEASE-RQ
            await conn.send(_pdu(0x06, b"\0\0\0\0"))
            return
        elif kind == 0x07:  # A-ABORT
            return
        else:
            await conn.send(_pdu(0x07, b"\0\0\0\0"))  # A-ABORT
            return
