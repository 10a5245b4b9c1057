# SPDX-License-Identifier: GPL-3.0-or-later
"""Sockets bound to one device address, and the connection wrapper every TCP handler gets."""

from __future__ import annotations

import asyncio
import errno
import socket
from dataclasses import dataclass, field

from .errors import LabError

MAX_LINE = 4096


def _bind(kind: int, address: str, port: int, owner: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        proto = "tcp" if kind == socket.SOCK_STREAM else "udp"
        if exc.errno == errno.EADDRINUSE:
            raise LabError(
                f"{owner}: {address}:{port}/{proto} is already in use; another lab or service holds it "
                f"(run `tests/lab/lab status`, `lab down SITE`, or `ss -lntup | grep {address}`)"
            ) from exc
        if exc.errno == errno.EACCES:
            raise LabError(f"{owner}: binding {address}:{port}/{proto} needs root (ports < 1024)") from exc
        raise LabError(f"{owner}: cannot bind {address}:{port}/{proto}: {exc.strerror}") from exc
    return sock


def bind_tcp(address: str, port: int, owner: str) -> socket.socket:
    return _bind(socket.SOCK_STREAM, address, port, owner)


def bind_udp(address: str, port: int, owner: str) -> socket.socket:
    return _bind(socket.SOCK_DGRAM, address, port, owner)


@dataclass
class Conn:
    """One accepted TCP connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: tuple[str, int]
    local: tuple[str, int]
    scratch: dict = field(default_factory=dict)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def readline(self, limit: int = MAX_LINE) -> bytes:
        """A line ending in LF (or the rest at EOF), bounded to ``limit`` bytes."""
        buf = bytearray()
        while True:
            ch = await self.reader.read(1)
            if not ch:
                return bytes(buf)
            buf += ch
            if ch == b"\n" or len(buf) >= limit:
                return bytes(buf)

    def abort(self) -> None:
        self.writer.transport.abort()


class UdpProtocol(asyncio.DatagramProtocol):
    """Calls ``handler(data, addr)``; a bytes result is sent back to the sender."""

    def __init__(self, handler, tasks: set) -> None:
        self.handler = handler
        self.tasks = tasks
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        task = asyncio.ensure_future(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr) -> None:
        try:
            reply = self.handler(data, addr)
            if asyncio.iscoroutine(reply):
                reply = await reply
        except Exception:  # noqa: BLE001 - a malformed datagram gets no answer, like a device
            return
        if reply and self.transport is not None:
            for chunk in reply if isinstance(reply, list) else [reply]:
                self.transport.sendto(chunk, addr)
