# SPDX-License-Identifier: GPL-3.0-or-later
"""Embedded Linux boxes (cheap DVRs, IP cameras, routers) with BusyBox telnetd and Mirai-era logins,
and a web admin login over plain HTTP."""

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
            # XMEye firmware of this line gets no fixes any more (vendor recall, October 2016)
            "weaknesses": ["eol_os"],
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
            # the web admin: a login form over plain HTTP, the same accounts as the shell
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
        ]

    async def handle(self, req: Request) -> Response:
        title = self.variant["title"]
        if req.path in ("/", "/index.htm", "/index.html"):
            return Response(
                200,
                f"<html><head><title>{title}</title></head><body><h3>{title}</h3>"
                '<form method="post" action="/login">'
                '<input name="username"><input type="password" name="password">'
                '<input type="submit" value="Login"></form></body></html>\n',
            )
        if req.path == "/login" and req.method == "POST":
            form = req.form()
            fault = await self.gate("login")
            result = (
                "bad"
                if fault == "reject"
                else self.check_password(form.get("username", "")[:64], form.get("password", ""))
            )
            if result == "ok":
                return Response(
                    200, f"<html><head><title>{title}</title></head><body>Welcome</body></html>\n"
                )
            return Response(401, "<html><body>Login failed</body></html>\n")
        return Response(404, "<html><body>404 Not Found</body></html>")
