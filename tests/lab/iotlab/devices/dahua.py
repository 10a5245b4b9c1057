# SPDX-License-Identifier: GPL-3.0-or-later
"""Dahua-like IP cameras: the Dahua HTTP API (CGI) with HTTP Digest, and RTSP.

Follows the "Dahua HTTP API for IPC" document (V1.40 and later; the CGI paths and the
``OK`` / ``Error`` answers are unchanged up to the V2.x "API of HTTP Protocol
Specification"):

* ``GET /cgi-bin/userManager.cgi?action=getUserInfoAll``: ``users[i].Name=...`` lines;
* ``GET /cgi-bin/userManager.cgi?action=modifyPassword&name=U&pwd=NEW&pwdOld=OLD``:
  ``OK`` or ``Error`` (a wrong ``pwdOld`` or a password the device refuses);
* ``GET /cgi-bin/configManager.cgi?action=getConfig&name=LoginFailureAlarm``:
  ``table.LoginFailureAlarm.Enable`` / ``.TryLoginTimes`` (the "Illegal Access" setting: the
  account is locked for 30 minutes after that many wrong passwords), and ``action=setConfig``
  with ``LoginFailureAlarm.Enable=...&LoginFailureAlarm.TryLoginTimes=...``;
* ``GET /cgi-bin/magicBox.cgi?action=getDeviceType`` / ``getSoftwareVersion``.

Every CGI asks for HTTP Digest (realm ``Login to <serial>``); a refused login is a 401.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.rtsp import serve_rtsp
from .base import Device, Listener

# Dahua web UI: 8..32 characters, at least two of letters, digits and symbols; ' " ; : &
# are refused
DAHUA_SYMBOLS = "!#$%()*+,-./<=>?@[\\]^_`{|}~"
TRY_LOGIN_RANGE = (3, 10)
LOCK_SECONDS = 1800  # fixed on the device: 30 minutes


class DahuaCamera(Device):
    KIND = "dahua_camera"
    DEVICE_CLASS = "camera"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "IPC-HDW2431T": {
            "vendor": "Dahua",
            "model": "IPC-HDW2431T-AS-S2",
            "firmware": "2.800.0000000.19.R",
            "oui": "3c:ef:8c",
            "users": [{"username": "admin", "password": "admin", "role": "admin"}],
            "policy": {"min_length": 8, "max_length": 32, "min_classes": 2, "symbols": DAHUA_SYMBOLS},
            "lockout": {
                "enabled": True,
                "threshold": 5,
                "duration": LOCK_SECONDS,
                "configurable": True,
            },
            "rtsp_server": "Rtsp Server/3.0",
        },
    }

    @property
    def serial(self) -> str:
        return f"4L0C8F3PAZ{int(self.spec.mac.replace(':', ''), 16) % 10**5:05d}"

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, f"Login to {self.serial}", ("digest",))
        return [
            # the web server names no Server header (the API's CGI answers name none either)
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.handle, None), True),
            Listener("rtsp", "tcp", 554, lambda c: serve_rtsp(c, self, self.auth)),
        ]

    # -- the CGI API -------------------------------------------------------------------------
    @staticmethod
    def text(body: str, status: int = 200) -> Response:
        return Response(status, body, "text/plain;charset=utf-8")

    def error(self, why: str = "") -> Response:
        # the API answers "Error" and, on newer firmware, a reason on the next line
        return self.text("Error\r\n" + (why + "\r\n" if why else ""), 400)

    async def handle(self, req: Request) -> Response:
        if req.path in ("/", "/index.html"):
            return Response(
                200,
                '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>WEB SERVICE</title>'
                '<script src="/jsBase/lib/jquery.js"></script></head><body></body></html>\n',
            )
        if not req.path.startswith("/cgi-bin/"):
            return self.text("Error\r\nNot Found\r\n", 404)
        denied = await self.auth.check(req, lambda _u, _r: self.text("Error\r\nUnauthorized!\r\n", 401))
        if denied is not None:
            return denied
        action = req.query.get("action", "")
        route = {
            ("/cgi-bin/userManager.cgi", "getUserInfoAll"): self.user_info_all,
            ("/cgi-bin/userManager.cgi", "modifyPassword"): self.modify_password,
            ("/cgi-bin/configManager.cgi", "getConfig"): self.get_config,
            ("/cgi-bin/configManager.cgi", "setConfig"): self.set_config,
            ("/cgi-bin/magicBox.cgi", "getDeviceType"): self.device_type,
            ("/cgi-bin/magicBox.cgi", "getSoftwareVersion"): self.software_version,
        }.get((req.path, action))
        if route is None:
            return self.error("Bad Request!")
        return await route(req)

    async def user_info_all(self, req: Request) -> Response:
        await self.gate("get_config")
        lines = []
        for i, (name, user) in enumerate(sorted(self.state["users"].items(), key=lambda kv: kv[1]["id"])):
            group = "admin" if user["role"] == "admin" else "user"
            lines += [
                f"users[{i}].Group={group}",
                f"users[{i}].Id={user['id']}",
                f"users[{i}].Memo={name} 's account",
                f"users[{i}].Name={name}",
                f"users[{i}].Reserved={'true' if user['id'] == 1 else 'false'}",
                f"users[{i}].Sharable=true",
            ]
        return self.text("\r\n".join(lines) + "\r\n")

    async def modify_password(self, req: Request) -> Response:
        q = req.query
        name, new, old = q.get("name"), q.get("pwd"), q.get("pwdOld")
        if not name or new is None or old is None:
            return self.error("name, pwd and pwdOld are required")
        user = self.state["users"].get(name)
        if user is None:
            return self.error("User not exist")
        if self.state["users"][req.user]["role"] != "admin" and req.user != name:
            return self.error("No Authority")
        if self.check_password(name, old) != "ok":
            return self.error("Password incorrect")
        fault = await self.gate("change_password")
        if fault == "reject":
            return self.error()
        try:
            self.change_password(name, new)
        except PolicyError as exc:
            return self.error(str(exc))
        if fault == "drop_after":
            raise DropConnection
        return self.text("OK\r\n")

    async def get_config(self, req: Request) -> Response:
        await self.gate("get_config")
        if req.query.get("name") != "LoginFailureAlarm":
            return self.error("Bad Request!")
        lk = self.state["lockout"]
        return self.text(
            f"table.LoginFailureAlarm.Enable={str(bool(lk.get('enabled'))).lower()}\r\n"
            "table.LoginFailureAlarm.EventHandler.LogEnable=true\r\n"
            "table.LoginFailureAlarm.EventHandler.MailEnable=false\r\n"
            f"table.LoginFailureAlarm.TryLoginTimes={int(lk.get('threshold', 5))}\r\n"
        )

    async def set_config(self, req: Request) -> Response:
        values: dict[str, Any] = {}
        for key, value in req.query_list:
            if key == "action":
                continue
            if key == "LoginFailureAlarm.Enable" and value in ("true", "false"):
                values["enabled"] = value == "true"
            elif key == "LoginFailureAlarm.TryLoginTimes" and value.isdigit():
                times = int(value)
                if not TRY_LOGIN_RANGE[0] <= times <= TRY_LOGIN_RANGE[1]:
                    return self.error("TryLoginTimes %d..%d" % TRY_LOGIN_RANGE)
                values["threshold"] = times
            else:
                return self.error("Bad Request!")
        if not values:
            return self.error("Bad Request!")
        fault = await self.gate("set_config")
        if fault == "reject":
            return self.error()
        self.set_lockout(**values)
        if fault == "drop_after":
            raise DropConnection
        return self.text("OK\r\n")

    async def device_type(self, req: Request) -> Response:
        await self.gate("get_config")
        return self.text(f"type={self.model}\r\n")

    async def software_version(self, req: Request) -> Response:
        await self.gate("get_config")
        return self.text(f"version={self.firmware},build:2019-11-20\r\n")
