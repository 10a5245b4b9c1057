# SPDX-License-Identifier: GPL-3.0-or-later
"""VoIP desk phones: HTTP admin (Basic) with password change, SIP on UDP 5060."""

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
        "polycom-vvx410": {
            "vendor": "Polycom",
            "model": "VVX 410",
            "firmware": "5.9.5.0614",
            "oui": "00:04:f2",
            "users": [{"username": "Polycom", "password": "456", "role": "admin"}],
            "policy": {"min_length": 3, "max_length": 32, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "user_agent": "PolycomVVX-VVX_410-UA/5.9.5.0614",
            "http_server": None,
            "title": "Polycom - VVX 410 Configuration Utility",
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
