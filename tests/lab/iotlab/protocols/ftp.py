# SPDX-License-Identifier: GPL-3.0-or-later
"""An FTP control channel (RFC 959) that greets, checks USER/PASS and says goodbye."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..errors import DropConnection
from ..net import Conn

if TYPE_CHECKING:
    from ..devices.base import Device


async def serve_ftp(conn: Conn, device: Device, banner: str) -> None:
    await conn.send(f"220 {banner}\r\n".encode())
    user = ""
    while True:
        raw = await asyncio.wait_for(conn.readline(), 60)
        if not raw:
            return
        line = raw.decode("utf-8", "replace").strip()
        verb, _unused, arg = line.partition(" ")
        verb = verb.upper()
        if verb == "USER":
            user = arg[:64]
            await conn.send(f"331 Password required for {user}.\r\n".encode())
        elif verb == "PASS":
            fault = await device.gate("login")
            ok = fault != "reject" and device.check_password(user, arg) == "ok"
            if fault == "drop_after":
                raise DropConnection
            await conn.send(b"230 User logged in.\r\n" if ok else b"530 Login incorrect.\r\n")
        elif verb == "QUIT":
            await conn.send(b"221 Goodbye.\r\n")
            return
        elif verb == "SYST":
            await conn.send(b"215 UNIX Type: L8\r\n")
        else:
            await conn.send(b"502 Command not implemented.\r\n")
