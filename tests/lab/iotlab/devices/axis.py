# SPDX-License-Identifier: GPL-3.0-or-later
"""Axis-like network cameras: VAPIX (``/axis-cgi/param.cgi``, ``/axis-cgi/pwdgrp.cgi``), RTSP, FTP."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..protocols.ftp import serve_ftp
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.rtsp import serve_rtsp
from .base import Device, Listener

AXIS_SYMBOLS = "!#$%&()*+-./:;<=>?@[]^_{|}~"
_COMMON: dict[str, Any] = {
    "vendor": "Axis",
    "oui": "ac:cc:8e",
    "users": [{"username": "root", "password": "pass", "role": "admin"}],
    "policy": {"min_length": 1, "max_length": 64, "min_classes": 1, "symbols": AXIS_SYMBOLS},
    "lockout": {"enabled": False, "configurable": False},
    "rtsp_server": "GStreamer RTSP server",
    "auth": ("digest", "basic"),
}
WRITABLE = {"root.Network.HostName", "root.Network.FTP.Enabled", "root.Image.I0.Appearance.Resolution"}


class AxisCamera(Device):
    KIND = "axis_camera"
    DEVICE_CLASS = "camera"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "M3045-V": {**_COMMON, "model": "M3045-V", "firmware": "9.80.1", "http_server": None, "year": "2021"},
        "P1435-LE": {
            **_COMMON,
            "model": "P1435-LE",
            "firmware": "6.50.2",
            "http_server": "Boa/0.94.14rc21",
            "year": "2017",
        },
    }

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, f"AXIS_{self.spec.mac.replace(':', '').upper()}", self.variant["auth"])
        banner = f"Axis {self.model} Network Camera {self.firmware} ({self.variant['year']}) ready."
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("rtsp", "tcp", 554, lambda c: serve_rtsp(c, self, self.auth)),
            Listener("ftp", "tcp", 21, lambda c: serve_ftp(c, self, banner), True, "ftp_enabled"),
        ]

    def factory_state(self) -> dict[str, Any]:
        state = super().factory_state()
        state["settings"].setdefault("ftp_enabled", True)
        return state

    def params(self) -> dict[str, str]:
        return {
            "root.Brand.Brand": "AXIS",
            "root.Brand.ProdFullName": f"AXIS {self.model} Network Camera",
            "root.Brand.ProdNbr": self.model,
            "root.Brand.ProdShortName": f"AXIS {self.model}",
            "root.Brand.ProdType": "Network Camera",
            "root.Properties.Firmware.Version": self.firmware,
            "root.Properties.System.SerialNumber": self.spec.mac.replace(":", "").upper(),
            "root.Network.HostName": self.hostname,
            "root.Network.FTP.Enabled": "yes" if self.settings.get("ftp_enabled") else "no",
            "root.Image.I0.Appearance.Resolution": self.settings.get("resolution", "1920x1080"),
        }

    async def handle(self, req: Request) -> Response:
        if req.path in ("/", "/index.html"):
            title = f"AXIS {self.model} Network Camera"
            return Response(200, f"<html><head><title>{title}</title></head><body>{title}</body></html>\n")
        if not req.path.startswith("/axis-cgi/"):
            return Response(404, "<html><body><h1>404 Not Found</h1></body></html>")
        denied = await self.auth.check(req)
        if denied is not None:
            return denied
        if req.path == "/axis-cgi/param.cgi":
            return await self.param_cgi(req)
        if req.path == "/axis-cgi/pwdgrp.cgi":
            return await self.pwdgrp_cgi(req)
        return Response(404, "<html><body><h1>404 Not Found</h1></body></html>")

    async def param_cgi(self, req: Request) -> Response:
        action = req.query.get("action", "")
        if action == "list":
            await self.gate("get_config")
            group = req.query.get("group", "")
            prefix = "root." + group.removeprefix("root.") if group else "root."
            rows = [f"{k}={v}" for k, v in self.params().items() if k.startswith(prefix)]
            if not rows:
                return Response(200, f"# Error: Error -1 getting param in group '{group}'\n", "text/plain")
            return Response(200, "\n".join(rows) + "\n", "text/plain")
        if action == "update":
            changes = {
                k if k.startswith("root.") else "root." + k: v for k, v in req.query_list if k != "action"
            }
            bad = [k for k in changes if k not in WRITABLE]
            if bad or not changes:
                return Response(200, f"# Error: Error setting '{(bad or ['?'])[0]}' to ''!\n", "text/plain")
            fault = await self.gate("set_config")
            if fault == "reject":
                return Response(200, "# Error: Error setting parameters\n", "text/plain")
            for k, v in changes.items():
                if k == "root.Network.FTP.Enabled":
                    self.set_setting("ftp_enabled", v.lower() in ("yes", "true", "1"))
                elif k == "root.Network.HostName":
                    self.set_setting("hostname", "".join(ch for ch in v if ch.isalnum() or ch in "-.")[:63])
                else:
                    self.set_setting("resolution", v[:32])
            if fault == "drop_after":
                raise DropConnection
            return Response(200, "OK\n", "text/plain")
        return Response(200, f"# Error: action={action!r} is not list or update\n", "text/plain")

    async def pwdgrp_cgi(self, req: Request) -> Response:
        action = req.query.get("action", "")
        if action == "get":
            await self.gate("get_config")
            users = ",".join(sorted(self.state["users"]))
            return Response(
                200,
                f'admin="{users}"\noperator="{users}"\nviewer="{users}"\ndigusers="{users}"\n',
                "text/plain",
            )
        if action == "update":
            user, pwd = req.query.get("user", ""), req.query.get("pwd")
            if user not in self.state["users"] or pwd is None:
                return Response(
                    200, f"Error: account {user!r} does not exist or pwd is missing\n", "text/plain"
                )
            fault = await self.gate("change_password")
            if fault == "reject":
                return Response(200, "Error: password not accepted\n", "text/plain")
            try:
                self.change_password(user, pwd)
            except PolicyError as exc:
                return Response(200, f"Error: {exc}\n", "text/plain")
            if fault == "drop_after":
                raise DropConnection
            return Response(200, f"Modified account {user}.\n", "text/plain")
        return Response(200, f"Error: action={action!r} is not get or update\n", "text/plain")
