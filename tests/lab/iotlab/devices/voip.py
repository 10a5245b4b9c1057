# SPDX-License-Identifier: GPL-3.0-or-later
"""VoIP desk phones: HTTP admin (Basic) with password change, SIP on UDP 5060.

Polycom VVX follows Poly's "UC Software REST API Reference Manual" (5.9-6.4) and the Poly FAQ
"Locking the Web Configuration Utility after Failed Login" (UC Software 5.5.0):
``GET /api/v1/mgmt/device/info``, ``POST /api/v1/mgmt/config/get`` ``{"data": [param]}`` and
``POST /api/v1/mgmt/config/set`` ``{"data": {param: value}}`` with Basic auth of the admin
account ``Polycom``, answering ``{"Status": "2000"}`` (``4000`` for input it refuses). The web UI
lock (``httpd.cfg.lockWebUI.*``, on by default: 5 failures, 60 s) exists from UCS 5.5.0; the
``polycom-vvx410-ucs54`` variant predates it. The admin password is
``device.auth.localAdminPassword``. The Yealink variant keeps the lab's own form
(``/api/status``, ``/api/password``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.sip import sip_handler
from .base import Device, Listener


class VoipPhone(Device):
    KIND = "voip_phone"
    DEVICE_CLASS = "voip_phone"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "yealink-t46s": {
            "vendor": "Yealink",
            "model": "SIP-T46S",
            "firmware": "66.86.0.15",
            "oui": "80:5e:c0",
            "users": [
                {"username": "admin", "password": "admin", "role": "admin"},
                {"username": "user", "password": "user", "role": "user"},
            ],
            "policy": {"min_length": 6, "max_length": 32, "min_classes": 2},
            "lockout": {"enabled": True, "threshold": 5, "duration": 180, "configurable": False},
            "user_agent": "Yealink SIP-T46S 66.86.0.15",
            "http_server": None,
            "title": "Yealink Phone",
        },
        # UCS 5.9: the web UI lock is on by default (5 failures, 60 s), set through REST
        "polycom-vvx410": {
            "vendor": "Polycom",
            "model": "VVX 410",
            "firmware": "5.9.5.0614",
            "oui": "00:04:f2",
            "users": [{"username": "Polycom", "password": "456", "role": "admin"}],
            "policy": {"min_length": 3, "max_length": 32, "min_classes": 1},
            "lockout": {"enabled": True, "threshold": 5, "duration": 60, "configurable": True},
            "user_agent": "PolycomVVX-VVX_410-UA/5.9.5.0614",
            "http_server": None,
            "title": "Polycom - VVX 410 Configuration Utility",
            "web_ui_lock": True,
        },
        # UCS 5.4: before httpd.cfg.lockWebUI (UCS 5.5.0): no lock, none to set
        "polycom-vvx410-ucs54": {
            "vendor": "Polycom",
            "model": "VVX 410",
            "firmware": "5.4.5.0367",
            "oui": "00:04:f2",
            "users": [{"username": "Polycom", "password": "456", "role": "admin"}],
            "policy": {"min_length": 3, "max_length": 32, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "user_agent": "PolycomVVX-VVX_410-UA/5.4.5.0367",
            "http_server": None,
            "title": "Polycom - VVX 410 Configuration Utility",
            "web_ui_lock": False,
        },
    }

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, self.variant["title"], ("basic",))
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("sip", "udp", 5060, sip_handler(lambda: self.variant["user_agent"])),
        ]

    async def handle(self, req: Request) -> Response:
        if req.path == "/":
            title = self.variant["title"]
            return Response(200, f"<html><head><title>{title}</title></head><body>{title}</body></html>\n")
        if self.vendor == "Polycom":
            return await self.poly_rest(req)
        if req.path not in ("/api/status", "/api/password"):
            return Response(404, "<html><body>404 Not Found</body></html>")
        denied = await self.auth.check(req, self._locked_page)
        if denied is not None:
            return denied
        if req.path == "/api/status":
            await self.gate("get_config")
            lockout = {k: self.state["lockout"].get(k) for k in ("enabled", "threshold", "duration")}
            return Response.json(
                {"model": self.model, "firmware": self.firmware, "mac": self.spec.mac, "lockout": lockout}
            )
        if req.method != "POST":
            return Response(405, "POST new_password and confirm")
        form = req.form()
        target = form.get("username", req.user or "")
        if target != req.user and self.state["users"][req.user or ""]["role"] != "admin":
            return Response.json({"error": "only admin may change other accounts"}, 403)
        new = form.get("new_password", "")
        if new != form.get("confirm", ""):
            return Response.json({"error": "new_password and confirm differ"}, 400)
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response.json({"error": "password change failed"}, 400)
        try:
            self.change_password(target, new)
        except PolicyError as exc:
            return Response.json({"error": str(exc)}, 400)
        if fault == "drop_after":
            raise DropConnection
        return Response.json({"ok": True})

    def _locked_page(self, user: str, result: str) -> Response:
        if result == "locked":
            return Response(401, f"Account locked. Try again in {int(self.locked_for(user)) + 1} seconds.")
        return Response(401, "Login failed")

    # -- Polycom REST ------------------------------------------------------------------------
    LOCK: ClassVar[dict[str, tuple[str, int, int]]] = {
        "httpd.cfg.lockWebUI.enable": ("enabled", 0, 1),
        "httpd.cfg.lockWebUI.noOfInvalidAttempts": ("threshold", 3, 20),
        "httpd.cfg.lockWebUI.lockOutDuration": ("duration", 60, 300),
    }
    ADMIN_PASSWORD = "device.auth.localAdminPassword"

    @staticmethod
    def _status(code: str, message: str = "", data: Any = None, http_status: int = 200) -> Response:
        body: dict[str, Any] = {"Status": code}
        if message:
            body["Message"] = message
        if data is not None:
            body["data"] = data
        return Response.json(body, http_status)

    async def poly_rest(self, req: Request) -> Response:
        path = req.path
        if path not in ("/api/v1/mgmt/device/info", "/api/v1/mgmt/config/get", "/api/v1/mgmt/config/set"):
            return Response(404, "<html><body>404 Not Found</body></html>")
        denied = await self.auth.check(req, self._locked_page)
        if denied is not None:
            return denied
        if self.state["users"][req.user or ""]["role"] != "admin":
            return self._status("4003", "admin only", http_status=403)
        if path.endswith("/device/info"):
            await self.gate("get_config")
            return self._status(
                "2000",
                data={
                    "ModelNumber": self.model,
                    "FirmwareRelease": self.firmware,
                    "MACAddress": self.spec.mac,
                },
            )
        if req.method != "POST":
            return self._status("4000", "POST a JSON body", http_status=405)
        try:
            body = req.json()
        except ValueError:
            return self._status("4000", "Invalid input parameters")
        data = body.get("data") if isinstance(body, dict) else None
        if path.endswith("/config/get"):
            return await self._config_get(data)
        return await self._config_set(data)

    def _known(self, param: str) -> bool:
        return param in self.LOCK and bool(self.variant["web_ui_lock"])

    async def _config_get(self, params: Any) -> Response:
        if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
            return self._status("4000", "Invalid input parameters")
        if not all(self._known(p) for p in params):
            return self._status("4000", "Invalid input parameters")
        await self.gate("get_config")
        lock = self.state["lockout"]
        out = {}
        for p in params:
            key = self.LOCK[p][0]
            out[p] = str(int(bool(lock.get("enabled")))) if key == "enabled" else str(lock.get(key))
        return self._status("2000", data=out)

    async def _config_set(self, values: Any) -> Response:
        if not isinstance(values, dict) or not values or not all(isinstance(v, str) for v in values.values()):
            return self._status("4000", "Invalid input parameters")
        lock: dict[str, Any] = {}
        for param, value in values.items():
            if param == self.ADMIN_PASSWORD:
                problem = self.policy_problem("Polycom", value)
                if problem:
                    return self._status("4000", problem)
                continue
            if not self._known(param) or not value.isdigit():
                return self._status("4000", "Invalid input parameters")
            key, lo, hi = self.LOCK[param]
            if not lo <= int(value) <= hi:
                return self._status("4000", f"{param} must be {lo}-{hi}")
            lock[key] = bool(int(value)) if key == "enabled" else int(value)
        fault = await self.gate("change_password" if self.ADMIN_PASSWORD in values else "set_config")
        if fault == "reject":
            return self._status("5000", "Failed to process request")
        if self.ADMIN_PASSWORD in values:
            self.change_password("Polycom", values[self.ADMIN_PASSWORD])
        if lock:
            self.set_lockout(**lock)
        if fault == "drop_after":
            raise DropConnection
        return self._status("2000")
