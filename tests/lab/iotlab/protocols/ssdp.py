# SPDX-License-Identifier: GPL-3.0-or-later
"""SSDP (UPnP 1.1 discovery): answers unicast ``M-SEARCH`` sent to the device's address.

Multicast does not work on loopback, so the lab answers searches sent straight to the
device on UDP 1900, exactly as a real device answers a multicast one.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable


def ssdp_handler(location: Callable[[], str], server: str, usn: str, targets: list[str]):
    def handle(data: bytes, addr) -> bytes | list[bytes] | None:
        text = data[:2048].decode("latin-1")
        lines = text.split("\r\n")
        if not lines or not lines[0].upper().startswith("M-SEARCH * HTTP/1.1"):
            return None
        headers = {
            k.strip().upper(): v.strip() for k, _unused, v in (ln.partition(":") for ln in lines[1:]) if k
        }
        if headers.get("MAN", "").strip('"') != "ssdp:discover":
            return None
        st = headers.get("ST", "")
        wanted = targets if st in ("ssdp:all", "") else [t for t in targets if t == st]
        replies = []
        for target in wanted:
            replies.append(
                (
                    "HTTP/1.1 200 OK\r\n"
                    "CACHE-CONTROL: max-age=1800\r\n"
                    f"DATE: {email.utils.formatdate(usegmt=True)}\r\n"
                    "EXT:\r\n"
                    f"LOCATION: {location()}\r\n"
                    f"SERVER: {server}\r\n"
                    f"ST: {target}\r\n"
                    f"USN: {usn}{'' if target.startswith('uuid:') else '::' + target}\r\n"
                    "\r\n"
                ).encode()
            )
        return replies or None

    return handle
