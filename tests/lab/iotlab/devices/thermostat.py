# SPDX-License-Identifier: GPL-3.0-or-later
"""Thermostats / building controllers: a local HTTP JSON API and an MQTT broker (1883)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..protocols.http import Request, Response, serve_http
from ..protocols.mqtt import Broker
from .base import Device, Listener

TOKEN_SECONDS = 900


def _lockout_problem(value: dict) -> str | None:
    """What the thermostat takes: 3..10 failed logins, a lock of 60..3600 seconds."""
    for key, lo, hi in (("threshold", 3, 10), ("duration", 60, 3600)):
        v = value.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi):
            return f"lockout.{key}={v!r} must be {lo}..{hi}"
    if "enabled" in value and not isinstance(value["enabled"], bool):
        return "lockout.enabled must be true or false"
    return None


class Thermostat(Device):
    KIND = "thermostat"
    DEVICE_CLASS = "building_automation"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "colortouch-t7900": {
            "vendor": "Venstar",
            "model": "ColorTouch T7900",
            "firmware": "6.92",
            "oui": "00:23:a7",
            "users": [{"username": "admin", "password": "admin", "role": "admin"}],
            "policy": {"min_length": 6, "max_length": 12, "min_classes": 2, "symbols": ""},
            "lockout": {"enabled": False, "threshold": 5, "duration": 300, "configurable": True},
            "settings": {"mqtt_auth": False, "setpoint": 21.5, "mode": "heat"},
            "http_server": "lwIP/1.4.1 (http://savannah.nongnu.org/projects/lwip)",
        },
    }

    def listeners(self) -> list[Listener]:
        self.broker = Broker(self.mqtt_auth)
        self.tokens: dict[str, tuple[str, float]] = {}
        self.publish_state()
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("mqtt", "tcp", 1883, self.broker.serve),
        ]

    def extra_weaknesses(self) -> set[str]:
        return set() if self.settings.get("mqtt_auth") else {"mqtt_noauth"}

    def mqtt_auth(self, user: str | None, password: str | None) -> str:
        if not self.settings.get("mqtt_auth"):
            return "ok"
        if user is None:
            return "bad"
        return self.check_password(user, password or "")

    def publish_state(self) -> None:
        base = f"thermostat/{self.name}"
        self.broker.publish(f"{base}/temperature", b"21.0", retain=True)
        self.broker.publish(f"{base}/setpoint", str(self.settings.get("setpoint")).encode(), retain=True)
        self.broker.publish(f"{base}/mode", str(self.settings.get("mode")).encode(), retain=True)
        self.broker.publish(f"{base}/model", self.model.encode(), retain=True)

    def info(self) -> dict[str, Any]:
        return {
            "name": self.hostname,
            "model": self.model,
            "firmware": self.firmware,
            "mac": self.spec.mac,
            "mode": self.settings.get("mode"),
            "setpoint": self.settings.get("setpoint"),
            "spacetemp": 21.0,
        }

    def _user(self, req: Request) -> str | None:
        token = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
        entry = self.tokens.get(token)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    async def handle(self, req: Request) -> Response:
        if req.path == "/":
            return Response(
                200, f"<html><head><title>{self.vendor} {self.model}</title></head><body></body></html>\n"
            )
        if req.path == "/query/info" and req.method == "GET":
            return Response.json(self.info())
        try:
            body = req.json() if req.body else {}
        except ValueError:
            return Response.json({"error": "body must be JSON"}, 400)
        if not isinstance(body, dict):
            return Response.json({"error": "body must be a JSON object"}, 400)
        if req.path == "/api/login" and req.method == "POST":
            return await self.login(body)
        user = self._user(req)
        if user is None:
            return Response.json({"error": "unauthorized: POST /api/login first"}, 401)
        if req.path == "/api/password" and req.method == "POST":
            return await self.password(user, body)
        if req.path == "/api/settings":
            if req.method == "GET":
                await self.gate("get_config")
                return Response.json({"settings": self.settings, "lockout": self.state["lockout"]})
            if req.method == "PUT":
                return await self.put_settings(body)
        return Response.json({"error": f"no route {req.method} {req.path}"}, 404)

    async def login(self, body: dict) -> Response:
        fault = await self.gate("login")
        user, password = str(body.get("username", ""))[:64], str(body.get("password", ""))
        result = "bad" if fault == "reject" else self.check_password(user, password)
        if fault == "drop_after":
            raise DropConnection
        if result == "locked":
            return Response.json(
                {"error": "account locked", "retry_after": int(self.locked_for(user)) + 1}, 423
            )
        if result != "ok":
            return Response.json({"error": "invalid username or password"}, 401)
        token = secrets.token_hex(16)
        self.tokens[token] = (user, time.monotonic() + TOKEN_SECONDS)
        return Response.json({"token": token, "expires_in": TOKEN_SECONDS})

    async def password(self, user: str, body: dict) -> Response:
        target = str(body.get("username", user))
        new = body.get("new_password")
        if not isinstance(new, str):
            return Response.json({"error": "new_password (string) is required"}, 400)
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response.json({"error": "password change refused"}, 400)
        try:
            self.change_password(target, new)
        except PolicyError as exc:
            return Response.json({"error": str(exc)}, 400)
        self.tokens = {t: e for t, e in self.tokens.items() if e[0] != target}
        if fault == "drop_after":
            raise DropConnection
        return Response.json({"ok": True})

    async def put_settings(self, body: dict) -> Response:
        allowed = {"mqtt_auth": bool, "setpoint": (int, float), "mode": str, "lockout": dict}
        for key, value in body.items():
            if key not in allowed or not isinstance(value, allowed[key]):
                return Response.json({"error": f"setting {key!r}={json.dumps(value)} is not accepted"}, 400)
        fault = await self.gate("set_config")
        if fault == "reject":
            return Response.json({"error": "settings refused"}, 400)
        for key, value in body.items():
            if key == "lockout":
                problem = _lockout_problem(value)
                if problem:
                    return Response.json({"error": problem}, 400)
                try:
                    self.set_lockout(**{k: value.get(k) for k in ("enabled", "threshold", "duration")})
                except PolicyError as exc:
                    return Response.json({"error": str(exc)}, 400)
            else:
                self.set_setting(key, value)
        self.publish_state()
        if fault == "drop_after":
            raise DropConnection
        return Response.json({"ok": True, "settings": self.settings})
