# SPDX-License-Identifier: GPL-3.0-or-later
"""Venstar ColorTouch thermostats: the Venstar Thermostat Local API.

Follows Venstar's public "Local API" documentation (developer.venstar.com/documentation,
API versions 5..9): ``GET /`` (API information), ``GET /query/info``, ``GET /query/sensors``,
``POST /control`` and ``POST /settings`` (form-encoded; the answer is ``{"success": true}``
or ``{"error": true, "reason": ...}``), discovery by SSDP (``ST: venstar:thermostat:ecp``).
Authentication is optional HTTP Digest, with a user name and password set on the
thermostat's own screen: the API has no login, no password change, no lockout and no MQTT.
Variants: ``colortouch-t7900`` (Digest on, as an installer leaves it) and
``colortouch-t7900-open`` (the Local API switched on without authentication).
"""

from __future__ import annotations

import email.utils
import urllib.parse
from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from .base import Device, Listener

#: the documented ``/control`` and ``/settings`` fields and what each takes
CONTROL = {"mode": (0, 3), "fan": (0, 1), "heattemp": (35, 99), "cooltemp": (35, 99)}
SETTINGS = {
    "tempunits": (0, 1),
    "away": (0, 1),
    "schedule": (0, 1),
    "hum_setpoint": (0, 60),
    "dehum_setpoint": (25, 99),
}
SSDP_TARGET = "venstar:thermostat:ecp"


class Thermostat(Device):
    KIND = "thermostat"
    DEVICE_CLASS = "building_automation"
    _BASE: ClassVar[dict[str, Any]] = {
        "vendor": "Venstar",
        "model": "ColorTouch T7900",
        "firmware": "6.92",
        "api_ver": 7,
        "oui": "00:23:a7",
        "policy": {"min_length": 1, "max_length": 32, "min_classes": 1},
        # the Local API documents no lockout and the lab's device has none
        "lockout": {"enabled": False, "configurable": False},
        "settings": {
            "mode": 1,
            "fan": 0,
            "heattemp": 70,
            "cooltemp": 76,
            "tempunits": 0,
            "away": 0,
            "schedule": 0,
            "hum_setpoint": 40,
            "dehum_setpoint": 60,
        },
        "http_server": None,
    }
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        # Local API with authentication on: the user name and password the installer typed
        # in on the thermostat's screen (the product ships with none)
        "colortouch-t7900": {**_BASE, "users": [{"username": "admin", "password": "admin", "role": "admin"}]},
        # Local API on without authentication: anyone on the network reads and controls it
        "colortouch-t7900-open": {**_BASE, "users": []},
    }

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, "Thermostat", ("digest",))
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("ssdp", "udp", 1900, self.ssdp),
        ]

    def extra_weaknesses(self) -> set[str]:
        # an open Local API: anyone controls it, over plain HTTP (the base counts cleartext
        # HTTP only where a password could be read)
        return set() if self.state["users"] else {"unauthenticated_api", "cleartext_http"}

    def at_screen(self, username: str, password: str) -> None:
        """Menu > Settings > WiFi > Local API on the thermostat's screen: authentication on,
        with this user name and password (the API itself cannot change them)."""
        if not username or not password:
            raise PolicyError("the Local API needs a user name and a password to turn authentication on")
        self.state["users"] = {username: {"id": 1, "password": password, "role": "admin"}}
        self.changed()

    def ssdp(self, data: bytes, addr) -> bytes | None:
        """Answers an M-SEARCH for ``venstar:thermostat:ecp`` (or ``ssdp:all``) as the docs show."""
        text = data[:2048].decode("latin-1")
        if not text.upper().startswith("M-SEARCH * HTTP/1.1") or "ssdp:discover" not in text:
            return None
        st = next(
            (ln.split(":", 1)[1].strip() for ln in text.split("\r\n") if ln.upper().startswith("ST:")), ""
        )
        if st not in ("ssdp:all", SSDP_TARGET):
            return None
        name = urllib.parse.quote(self.hostname)
        return (
            "HTTP/1.1 200 OK\r\nCache-Control: max-age=300\r\n"
            f"Date: {email.utils.formatdate(usegmt=True)}\r\nST: {SSDP_TARGET}\r\n"
            f"Location: http://{self.address}/\r\n"
            f"USN: colortouch:ecp:{self.spec.mac.lower()}:name:{name}:type:residential\r\n\r\n"
        ).encode()

    def info(self) -> dict[str, Any]:
        s = self.settings
        return {
            "name": self.hostname,
            **{k: s.get(k) for k in ("mode", "fan", "tempunits", "schedule", "away")},
            "state": 0,
            "fanstate": 0,
            "schedulepart": 255,
            "spacetemp": 71.0,
            "heattemp": s.get("heattemp"),
            "cooltemp": s.get("cooltemp"),
            "heattempmin": 35.0,
            "heattempmax": 99.0,
            "cooltempmin": 35.0,
            "cooltempmax": 99.0,
            "setpointdelta": 2.0,
            "hum": 38,
            "hum_setpoint": s.get("hum_setpoint"),
            "dehum_setpoint": s.get("dehum_setpoint"),
            "availablemodes": 0,
        }

    @staticmethod
    def _error(reason: str) -> Response:
        return Response.json({"error": True, "reason": reason})

    async def handle(self, req: Request) -> Response:
        if self.state["users"]:
            denied = await self.auth.check(req)
            if denied is not None:
                return denied
        path, method = req.path, req.method
        if path == "/" and method == "GET":
            return Response.json(
                {
                    "api_ver": self.variant["api_ver"],
                    "type": "residential",
                    "model": "COLORTOUCH",
                    "firmware": self.firmware,
                }
            )
        if path == "/query/info" and method == "GET":
            await self.gate("get_config")
            return Response.json(self.info())
        if path == "/query/sensors" and method == "GET":
            return Response.json({"sensors": [{"name": "Thermostat", "temp": 71.0, "hum": 38}]})
        if path in ("/control", "/settings") and method == "POST":
            return await self.change(req, CONTROL if path == "/control" else SETTINGS)
        return Response(404, "<html><body>404 Not Found</body></html>")

    async def change(self, req: Request, fields: dict[str, tuple[int, int]]) -> Response:
        form = req.form()
        values = {}
        for key, raw in form.items():
            if key == "pin":  # the screen-lock PIN some requests carry; the lab has no screen lock
                continue
            if key not in fields:
                return self._error(f"unknown parameter {key[:32]}")
            try:
                value = int(float(raw))
            except ValueError:
                return self._error(f"{key} must be a number")
            lo, hi = fields[key]
            if not lo <= value <= hi:
                return self._error(f"{key} out of range {lo}-{hi}")
            values[key] = value
        if not values:
            return self._error("no parameters")
        merged = {**self.settings, **values}
        if merged["cooltemp"] - merged["heattemp"] < 2:
            return self._error("cooltemp must be at least setpointdelta above heattemp")
        fault = await self.gate("set_config")
        if fault == "reject":
            return self._error("busy")
        for key, value in values.items():
            self.set_setting(key, value)
        if fault == "drop_after":
            raise DropConnection
        return Response.json({"success": True})
