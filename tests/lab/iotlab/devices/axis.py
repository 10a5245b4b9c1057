# SPDX-License-Identifier: GPL-3.0-or-later
"""Axis-like network cameras: VAPIX (``/axis-cgi/param.cgi``, ``/axis-cgi/pwdgrp.cgi``), RTSP, FTP.

Generations (AXIS OS Knowledge base, "Device access" and "Brute force delay protection";
VAPIX "System settings" and "Systemready API"): AXIS OS 11.6 and later ships with no VAPIX
user; every VAPIX call but the anonymous ones answers 401 with ``Axis-Setup: vapix`` until
the initial admin is created without credentials
(``pwdgrp.cgi?action=add&user=root&pwd=...&grp=root&sgrp=admin:operator:viewer:ptz``);
``POST /axis-cgi/systemready.cgi`` (no auth, AXIS OS 9.50 and later) says ``needsetup``.
Brute force delay protection (AXIS OS 7.30 and later, on by default from 11.5) lives in the
System parameter group: ``PreventDoSAttack``, ``DOSBlockingPeriod``, ``DOSPageCount``,
``DOSPageInterval``, ``DOSSiteCount``, ``DOSSiteInterval``.
"""

from __future__ import annotations

import json
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
#: the brute force delay protection's parameters (AXIS OS 7.30+): name -> lockout key
DOS_PARAMS = {"DOSBlockingPeriod": "duration", "DOSPageCount": "threshold"}
INITIAL_GROUPS = "admin:operator:viewer:ptz"


def _version(firmware: str) -> tuple[int, ...]:
    return tuple(int(x) for x in firmware.split(".")[:2] if x.isdigit())


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
        # AXIS OS 11.6+: no VAPIX user out of the box, brute force delay on (the 11.5 default)
        "M3086-V": {
            **_COMMON,
            "model": "M3086-V",
            "firmware": "11.11.73",
            "http_server": "Apache",
            "year": "2024",
            "users": [{"username": "root", "password": None, "role": "admin"}],
            "lockout": {"enabled": True, "threshold": 20, "duration": 10, "configurable": False},
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

    @property
    def needs_setup(self) -> bool:
        """No VAPIX user with a password yet (AXIS OS 11.6+ out of the box)."""
        return all(u["password"] is None for u in self.state["users"].values())

    def extra_weaknesses(self) -> set[str]:
        return {"no_initial_admin"} if self.needs_setup else set()

    def params(self) -> dict[str, str]:
        dos = {}
        if _version(self.firmware) >= (7, 30):
            lk = self.state["lockout"]
            dos = {
                "root.System.PreventDoSAttack": "yes" if lk.get("enabled") else "no",
                "root.System.DOSBlockingPeriod": str(lk.get("duration", 10)),
                "root.System.DOSPageCount": str(lk.get("threshold", 20)),
                "root.System.DOSPageInterval": "1",
                "root.System.DOSSiteCount": str(lk.get("threshold", 20)),
                "root.System.DOSSiteInterval": "1",
            }
        return {
            **dos,
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
        if req.path == "/axis-cgi/systemready.cgi" and _version(self.firmware) >= (9, 50):
            return self.systemready(req)
        if req.path == "/axis-cgi/pwdgrp.cgi" and self.needs_setup and req.query.get("action") == "add":
            return await self.initial_admin(req)
        denied = await self.auth.check(req)
        if denied is not None:
            if self.needs_setup:
                denied.headers.append(("Axis-Setup", "vapix"))
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

    def systemready(self, req: Request) -> Response:
        try:
            method = json.loads(req.text() or "{}").get("method")
        except (ValueError, AttributeError):
            method = None
        if method != "systemready":
            return Response.json({"apiVersion": "1.4", "error": {"code": 1000, "message": "Invalid method"}})
        return Response.json(
            {
                "apiVersion": "1.4",
                "method": "systemready",
                "data": {
                    "systemready": "yes",
                    "needsetup": "yes" if self.needs_setup else "no",
                    "uptime": "37509",
                },
            }
        )

    async def initial_admin(self, req: Request) -> Response:
        """The first VAPIX user, created without credentials while the device has none."""
        user, pwd = req.query.get("user", ""), req.query.get("pwd")
        if user not in self.state["users"] or pwd is None or req.query.get("grp") != "root":
            return Response(
                200,
                "Error: the initial admin user must be created first (user=root, grp=root)\n",
                "text/plain",
            )
        if req.query.get("sgrp", "").split(":")[:1] != ["admin"]:
            return Response(
                200, f"Error: sgrp must be {INITIAL_GROUPS} for the initial admin\n", "text/plain"
            )
        return await self._set_password(user, pwd, f"Created account {user}.\n")

    async def _set_password(self, user: str, pwd: str, done: str) -> Response:
        """The password change both ``add`` (the initial admin) and ``update`` make."""
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response(200, "Error: password not accepted\n", "text/plain")
        try:
            self.change_password(user, pwd)
        except PolicyError as exc:
            return Response(200, f"Error: {exc}\n", "text/plain")
        if fault == "drop_after":
            raise DropConnection
        return Response(200, done, "text/plain")

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
            return await self._set_password(user, pwd, f"Modified account {user}.\n")
        return Response(200, f"Error: action={action!r} is not get or update\n", "text/plain")
