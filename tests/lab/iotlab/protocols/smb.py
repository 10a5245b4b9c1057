# SPDX-License-Identifier: GPL-3.0-or-later
"""SMB1 (CIFS) as Windows XP answers it: NEGOTIATE (NT LM 0.12, no extended security) and
SESSION SETUP AndX with ``Native OS: Windows 5.1``; everything after that is refused.

Enough for nmap's service probe and ``smb-os-discovery`` to see Windows XP.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from dataclasses import dataclass

from ..errors import DropConnection
from ..net import Conn

SMB_NEGOTIATE, SMB_SESSION_SETUP, SMB_LOGOFF, SMB_TREE_CONNECT = 0x72, 0x73, 0x74, 0x75
STATUS_OK, STATUS_ACCESS_DENIED, STATUS_NOT_SUPPORTED = 0, 0xC0000022, 0xC00000BB
FLAGS_REPLY = 0x88
FLAGS2_UNICODE, FLAGS2_NT_STATUS, FLAGS2_LONG_NAMES = 0x8000, 0x4000, 0x0001
CAPABILITIES = 0x0000E3FD  # XP: unicode, large files, NT SMBs, RPC, NT status, level II oplocks, ...
MAX_MESSAGE = 65536
EPOCH_AS_FILETIME = 116444736000000000


@dataclass
class WindowsIdentity:
    native_os: str = "Windows 5.1"
    native_lanman: str = "Windows 2000 LAN Manager"
    domain: str = "WORKGROUP"
    server: str = "MRI-CONSOLE"


def _strings(values: list[str], unicode: bool, offset: int | None) -> bytes:
    """Null-terminated strings; unicode ones padded to an even ``offset`` (None: no padding,
    as Windows does after the negotiate challenge)."""
    if unicode:
        pad = b"\0" if offset is not None and offset % 2 else b""
        return pad + b"".join(v.encode("utf-16-le") + b"\0\0" for v in values)
    return b"".join(v.encode("latin-1", "replace") + b"\0" for v in values)


def _header(req: bytes, cmd: int, status: int, flags2: int, uid: int | None = None) -> bytes:
    # request header fields we echo: PIDHigh (12:14), TID (24:26), PID (26:28), UID (28:30), MID (30:32)
    pid_high, tid, pid, ruid, mid = (
        struct.unpack_from("<HHHHH", req, 12)[0],
        *struct.unpack_from("<HHHH", req, 24),
    )
    return (
        b"\xffSMB"
        + struct.pack("<BIBH", cmd, status, FLAGS_REPLY, flags2)
        + struct.pack("<H", pid_high)
        + b"\0" * 8
        + b"\0\0"
        + struct.pack("<HHHH", tid, pid, ruid if uid is None else uid, mid)
    )


async def serve_smb(conn: Conn, ident: WindowsIdentity) -> None:
    challenge = os.urandom(8)
    while True:
        head = await conn.reader.read(4)
        if not head:
            return
        if len(head) < 4:
            head += await conn.reader.readexactly(4 - len(head))
        if head[0] != 0:  # NetBIOS session request (port 139 style) or keep-alive: not used on 445
            raise DropConnection
        length = int.from_bytes(head[1:4], "big")
        if length > MAX_MESSAGE or length < 32:
            raise DropConnection
        msg = await asyncio.wait_for(conn.reader.readexactly(length), 30)
        if msg[:4] != b"\xffSMB":
            raise DropConnection  # XP does not speak SMB2
        cmd = msg[4]
        req_flags2 = struct.unpack_from("<H", msg, 10)[0]
        flags2 = FLAGS2_NT_STATUS | FLAGS2_LONG_NAMES | (req_flags2 & FLAGS2_UNICODE)
        unicode = bool(flags2 & FLAGS2_UNICODE)
        if cmd == SMB_NEGOTIATE:
            body = msg[32:]
            count = struct.unpack_from("<H", body, 1)[0]
            dialects = [d.decode("latin-1") for d in body[3 : 3 + count].split(b"\x02") if d]
            dialects = [d.rstrip("\0") for d in dialects]
            if "NT LM 0.12" not in dialects:
                reply = _header(msg, cmd, STATUS_OK, flags2) + b"\x01\xff\xff\0\0"
            else:
                index = dialects.index("NT LM 0.12")
                filetime = int(time.time() * 10_000_000) + EPOCH_AS_FILETIME
                words = struct.pack(
                    "<HBHHIIII", index, 0x03, 10, 1, 4356, 65536, 0, CAPABILITIES
                ) + struct.pack("<QhB", filetime, 0, 8)
                data = challenge + _strings(
                    [ident.domain, ident.server], True, None
                )  # Windows: always UTF-16 here
                reply = (
                    _header(msg, cmd, STATUS_OK, flags2)
                    + bytes([17])
                    + words
                    + struct.pack("<H", len(data))
                    + data
                )
        elif cmd == SMB_SESSION_SETUP:
            wc = msg[32]
            if wc != 13:
                reply = _header(msg, cmd, STATUS_NOT_SUPPORTED, flags2) + b"\0\0\0"
            else:
                words = struct.pack("<BBHH", 0xFF, 0, 0, 1)  # no AndX, logged on as guest
                data = _strings([ident.native_os, ident.native_lanman, ident.domain], unicode, 32 + 1 + 6 + 2)
                reply = _header(msg, cmd, STATUS_OK, flags2, uid=0x0800) + bytes([3]) + words
                reply += struct.pack("<H", len(data)) + data
        elif cmd == SMB_LOGOFF:
            reply = _header(msg, cmd, STATUS_OK, flags2) + struct.pack("<BBBHH", 2, 0xFF, 0, 0, 0)
        else:
            reply = _header(msg, cmd, STATUS_ACCESS_DENIED, flags2) + b"\0\0\0"
        await conn.send(struct.pack(">I", len(reply)) + reply)
