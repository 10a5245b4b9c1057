# SPDX-License-Identifier: GPL-3.0-or-later
"""Small real clients for tests and benchmarks: HTTP with Basic/Digest, telnet, raw TCP/UDP.

They speak the protocols from scratch (urllib's digest handler, sockets) so a test checks the
simulator against an implementation that is not its own server code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from urllib.parse import urlsplit

IAC, DONT, DO, WONT, WILL = 255, 254, 253, 252, 251


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: str
    challenges: list[str] = field(default_factory=list)


def _digest_header(challenge: str, method: str, uri: str, user: str, password: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 - RFC 7616 MD5
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()  # noqa: S324
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()  # noqa: S324
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=MD5'
    )


def http(
    url: str,
    user: str | None = None,
    password: str | None = None,
    *,
    method: str = "GET",
    body: bytes | str | None = None,
    content_type: str = "application/xml",
    auth: str = "auto",
    timeout: float = 10.0,
) -> HttpResult:
    """One request; on a 401 with credentials given, answer the challenge once (Digest or Basic).

    ``auth``: ``auto`` (the scheme the device offers first), ``digest`` or ``basic``.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    data = body.encode() if isinstance(body, str) else body

    def once(extra: dict[str, str]) -> HttpResult:
        conn = HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
        try:
            headers = dict(extra)
            if data is not None:
                headers["Content-Type"] = content_type
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            return HttpResult(
                resp.status,
                dict(resp.getheaders()),
                resp.read().decode("utf-8", "replace"),
                resp.msg.get_all("WWW-Authenticate") or [],
            )
        finally:
            conn.close()

    first = once({})
    if first.status != 401 or user is None:
        return first
    offers = first.challenges
    scheme = auth
    if scheme == "auto":
        scheme = "digest" if offers and offers[0].lower().startswith("digest") else "basic"
    if scheme == "basic":
        token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
        return once({"Authorization": f"Basic {token}"})
    challenge = next((c for c in offers if c.lower().startswith("digest")), None)
    if challenge is None:
        return first
    return once({"Authorization": _digest_header(challenge, method, target, user, password or "")})


class Telnet:
    """A telnet client: refuses every option the server offers, reads until a prompt."""

    def __init__(self, host: str, port: int = 23, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.options_seen: list[tuple[int, int]] = []

    def _fill(self) -> None:
        chunk = self.sock.recv(4096)
        if not chunk:
            raise EOFError("connection closed")
        out = bytearray()
        i = 0
        while i < len(chunk):
            b = chunk[i]
            if b == IAC and i + 2 < len(chunk) + 1 and i + 1 < len(chunk):
                cmd = chunk[i + 1]
                if cmd in (DO, DONT, WILL, WONT) and i + 2 < len(chunk):
                    opt = chunk[i + 2]
                    self.options_seen.append((cmd, opt))
                    reply = WONT if cmd == DO else DONT if cmd == WILL else None
                    if reply is not None:
                        self.sock.sendall(bytes([IAC, reply, opt]))
                    i += 3
                    continue
                if cmd == IAC:
                    out.append(IAC)
                i += 2
                continue
            out.append(b)
            i += 1
        self.buf += bytes(out)

    def read_until(self, marker: bytes, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {marker!r} in {self.buf[-200:]!r}")
            self._fill()
        idx = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:idx], self.buf[idx:]
        return out.decode("utf-8", "replace")

    def write_line(self, text: str) -> None:
        self.sock.sendall(text.encode() + b"\r\n")

    def login(self, user: str, password: str, prompt: bytes = b"# ") -> str:
        """Log in; returns 'ok' or 'bad' (Login incorrect)."""
        self.read_until(b"login: ")
        self.write_line(user)
        self.read_until(b"Password: ")
        self.write_line(password)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if b"Login incorrect" in self.buf:
                self.read_until(b"Login incorrect")
                return "bad"
            if self.buf.rstrip(b" ").endswith(prompt.rstrip()):
                self.read_until(prompt)
                return "ok"
            self._fill()
        raise TimeoutError(f"no prompt after login: {self.buf[-200:]!r}")

    def run(self, command: str, prompt: bytes = b"# ") -> str:
        self.write_line(command)
        return self.read_until(prompt)

    def passwd(self, new: str, retype: str | None = None, user: str = "", prompt: bytes = b"# ") -> str:
        self.write_line(f"passwd {user}".strip())
        self.read_until(b"New password: ")
        self.write_line(new)
        self.read_until(b"Retype password: ")
        self.write_line(new if retype is None else retype)
        return self.read_until(prompt)

    def close(self) -> None:
        self.sock.close()


def tcp_exchange(host: str, port: int, data: bytes, timeout: float = 5.0, read: int = 65536) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as s:
        if data:
            s.sendall(data)
        return s.recv(read)


def udp_exchange(host: str, port: int, data: bytes, timeout: float = 3.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        return s.recvfrom(65536)[0]
