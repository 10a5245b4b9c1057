# SPDX-License-Identifier: GPL-3.0-or-later
"""Telnet (RFC 854) with option negotiation, a ``login:``/``Password:`` dialogue and a shell."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..errors import DropConnection
from ..net import Conn
from .shell import BusyBoxShell

if TYPE_CHECKING:
    from ..devices.base import Device

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA, NAWS, LINEMODE = 1, 3, 31, 34
# What BusyBox telnetd sends first (networking/telnetd.c, make_new_session): DO ECHO,
# DO NAWS, WILL ECHO, WILL SGA. A client's NAWS answer (IAC SB NAWS w w h h IAC SE) is read
# and ignored.
BUSYBOX_NEGOTIATION = bytes([IAC, DO, ECHO, IAC, DO, NAWS, IAC, WILL, ECHO, IAC, WILL, SGA])
# BusyBox login(1) pauses this long after a refused password (loginutils/login.c,
# pause_after_failed_login: 3 s); a site may set `login_failure_delay` lower for fast tests.
LOGIN_FAILURE_DELAY = 3.0
MAX_INPUT = 512
LOGIN_ATTEMPTS = 3
LOGIN_IDLE_SECONDS = 60.0


class TelnetIO:
    """Reads lines from a telnet client, stripping IAC commands; echoes when asked."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._pending_cr = False

    async def write(self, text: str) -> None:
        await self.conn.send(text.encode("utf-8", "replace").replace(bytes([IAC]), bytes([IAC, IAC])))

    async def _byte(self) -> int | None:
        b = await self.conn.reader.read(1)
        return b[0] if b else None

    async def readline(self, echo: bool = True) -> str | None:
        buf = bytearray()
        while True:
            b = await self._byte()
            if b is None:
                return None if not buf else buf.decode("utf-8", "replace")
            if b == IAC:
                cmd = await self._byte()
                if cmd in (DO, DONT, WILL, WONT):
                    await self._byte()
                elif cmd == SB:
                    while True:
                        x = await self._byte()
                        if x is None:
                            return None
                        if x == IAC and await self._byte() == SE:
                            break
                elif cmd == IAC:
                    buf.append(IAC)
                continue
            if self._pending_cr:
                self._pending_cr = False
                if b in (0, 10):
                    continue
            if b in (13, 10):
                self._pending_cr = b == 13
                if echo:
                    await self.conn.send(b"\r\n")
                return "".join(ch for ch in buf.decode("utf-8", "replace") if ch.isprintable())
            if b in (8, 127):
                if buf:
                    buf.pop()
                continue
            if len(buf) < MAX_INPUT:
                buf.append(b)
                if echo and 32 <= b < 127:
                    await self.conn.send(bytes([b]))


async def serve_telnet(conn: Conn, device: Device) -> None:
    io = TelnetIO(conn)
    await conn.send(device.variant.get("telnet_negotiation", BUSYBOX_NEGOTIATION))
    await io.write(device.variant.get("telnet_banner", "\r\n"))
    for _unused in range(LOGIN_ATTEMPTS):
        await io.write(f"{device.variant.get('login_prompt', device.hostname + ' login')}: ")
        user = await asyncio.wait_for(io.readline(), LOGIN_IDLE_SECONDS)
        if user is None:
            return
        await io.write("Password: ")
        password = await asyncio.wait_for(io.readline(echo=False), LOGIN_IDLE_SECONDS)
        if password is None:
            return
        await io.write("\r\n")
        fault = await device.gate("login")
        result = "bad" if fault == "reject" else device.check_password(user.strip(), password)
        if fault == "drop_after":
            raise DropConnection
        if result == "ok":
            await BusyBoxShell(device, user.strip(), io).interact()
            return
        await asyncio.sleep(device.login_failure_delay(LOGIN_FAILURE_DELAY))
        await io.write("Login incorrect\r\n")
