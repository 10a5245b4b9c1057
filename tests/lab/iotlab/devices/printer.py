# SPDX-License-Identifier: GPL-3.0-or-later
"""HP-like network printers: embedded web server, raw 9100 with PJL, SNMP v1/v2c.

Two generations of HP's Embedded Web Server (see tests/lab/README.md for the sources):

* FutureSmart (LaserJet Enterprise): a sign-in form, ``GET|POST /hp/device/SignIn/Index``
  (hidden ``CSRFToken``, ``agentIdSelect=hp_EmbeddedPin_v1``, ``PinDropDown=AdminItem``,
  ``PasswordTextBox``, ``signInOk``) that sets a ``sessionId`` cookie, then the
  administrator password on ``GET /hp/device/GeneralSecurity/Index`` and
  ``POST /hp/device/GeneralSecurity/Save`` (``CSRFToken``, ``isSet``, ``oldPassword``,
  ``newPassword``, ``verifyPassword``, ``FormButtonSubmit``).
* legacy EWS (LaserJet Pro, pre-FutureSmart LaserJets): HTTP Basic (user ``admin``) and
  ``POST /hp/device/set_config_password.html/config`` (``Password``, ``ConfirmPassword``).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import Any, ClassVar

from ..errors import DropConnection, PolicyError
from ..net import Conn
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.snmp import OCTET_STRING, SnmpAgent, system_mib
from .base import Device, Listener

MAX_PJL = 8192
MAX_SESSIONS = 64
SIGN_IN = "/hp/device/SignIn/Index"
SECURITY = "/hp/device/GeneralSecurity/Index"
SNMP_SAVE = "/hp/device/SnmpSettings/Save"
LEGACY_PASSWORD = "/hp/device/set_config_password.html"


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
            "ews": "legacy",
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
            "ews": "legacy",
        },
        "laserjet-m607": {
            "vendor": "HP",
            "model": "HP LaserJet Enterprise M607",
            "firmware": "2506116_029584",
            "oui": "70:5a:0f",
            "product": "K0Q14A",
            "users": [{"username": "admin", "password": "", "role": "admin"}],
            "policy": {"min_length": 8, "max_length": 16, "min_classes": 2},
            "lockout": {"enabled": False, "configurable": False},
            "settings": {"snmp_community": "public"},
            "sysdescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM 2506116_029584,"
            "CIDATE 02/17/2021",
            "sysobjectid": "1.3.6.1.4.1.11.2.3.9.1",
            "ews": "futuresmart",
        },
    }

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, "HP", ("basic",))
        self.sessions: dict[str, dict[str, Any]] = {}
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
        futuresmart = self.variant.get("ews") == "futuresmart"
        if req.path in ("/", "/hp/device/DeviceInformation/View", "/hp/device/this.LCDispatcher"):
            link = SIGN_IN if futuresmart else LEGACY_PASSWORD
            return Response(
                200,
                f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
                f"<h1>{self.model}</h1><p id='SerialNumber'>{self.serial}</p>"
                f"<p id='FirmwareVersion'>{self.firmware}</p><a href='{link}'>Sign In</a></body></html>\n",
            )
        if futuresmart:
            return await self.futuresmart(req, title)
        return await self.legacy(req, title)

    # -- legacy EWS: Basic auth, set_config_password.html ------------------------------------
    async def legacy(self, req: Request, title: str) -> Response:
        known = {LEGACY_PASSWORD: "GET", LEGACY_PASSWORD + "/config": "POST", SNMP_SAVE: "POST"}
        if known.get(req.path) != req.method:
            return Response(404, "<html><body>Not Found</body></html>")
        denied = await self.auth.check(req)
        if denied is not None:
            return denied
        if req.path == LEGACY_PASSWORD:
            return Response(
                200,
                f"<html><head><title>{title}</title></head><body>"
                f"<form method='post' action='{LEGACY_PASSWORD}/config'>"
                "<input type='password' name='Password' id='Password' maxlength='16'>"
                "<input type='password' name='ConfirmPassword' id='ConfirmPassword' maxlength='16'>"
                "<input type='submit' name='Apply' value='Apply'></form></body></html>\n",
            )
        form = req.form()
        if req.path == SNMP_SAVE:
            return await self.save_snmp(form)
        return await self.save_password(
            req.user or "admin", form.get("Password", ""), form.get("ConfirmPassword", "")
        )

    async def save_snmp(self, form: dict[str, str]) -> Response:
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

    async def save_password(
        self, user: str, new: str, confirm: str, done: Response | None = None
    ) -> Response:
        if new != confirm:
            return Response(400, "The passwords do not match")
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response(400, "The password could not be changed")
        try:
            self.change_password(user, new)
        except PolicyError as exc:
            return Response(400, f"Invalid password: {exc}")
        if fault == "drop_after":
            raise DropConnection
        return done or Response(200, "Settings saved")

    # -- FutureSmart: sign-in form, session cookie, CSRF token --------------------------------
    def _session(self, req: Request) -> tuple[str | None, dict[str, Any] | None]:
        for part in req.headers.get("cookie", "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "sessionId" and value in self.sessions:
                return value, self.sessions[value]
        return None, None

    def _new_session(self, admin: bool = False) -> tuple[str, dict[str, Any]]:
        while len(self.sessions) >= MAX_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        sid = secrets.token_hex(16)
        self.sessions[sid] = {"csrf": secrets.token_urlsafe(24), "admin": admin}
        return sid, self.sessions[sid]

    @staticmethod
    def _cookie(sid: str) -> tuple[str, str]:
        return ("Set-Cookie", f"sessionId={sid}; path=/; HttpOnly")

    def _page(self, title: str, sess: dict[str, Any], action: str, inputs: str, error: str = "") -> str:
        err = f"<div id='MessageText' class='errorMessage'>{error}</div>" if error else ""
        return (
            f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{err}"
            f"<form method='post' action='{action}'>"
            f"<input type='hidden' name='CSRFToken' value='{sess['csrf']}'>{inputs}"
            "</form></body></html>\n"
        )

    def _sign_in_page(self, title: str, sess: dict[str, Any], error: str = "") -> str:
        return self._page(
            title,
            sess,
            SIGN_IN,
            "<select name='agentIdSelect' id='agentIdSelect'>"
            "<option value='hp_EmbeddedPin_v1' selected>Local Device</option></select>"
            "<select name='PinDropDown' id='PinDropDown'>"
            "<option value='AdminItem'>Administrator</option></select>"
            "<input type='password' name='PasswordTextBox' id='PasswordTextBox'>"
            "<input type='submit' name='signInOk' id='signInOk' value='Sign In'>",
            error,
        )

    def _security_page(self, title: str, sess: dict[str, Any], error: str = "") -> str:
        is_set = self.state["users"]["admin"]["password"] != ""
        old = "<input type='password' name='oldPassword' id='oldPassword'>" if is_set else ""
        return self._page(
            title,
            sess,
            "/hp/device/GeneralSecurity/Save",
            f"<input type='hidden' name='isSet' value='{is_set}'>{old}"
            "<input type='password' name='newPassword' id='newPassword'>"
            "<input type='password' name='verifyPassword' id='verifyPassword'>"
            "<input type='submit' name='FormButtonSubmit' value='Apply'>",
            error,
        )

    async def futuresmart(self, req: Request, title: str) -> Response:
        sid, sess = self._session(req)
        if req.path == SIGN_IN and req.method == "GET":
            if sess is None:
                sid, sess = self._new_session()
            return Response(200, self._sign_in_page(title, sess), headers=[self._cookie(sid)])
        known = {SIGN_IN, SECURITY, "/hp/device/GeneralSecurity/Save", SNMP_SAVE}
        if req.path not in known:
            return Response(404, "<html><body>Not Found</body></html>")
        if sess is None:
            return Response(302, "", headers=[("Location", SIGN_IN)])
        form = req.form() if req.method == "POST" else {}
        if req.method == "POST" and not hmac.compare_digest(
            form.get("CSRFToken", "").encode(), sess["csrf"].encode()
        ):
            return Response(403, "<html><body>Forbidden: no valid token</body></html>")
        if req.path == SIGN_IN:
            if form.get("agentIdSelect") != "hp_EmbeddedPin_v1" or form.get("PinDropDown") != "AdminItem":
                return Response(200, self._sign_in_page(title, sess, "Select a sign-in method and account."))
            fault = await self.gate("login")
            if fault == "drop_after":
                raise DropConnection
            result = (
                "bad" if fault == "reject" else self.check_password("admin", form.get("PasswordTextBox", ""))
            )
            if result != "ok":
                return Response(
                    200, self._sign_in_page(title, sess, "The password you entered is incorrect.")
                )
            self.sessions.pop(sid, None)  # a fresh session id after sign-in
            sid, sess = self._new_session(admin=True)
            return Response(
                302, "", headers=[self._cookie(sid), ("Location", "/hp/device/DeviceStatus/Index")]
            )
        if not sess["admin"]:
            return Response(302, "", headers=[("Location", SIGN_IN)])
        if req.path == SECURITY and req.method == "GET":
            return Response(200, self._security_page(title, sess))
        if req.method != "POST" or req.path == SECURITY:
            return Response(405, "Method Not Allowed")
        if req.path == SNMP_SAVE:
            return await self.save_snmp(form)
        if self.state["users"]["admin"]["password"] != "":  # the page asks for the old one then
            ok = self.check_password("admin", form.get("oldPassword", "")) == "ok"
            if not ok:
                return Response(200, self._security_page(title, sess, "The old password is incorrect."))
        new, confirm = form.get("newPassword", ""), form.get("verifyPassword", "")
        resp = await self.save_password(
            "admin", new, confirm, Response(302, "", headers=[("Location", SECURITY)])
        )
        if resp.status == 400:
            body = resp.body if isinstance(resp.body, str) else resp.body.decode()
            return Response(200, self._security_page(title, sess, body))
        return resp
