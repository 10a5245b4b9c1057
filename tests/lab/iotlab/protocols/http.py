# SPDX-License-Identifier: GPL-3.0-or-later
"""A small HTTP/1.x (and RTSP/1.0) server with Basic and Digest (RFC 7616, MD5) auth.

Devices give a handler ``async (Request) -> Response``; header order and the ``Server``
string are theirs, so fingerprints match what the real products send.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hashlib
import hmac
import json
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import DropConnection
from ..net import Conn

if TYPE_CHECKING:
    from ..devices.base import Device

MAX_HEADER_BYTES = 16384
IDLE_SECONDS = 60.0  # like the devices' own servers, an idle connection is closed
MAX_BODY_BYTES = 1 << 20
REASONS = {
    200: "OK",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    454: "Session Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int]
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)
    query_list: list[tuple[str, str]] = field(default_factory=list)
    user: str | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = unquote(parts.path) or "/"
        self.query_list = parse_qsl(parts.query, keep_blank_values=True)
        self.query = dict(self.query_list)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/html"
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data), "application/json")

    @classmethod
    def xml(cls, text: str, status: int = 200) -> Response:
        return cls(status, '<?xml version="1.0" encoding="UTF-8"?>\n' + text, "application/xml")


Handler = Callable[[Request], Awaitable[Response]]


def render(resp: Response, version: str, server: str | None, *, keep_alive: bool, extra_first=()) -> bytes:
    body = resp.body.encode() if isinstance(resp.body, str) else resp.body
    lines = [f"{version} {resp.status} {REASONS.get(resp.status, 'Status')}"]
    if version.startswith("HTTP"):
        lines.append("Date: " + email.utils.formatdate(usegmt=True))
    lines.extend(f"{k}: {v}" for k, v in extra_first)
    if server:
        lines.append(f"Server: {server}")
    names = {k.lower() for k, _unused in resp.headers}
    for k, v in resp.headers:
        lines.append(f"{k}: {len(body) if k.lower() == 'content-length' and v == '' else v}")
    if "content-type" not in names and (body or resp.status == 200):
        lines.append(f"Content-Type: {resp.content_type}")
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(body)}")
    if "connection" not in names and version.startswith("HTTP"):
        lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_request(conn: Conn, protocols=("HTTP",)) -> Request | None:
    """The next request on ``conn`` (None at a clean EOF); raises DropConnection on garbage."""
    head = bytearray()
    while True:
        try:
            line = await asyncio.wait_for(conn.readline(), IDLE_SECONDS)
        except TimeoutError:
            raise DropConnection from None
        if not line:
            if head:
                raise DropConnection
            return None
        if not head and line in (b"\r\n", b"\n"):
            continue
        head += line
        if len(head) > MAX_HEADER_BYTES:
            raise DropConnection
        if line in (b"\r\n", b"\n"):
            break
    text = head.decode("latin-1").splitlines()
    try:
        method, target, version = text[0].split(" ", 2)
    except ValueError:
        raise DropConnection from None
    if version.split("/")[0] not in protocols:
        raise DropConnection
    headers: dict[str, str] = {}
    for hl in text[1:]:
        if ":" in hl:
            k, v = hl.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise DropConnection from None
    if length < 0 or length > MAX_BODY_BYTES:
        raise DropConnection
    body = await conn.reader.readexactly(length) if length else b""
    return Request(method.upper(), target, version.strip(), headers, body, conn.peer)


async def serve_http(conn: Conn, handler: Handler, server: str | None, protocol: str = "HTTP") -> None:
    """Serve requests on one connection until the client closes or asks to."""
    while True:
        req = await read_request(conn, (protocol,))
        if req is None:
            return
        keep_alive = req.version == "HTTP/1.1" and req.headers.get("connection", "").lower() != "close"
        if protocol == "RTSP":
            keep_alive = True
        resp = await handler(req)
        keep_alive = keep_alive and not resp.close
        extra = [("CSeq", req.headers.get("cseq", "0"))] if protocol == "RTSP" else ()
        version = req.version if protocol == "HTTP" else "RTSP/1.0"
        await conn.send(render(resp, version, server, keep_alive=keep_alive, extra_first=extra))
        if not keep_alive:
            return


# -- authentication ------------------------------------------------------------------------
_DIGEST_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')
NONCE_SECRET = os.urandom(16)
NONCE_LIFETIME = 600


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - RFC 7616 MD5 digest, as devices use


def make_nonce() -> str:
    stamp = f"{int(time.time()):x}"
    mac = hmac.new(NONCE_SECRET, stamp.encode(), hashlib.sha256).hexdigest()[:24]
    return f"{stamp}{mac}"


def nonce_valid(nonce: str) -> bool:
    stamp, mac = nonce[:-24], nonce[-24:]
    want = hmac.new(NONCE_SECRET, stamp.encode(), hashlib.sha256).hexdigest()[:24]
    try:
        age = time.time() - int(stamp, 16)
    except ValueError:
        return False
    return hmac.compare_digest(mac, want) and 0 <= age < NONCE_LIFETIME


def parse_digest(value: str) -> dict[str, str]:
    return {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3))
        for m in _DIGEST_PARAM.finditer(value)
    }


class HttpAuth:
    """Checks Basic/Digest credentials against a device, with its lockout and login faults."""

    def __init__(self, device: Device, realm: str, schemes: tuple[str, ...] = ("digest",)) -> None:
        self.device = device
        self.realm = realm
        self.schemes = schemes

    def challenge(self, body: str | bytes = "", content_type: str = "text/html") -> Response:
        headers = []
        for scheme in self.schemes:
            if scheme == "digest":
                headers.append(
                    (
                        "WWW-Authenticate",
                        f'Digest qop="auth", realm="{self.realm}", nonce="{make_nonce()}", '
                        'stale="FALSE", algorithm="MD5"',
                    )
                )
            else:
                headers.append(("WWW-Authenticate", f'Basic realm="{self.realm}"'))
        return Response(
            401, body or "<html><body><h1>401 Unauthorized</h1></body></html>", content_type, headers
        )

    async def check(
        self, req: Request, on_fail: Callable[[str, str], Response] | None = None
    ) -> Response | None:
        """None when ``req`` is authenticated (``req.user`` set), else the 401 to send."""
        value = req.headers.get("authorization")
        if not value:
            return self.challenge()
        fault = await self.device.gate("login")
        if fault == "reject":
            return self.challenge()
        scheme, _unused, rest = value.partition(" ")
        scheme = scheme.lower()
        user, result = "", "bad"
        if scheme == "basic" and "basic" in self.schemes:
            try:
                user, _unused, password = base64.b64decode(rest.strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return self.challenge()
            result = self.device.check_password(user, password)
        elif scheme == "digest" and "digest" in self.schemes:
            p = parse_digest(rest)
            user = p.get("username", "")
            if p.get("realm") != self.realm or not nonce_valid(p.get("nonce", "")):
                return self.challenge()
            uri = p.get("uri", "")
            ha2 = _md5(f"{req.method}:{uri}")

            def check(stored: str) -> bool:
                ha1 = _md5(f"{user}:{self.realm}:{stored}")
                if p.get("qop"):
                    want = _md5(
                        f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:{p['qop']}:{ha2}"
                    )
                else:
                    want = _md5(f"{ha1}:{p['nonce']}:{ha2}")
                return hmac.compare_digest(want, p.get("response", ""))

            result = self.device.authenticate(user, check)
        if fault == "drop_after":
            raise DropConnection
        if result == "ok":
            req.user = user
            return None
        if on_fail is not None:
            resp = on_fail(user, result)
            resp.headers[:0] = self.challenge().headers
            return resp
        return self.challenge()
