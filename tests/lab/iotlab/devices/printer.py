# SPDX-License-Identifier: GPL-3.0-or-later
"""HP-like network printers: embedded web server, raw 9100 with PJL, SNMP v1/v2c."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..net import Conn
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.snmp import OCTET_STRING, SnmpAgent, system_mib
from .base import Device, Listener

MAX_PJL = 8192


class Printer(Device):
    KIND = "printer"
    DEVICE_CLASS = "printer"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "laserjet-m402": {
            "vendor": "HP",
            "model": "HP LaserJet Pro M402dne",
            "firmware": "20190114",
            "oui": "3c:d9:2b",
            "product": "C5F94A",
            "users": [{"username": "admin", "password": "", "role": "admin"}],
            "policy": {"min_length": 8, "max_length": 16, "min_classes": 2},
            "lockout": {"enabled": False, "configurable": False},
            "settings": {"snmp_community": "public"},
            "sysdescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23700204,"
            "CIDATE 02/19/2019",
            "sysobjectid": "1.3.6.1.4.1.11.2.3.9.1",
        },
        "laserjet-p3015": {
            "vendor": "HP",
            "model": "HP LaserJet P3015",
            "firmware": "20130703",
            "oui": "00:1b:78",
            "product": "CE525A",
            "users": [{"username": "admin", "password": "", "role": "admin"}],
            "policy": {"min_length": 1, "max_length": 16, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "settings": {"snmp_community": "public"},
            "sysdescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD133,EEPROM JSI2300117,"
            "CIDATE 07/03/2013",
            "sysobjectid": "1.3.6.1.4.1.11.2.3.9.1",
        },
    }

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, "HP", ("basic",))
        self.snmp = SnmpAgent(self.mib, lambda: self.settings.get("snmp_community"))
        server = (
            f"HP HTTP Server; {self.model} - {self.variant['product']}; Serial Number: {self.serial}; "
            "Built:Mon Jan 14, 2019"
        )
        return [
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.handle, server), True),
            Listener("jetdirect", "tcp", 9100, self.pjl),
            Listener("snmp", "udp", 161, self.snmp.handle),
        ]

    @property
    def serial(self) -> str:
        return "PHB" + self.spec.mac.replace(":", "")[-7:].upper()

    def extra_weaknesses(self) -> set[str]:
        return {"snmp_public"} if self.settings.get("snmp_community") in ("public", "private") else set()

    def mib(self) -> dict:
        mib = system_mib(
            self.variant["sysdescr"], self.variant["sysobjectid"], self.hostname, "", "", self.snmp.uptime()
        )
        mib[(1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3, 1)] = (OCTET_STRING, self.model)
        mib[(1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17, 1)] = (OCTET_STRING, self.serial)
        return mib

    async def pjl(self, conn: Conn) -> None:
        total = 0
        while True:
            line = await asyncio.wait_for(conn.readline(), 60)
            if not line:
                return
            total += len(line)
            if total > MAX_PJL:
                raise DropConnection
            text = line.decode("latin-1").replace("\x1b%-12345X", "").strip().upper()
            if text.startswith("@PJL INFO ID"):
                await conn.send(f'@PJL INFO ID\r\n"{self.model}"\r\n\x0c'.encode())
            elif text.startswith("@PJL INFO STATUS"):
                await conn.send(b'@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY="Ready"\r\nONLINE=TRUE\r\n\x0c')

    async def handle(self, req: Request) -> Response:
        title = f"{self.model} &nbsp;&nbsp;&nbsp; {self.address}"
        if req.path in ("/", "/hp/device/DeviceInformation/View", "/hp/device/this.LCDispatcher"):
            return Response(
                200,
                f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
                f"<h1>{self.model}</h1><p id='SerialNumber'>{self.serial}</p>"
                f"<p id='FirmwareVersion'>{self.firmware}</p></body></html>\n",
            )
        if req.method != "POST" or req.path not in (
            "/hp/device/SecuritySettings/Save",
            "/hp/device/SnmpSettings/Save",
        ):
            return Response(404, "<html><body>Not Found</body></html>")
        denied = await self.auth.check(req)
        if denied is not None:
            return denied
        form = req.form()
        if req.path.endswith("SnmpSettings/Save"):
            community = form.get("ReadCommunity", "")
            if not community or len(community) > 32:
                return Response(400, "ReadCommunity must be 1-32 characters")
            fault = await self.gate("set_config")
            if fault == "reject":
                return Response(400, "Settings were not saved")
            self.set_setting("snmp_community", community)
            if fault == "drop_after":
                raise DropConnection
            return Response(200, "Settings saved")
        new, confirm = form.get("NewPassword", ""), form.get("ConfirmPassword", "")
        if new != confirm:
            return Response(400, "The passwords do not match")
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response(400, "The password could not be changed")
        try:
            self.change_password(req.user or "admin", new)
        except PolicyError as exc:
            return Response(400, f"Invalid password: {exc}")
        if fault == "drop_after":
            raise DropConnection
        return Response(200, "Settings saved")
