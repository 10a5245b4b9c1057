# SPDX-License-Identifier: GPL-3.0-or-later
"""MikroTik-like routers: the RouterOS API on tcp/8728 and the WebFig page on http/80.

Follows MikroTik's RouterOS manual, "API" (help.mikrotik.com/docs/display/ROS/API):

* a word is its length (1 to 5 bytes: ``0xxxxxxx``, ``10xxxxxx x``, ``110xxxxx x x``,
  ``1110xxxx x x x``, ``11110000 x x x x``) and its bytes; a sentence ends with an empty word;
* ``/login`` with ``=name=`` and ``=password=`` (6.43 and later) answers ``!done``, or
  ``!trap =message=invalid user name or password (6)`` then ``!done`` (every reply ends
  with ``!done``); every other command before a login is refused;
* ``/user/print`` (``!re`` per user: ``=.id=*1 =name=admin =group=full``), ``/user/set``
  with ``=.id=`` and ``=password=``; ``/ip/service/print`` and ``/ip/service/set`` with
  ``=disabled=yes|no``; ``/system/resource/print``; ``/quit`` ends with ``!fatal``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..net import Conn
from ..protocols.http import Request, Response, serve_http
from .base import Device, Listener

MAX_WORD = 64 * 1024
MAX_WORDS = 64
SERVICES = (("telnet", 23), ("ftp", 21), ("www", 80), ("ssh", 22), ("api", 8728), ("winbox", 8291))


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def sentence(*words: str) -> bytes:
    out = bytearray()
    for w in words:
        data = w.encode("utf-8")
        out += encode_length(len(data)) + data
    return bytes(out) + b"\x00"


async def read_length(conn: Conn) -> int:
    first = (await conn.reader.readexactly(1))[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | (await conn.reader.readexactly(1))[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(await conn.reader.readexactly(2), "big")
    if first < 0xF0:
        return ((first & 0x0F) << 24) | int.from_bytes(await conn.reader.readexactly(3), "big")
    if first == 0xF0:
        return int.from_bytes(await conn.reader.readexactly(4), "big")
    raise DropConnection  # control bytes: not a word


async def read_sentence(conn: Conn) -> list[str]:
    words: list[str] = []
    while True:
        n = await read_length(conn)
        if n == 0:
            return words
        if n > MAX_WORD or len(words) >= MAX_WORDS:
            raise DropConnection
        words.append((await conn.reader.readexactly(n)).decode("utf-8", "replace"))


def attributes(words: list[str]) -> dict[str, str]:
    out = {}
    for w in words:
        if w.startswith("="):
            key, _sep, value = w[1:].partition("=")
            out[key] = value
    return out


class MikrotikRouter(Device):
    KIND = "mikrotik_router"
    DEVICE_CLASS = "router"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        # RouterOS before 6.49 shipped "admin" with a blank password
        "hap-ac2-6.48": {
            "vendor": "MikroTik",
            "model": "RBD52G-5HacD2HnD",
            "board": "hAP ac^2",
            "firmware": "6.48.6",
            "oui": "48:8f:5a",
            "users": [{"username": "admin", "password": "", "role": "full"}],
            "policy": {"min_length": 0, "max_length": 64, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "settings": {"service_telnet": True, "service_ftp": True, "service_ssh": True},
        },
    }

    def listeners(self) -> list[Listener]:
        return [
            Listener("routeros-api", "tcp", 8728, self.serve_api, True),
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.webfig, None), True),
        ]

    async def webfig(self, req: Request) -> Response:
        if req.path in ("/", "/webfig/"):
            return Response(
                200,
                "<html><head><title>RouterOS router configuration page</title></head>"
                f'<body><h1>RouterOS v{self.firmware}</h1><a href="/webfig/">Webfig</a></body></html>\n',
            )
        return Response(404, "<html><body>not found</body></html>\n")

    # -- the API -----------------------------------------------------------------------------
    async def serve_api(self, conn: Conn) -> None:
        user: str | None = None
        while True:
            words = await read_sentence(conn)
            if not words:
                continue
            command, attrs = words[0], attributes(words[1:])
            tag = next((w for w in words[1:] if w.startswith(".tag=")), None)
            extra = (tag,) if tag else ()
            if command == "/quit":
                await conn.send(sentence("!fatal", "session terminated on request"))
                return
            if command == "/login":
                fault = await self.gate("login")
                name = attrs.get("name", "")[:64]
                result = "bad" if fault == "reject" else self.check_password(name, attrs.get("password", ""))
                if fault == "drop_after":
                    raise DropConnection
                if result == "ok":
                    user = name
                    await conn.send(sentence("!done", *extra))
                else:
                    await conn.send(sentence("!trap", "=message=invalid user name or password (6)", *extra))
                    await conn.send(sentence("!done", *extra))
                continue
            if user is None:
                await conn.send(sentence("!trap", "=message=not logged in", *extra))
                await conn.send(sentence("!done", *extra))
                continue
            handler = {
                "/user/print": self.user_print,
                "/user/set": self.user_set,
                "/ip/service/print": self.service_print,
                "/ip/service/set": self.service_set,
                "/system/resource/print": self.resource_print,
            }.get(command)
            if handler is None:
                await conn.send(sentence("!trap", "=message=no such command", *extra))
                await conn.send(sentence("!done", *extra))
                continue
            for reply in await handler(user, attrs):
                await conn.send(sentence(*reply, *extra))

    async def user_print(self, user: str, attrs: dict[str, str]) -> list[tuple[str, ...]]:
        await self.gate("get_config")
        rows = [
            ("!re", f"=.id=*{u['id']}", f"=name={name}", f"=group={u['role']}", "=disabled=false")
            for name, u in sorted(self.state["users"].items(), key=lambda kv: kv[1]["id"])
        ]
        return [*rows, ("!done",)]

    async def user_set(self, user: str, attrs: dict[str, str]) -> list[tuple[str, ...]]:
        target = next((n for n, u in self.state["users"].items() if f"*{u['id']}" == attrs.get(".id")), None)
        if target is None:
            return [("!trap", "=message=no such item"), ("!done",)]
        if "password" not in attrs:
            return [("!done",)]
        fault = await self.gate("change_password")
        if fault == "reject":
            return [("!trap", "=message=failure: password change refused"), ("!done",)]
        try:
            self.change_password(target, attrs["password"])
        except PolicyError as exc:
            return [("!trap", f"=message=failure: {exc}"), ("!done",)]
        if fault == "drop_after":
            raise DropConnection
        return [("!done",)]

    async def service_print(self, user: str, attrs: dict[str, str]) -> list[tuple[str, ...]]:
        await self.gate("get_config")
        rows = []
        for i, (name, port) in enumerate(SERVICES):
            disabled = not self.settings.get(f"service_{name}", True)
            rows.append(
                (
                    "!re",
                    f"=.id=*{i:X}",
                    f"=name={name}",
                    f"=port={port}",
                    f"=disabled={'true' if disabled else 'false'}",
                )
            )
        return [*rows, ("!done",)]

    async def service_set(self, user: str, attrs: dict[str, str]) -> list[tuple[str, ...]]:
        index = {f"*{i:X}": name for i, (name, _port) in enumerate(SERVICES)}
        name = index.get(attrs.get(".id", ""))
        value = attrs.get("disabled")
        if name is None or value not in ("yes", "no", "true", "false"):
            return [("!trap", "=message=no such item"), ("!done",)]
        fault = await self.gate("set_config")
        if fault == "reject":
            return [("!trap", "=message=failure"), ("!done",)]
        self.set_setting(f"service_{name}", value in ("no", "false"))
        return [("!done",)]

    async def resource_print(self, user: str, attrs: dict[str, str]) -> list[tuple[str, ...]]:
        await self.gate("get_config")
        return [
            (
                "!re",
                f"=version={self.firmware} (long-term)",
                f"=board-name={self.variant['board']}",
                "=architecture-name=arm",
                "=platform=MikroTik",
            ),
            ("!done",),
        ]
