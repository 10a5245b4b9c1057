# SPDX-License-Identifier: GPL-3.0-or-later
"""Embedded Linux boxes (cheap DVRs, IP cameras, routers) with BusyBox telnetd and Mirai-era logins."""

from __future__ import annotations

from typing import Any, ClassVar

from ..protocols.http import Request, Response, serve_http
from ..protocols.telnet import serve_telnet
from .base import Device, Listener

_COMMON: dict[str, Any] = {
    "policy": {"min_length": 6, "max_length": 32, "min_classes": 1},
    "lockout": {"enabled": False, "configurable": False},
    "arch": "armv7l",
    "prompt": "# ",
}


class BusyBoxDevice(Device):
    KIND = "busybox_device"
    DEVICE_CLASS = "embedded_linux"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "xiongmai-dvr": {
            **_COMMON,
            "vendor": "Xiongmai",
            "model": "AHB7008T-MH",
            "firmware": "V4.02.R11.34500140.12001.131600",
            "oui": "00:12:12",
            "users": [{"username": "root", "password": "xc3511", "role": "root"}],
            "http_server": "uc-httpd 1.0.0",
            "title": "NETSurveillance WEB",
            "login_prompt": "LocalHost login",
            "kernel": "3.10.103",
        },
        "dahua-oem-cam": {
            **_COMMON,
            "vendor": "Dahua OEM",
            "model": "IPC-HFW1320S",
            "firmware": "2.420.0000.0.R",
            "oui": "3c:ef:8c",
            "users": [{"username": "root", "password": "vizxv", "role": "root"}],
            "http_server": "Webs",
            "title": "WEB SERVICE",
            "kernel": "3.4.35",
        },
        "generic-gateway": {
            **_COMMON,
            "vendor": "Generic",
            "model": "IoT-GW100",
            "firmware": "1.0.7",
            "oui": "00:0c:42",
            "users": [
                {"username": "admin", "password": "admin", "role": "root"},
                {"username": "root", "password": "admin", "role": "root"},
            ],
            "http_server": "mini_httpd/1.19 19dec2003",
            "title": "Gateway",
            "kernel": "2.6.36",
            "arch": "mips",
        },
    }

    def listeners(self) -> list[Listener]:
        return [
            Listener("telnet", "tcp", 23, lambda c: serve_telnet(c, self), True),
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"])),
        ]

    async def handle(self, req: Request) -> Response:
        if req.path in ("/", "/index.htm", "/index.html"):
            title = self.variant["title"]
            return Response(
                200, f"<html><head><title>{title}</title></head><body><h3>{title}</h3></body></html>\n"
            )
        return Response(404, "<html><body>404 Not Found</body></html>")
