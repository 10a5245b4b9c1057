# SPDX-License-Identifier: GPL-3.0-or-later
"""SIP over UDP (RFC 3261): answers OPTIONS like a phone (200 OK, Allow, User-Agent)."""

from __future__ import annotations

from collections.abc import Callable

ALLOW = ", ".join(
    [
        "INVITE",
        "INFO",
        "PRACK",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "NOTIFY",
        "REGISTER",
        "SUBSCRIBE",
        "REFER",
        "PUBLISH",
        "UPDATE",
        "MESSAGE",
    ]
)


def sip_handler(user_agent: Callable[[], str], on_request: Callable[[str], None] | None = None):
    def handle(data: bytes, addr) -> bytes | None:
        text = data[:4096].decode("utf-8", "replace")
        head, _sep, _rest = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("SIP/2.0"):
            return None
        method = parts[0].upper()
        if on_request:
            on_request(method)
        copied = [
            ln
            for ln in lines[1:]
            if ln.split(":", 1)[0].strip().lower()
            in ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")
        ]
        copied = [
            ln + (";tag=1f2e3d4c" if ln.lower().startswith(("to:", "t:")) and "tag=" not in ln else "")
            for ln in copied
        ]
        if method == "OPTIONS":
            status = "200 OK"
        elif method in ("INVITE", "REGISTER"):
            status = "403 Forbidden"
        elif method == "ACK":
            return None
        else:
            status = "405 Method Not Allowed"
        reply = [
            f"SIP/2.0 {status}",
            *copied,
            f"User-Agent: {user_agent()}",
            f"Allow: {ALLOW}",
            "Accept: application/sdp",
            "Content-Length: 0",
        ]
        return ("\r\n".join(reply) + "\r\n\r\n").encode()

    return handle
