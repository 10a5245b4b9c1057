# SPDX-License-Identifier: GPL-3.0-or-later
"""VoIP desk phones: HTTP admin (Basic) with password change, SIP on UDP 5060.

Polycom VVX follows Poly's "UC Software REST API Reference Manual" (5.9-6.4) and the Poly FAQ
"Locking the Web Configuration Utility after Failed Login" (UC Software 5.5.0):
``GET /api/v1/mgmt/device/info``, ``POST /api/v1/mgmt/config/get`` ``{"data": [param]}`` and
``POST /api/v1/mgmt/config/set`` ``{"data": {param: value}}`` with Basic auth of the admin
account ``Polycom``, answering ``{"Status": "2000"}`` (``4000`` for input it refuses). The web UI
lock (``httpd.cfg.lockWebUI.*``, on by default: 5 failures, 60 s) exists from UCS 5.5.0; the
``polycom-vvx410-ucs54`` variant predates it. The admin password is
``device.auth.localAdminPassword``; the second web account ``User`` (factory password 123,
Poly's "UC Software Administrator Guide", "Administrator and User Passwords") has
``device.auth.localUserPassword``, set the same way by the admin. ``User`` has no REST access
(the lab answers it 403, Status 4003); it signs in to the Web Configuration Utility with
``POST /form-submit/auth.htm`` and Basic credentials, answered ``lockparams|SUCCESS|0`` and a
``session`` cookie, else ``lockparams|INVALID_LOGIN|0`` or ``ONE_ATTEMPT_LEFT`` (public
clients of the VVX web UI show these); a locked web UI answers ``lockparams|LOCKED|seconds``
(the lab's own: no public source shows that answer).

Yealink T46S (firmware 66.86) serves its web UI as the ``servlet`` session that Yealink's
"SIP-T4 Series IP Phones Administrator Guide" (security chapter: ``admin``/``admin`` and
``user``/``user``, ``servlet?p=security&q=load``) and public client code of that UI show:
``GET /servlet?m=mod_listener&p=login&q=loginForm`` sets ``JSESSIONID`` and carries the
page's RSA key (``g_rsa_n``, ``g_rsa_e``), ``g_strFirmware`` and ``g_phonetype``;
``POST /servlet?m=mod_listener&p=login&q=login`` takes ``username``, ``pwd`` (base64 of
AES-128-CBC, zero padded, over ``random;JSESSIONID;password``), ``rsakey`` and ``rsaiv``
(the AES key and IV as hex digits, RSA PKCS#1 v1.5, hex) and answers
``{"authstatus":"done"}``; ``GET /servlet?m=mod_data&p=security&q=load`` gives
``g_strToken``; ``POST /servlet?m=mod_password&p=security&q=change`` (``editOldPassword``,
``editNewPassword``, ``token``, ``mode``) answers ``{'result' : '0'}``. What no public source
shows is the lab's own: a refused login answers ``{"authstatus":"error"}``, a refused change
``{'result' : '-1'}`` (wrong old password) or ``'-2'`` (policy), and the web login lock
(5 failures, 3 minutes) answers "You are not authorized! Please try again N minutes later",
the page text Greenbone's detection script matches.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import DropConnection, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.sip import sip_handler
from .base import Device, Listener

YL_FORM = "/servlet?m=mod_listener&p=login&q=loginForm"
YL_ROUTES = {
    ("mod_listener", "login", "loginForm"),
    ("mod_listener", "login", "login"),
    ("mod_data", "security", "load"),
    ("mod_password", "security", "change"),
}
YL_MAX_SESSIONS = 16
WEB_AUTH = "/form-submit/auth.htm"
YL_MAX_FIELD = 1024


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
            "users": [
                {"username": "Polycom", "password": "456", "role": "admin"},
                {"username": "User", "password": "123", "role": "user"},
            ],
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
            "users": [
                {"username": "Polycom", "password": "456", "role": "admin"},
                {"username": "User", "password": "123", "role": "user"},
            ],
            "policy": {"min_length": 3, "max_length": 32, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "user_agent": "PolycomVVX-VVX_410-UA/5.4.5.0367",
            "http_server": None,
            "title": "Polycom - VVX 410 Configuration Utility",
            "web_ui_lock": False,
        },
    }

    def listeners(self) -> list[Listener]:
        self._yl_key: rsa.RSAPrivateKey | None = None
        self.yl_sessions: dict[str, dict[str, Any]] = {}
        self.auth = HttpAuth(self, self.variant["title"], ("basic",))
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("sip", "udp", 5060, sip_handler(lambda: self.variant["user_agent"])),
        ]

    def at_screen(self, username: str, password: str) -> None:
        """A password set on the phone's own menu (Yealink: Settings > Advanced > Set
        Password), which takes any password: how an engineer puts a factory one back."""
        self.change_password(username, password, force=True)

    async def handle(self, req: Request) -> Response:
        if req.path == "/":
            title = self.variant["title"]
            jump = (
                f'<script>window.location ="{YL_FORM}&jumpto=status";</script>'
                if self.vendor == "Yealink"
                else ""
            )
            return Response(
                200, f"<html><head><title>{title}</title>{jump}</head><body>{title}</body></html>\n"
            )
        if self.vendor == "Polycom":
            return await self.poly_rest(req)
        return await self.yealink(req)

    # -- Yealink web UI (servlet) --------------------------------------------------------------
    def _rsa(self) -> rsa.RSAPrivateKey:
        """The phone's web key, made on first use (a site of 1,500 phones stays quick to start)."""
        if self._yl_key is None:
            self._yl_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return self._yl_key

    def _yl_session(self, req: Request) -> tuple[str | None, dict[str, Any] | None]:
        for part in req.headers.get("cookie", "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "JSESSIONID" and value in self.yl_sessions:
                return value, self.yl_sessions[value]
        return None, None

    def _yl_new_session(self) -> tuple[str, dict[str, Any]]:
        while len(self.yl_sessions) >= YL_MAX_SESSIONS:
            self.yl_sessions.pop(next(iter(self.yl_sessions)))
        sid = secrets.token_hex(16)
        self.yl_sessions[sid] = {"user": None, "token": secrets.token_hex(8)}
        return sid, self.yl_sessions[sid]

    def _yl_decrypt(self, form: dict[str, str], field: str, sid: str) -> str | None:
        """The secret in ``field`` (base64 AES-CBC over ``random;JSESSIONID;secret``), or None
        for anything malformed, too long or made for another session."""
        try:
            if any(len(form.get(k, "")) > YL_MAX_FIELD for k in ("rsakey", "rsaiv", field)):
                return None
            key = self._rsa().decrypt(bytes.fromhex(form["rsakey"]), padding.PKCS1v15())
            iv = self._rsa().decrypt(bytes.fromhex(form["rsaiv"]), padding.PKCS1v15())
            key, iv = bytes.fromhex(key.decode("ascii")), bytes.fromhex(iv.decode("ascii"))
            data = base64.b64decode(form[field], validate=True)
            if len(key) != 16 or len(iv) != 16 or not data or len(data) % 16:
                return None
            dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
            plain = (dec.update(data) + dec.finalize()).rstrip(b"\0").decode("utf-8")
        except (KeyError, ValueError, UnicodeDecodeError, binascii.Error):
            return None
        parts = plain.split(";", 2)
        if len(parts) != 3 or not hmac.compare_digest(parts[1].encode(), sid.encode()):
            return None
        return parts[2]

    def _yl_login_form(self, sid: str) -> str:
        numbers = self._rsa().public_key().public_numbers()
        title = self.variant["title"]
        return (
            f"<!DOCTYPE html><html><head><title>{title}</title><script>\n"
            f'var g_strFirmware = "{self.firmware}";\n'
            f'var g_phonetype = "{self.model.replace("SIP-", "")}";\n'
            f'var g_rsa_n = "{numbers.n:x}";\nvar g_rsa_e = "{numbers.e:x}";\n'
            "</script></head><body><form name='formInput' method='post'>"
            "<input type='text' id='idUsername' name='username'>"
            "<input type='password' id='idPassword' name='pwd'>"
            "<input type='submit' id='idConfirm' value='Confirm'></form></body></html>\n"
        )

    async def yealink(self, req: Request) -> Response:
        route = (req.query.get("m", ""), req.query.get("p", ""), req.query.get("q", ""))
        if req.path != "/servlet" or route not in YL_ROUTES:
            return Response(404, "<html><body>404 Not Found</body></html>")
        sid, sess = self._yl_session(req)
        if route[2] == "loginForm":
            headers = []
            if sess is None:
                sid, sess = self._yl_new_session()
                headers = [("Set-Cookie", f"JSESSIONID={sid}; Path=/; HttpOnly")]
            return Response(200, self._yl_login_form(sid), headers=headers)
        if sess is None or sid is None:
            return Response(302, "", headers=[("Location", YL_FORM)])
        if route[2] == "login":
            if req.method != "POST":
                return Response(405, "Method Not Allowed")
            return await self._yl_login(req.form(), sid, sess)
        if sess["user"] is None:
            return Response(302, "", headers=[("Location", YL_FORM)])
        if route[2] == "load":
            await self.gate("get_config")
            role = self.state["users"][sess["user"]]["role"]
            modes_ = "admin</option><option>user" if role == "admin" else "user"
            return Response(
                200,
                f'<html><head><script>var g_strToken = "{sess["token"]}";</script></head><body>'
                f"<select name='mode'><option>{modes_}</option></select>"
                "<input type='password' name='editOldPassword'><input type='password' name='editNewPassword'>"
                "<input type='password' name='editConfirmPassword'></body></html>\n",
            )
        if req.method != "POST":
            return Response(405, "Method Not Allowed")
        return await self._yl_change(req.form(), sid, sess)

    async def _yl_login(self, form: dict[str, str], sid: str, sess: dict[str, Any]) -> Response:
        user = form.get("username", "")[:64]
        password = self._yl_decrypt(form, "pwd", sid)
        fault = await self.gate("login")
        if fault == "drop_after":
            raise DropConnection
        if fault == "reject":
            result = "bad"
        elif password is None:  # undecryptable: a failed login like any wrong password
            result = self.authenticate(user, lambda _stored: False)
        else:
            result = self.check_password(user, password)
        if result == "locked":
            minutes = int(self.locked_for(user) // 60) + 1
            return Response(200, f"You are not authorized! Please try again {minutes} minutes later.")
        if result != "ok":
            return Response.json({"authstatus": "error"})
        sess["user"] = user
        return Response.json({"authstatus": "done"})

    async def _yl_change(self, form: dict[str, str], sid: str, sess: dict[str, Any]) -> Response:
        if not hmac.compare_digest(form.get("token", "").encode(), sess["token"].encode()):
            return Response(403, "<html><body>403 Forbidden</body></html>")
        target = form.get("mode", "")
        me = sess["user"]
        if target not in ("admin", "user") or (target != me and self.state["users"][me]["role"] != "admin"):
            return Response(403, "<html><body>403 Forbidden</body></html>")
        old = self._yl_decrypt(form, "editOldPassword", sid)
        new = self._yl_decrypt(form, "editNewPassword", sid)
        stored = self.state["users"][target]["password"] or ""
        if old is None or new is None or not hmac.compare_digest(old.encode(), stored.encode()):
            return Response(200, "{'result' : '-1'}")
        fault = await self.gate("change_password")
        if fault == "reject":
            return Response(200, "{'result' : '-2'}")
        try:
            self.change_password(target, new)
        except PolicyError:
            return Response(200, "{'result' : '-2'}")
        if fault == "drop_after":
            raise DropConnection
        return Response(200, "{'result' : '0'}")

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
    #: the web accounts' passwords (the admin ``Polycom`` and ``User``), set only
    PASSWORDS: ClassVar[dict[str, str]] = {
        "device.auth.localAdminPassword": "Polycom",
        "device.auth.localUserPassword": "User",
    }

    @staticmethod
    def _status(code: str, message: str = "", data: Any = None, http_status: int = 200) -> Response:
        body: dict[str, Any] = {"Status": code}
        if message:
            body["Message"] = message
        if data is not None:
            body["data"] = data
        return Response.json(body, http_status)

    async def poly_web_auth(self, req: Request) -> Response:
        """The Web Configuration Utility's sign-in: Basic credentials of ``Polycom`` (admin) or
        ``User``, answered ``lockparams|SUCCESS|0`` with a ``session`` cookie, else
        ``lockparams|INVALID_LOGIN|0`` (``ONE_ATTEMPT_LEFT`` before a lock)."""
        if req.method != "POST":
            return Response(405, "Method Not Allowed")
        scheme, _sep, token = req.headers.get("authorization", "").partition(" ")
        try:
            user, _sep, password = (
                base64.b64decode(token.strip()[:512], validate=True).decode().partition(":")
            )
        except (ValueError, UnicodeDecodeError, binascii.Error):
            user, password = "", ""
        if scheme.lower() != "basic" or not user:
            return Response(200, "lockparams|INVALID_LOGIN|0", "text/plain")
        fault = await self.gate("login")
        if fault == "drop_after":
            raise DropConnection
        result = "bad" if fault == "reject" else self.check_password(user[:64], password)
        if result == "locked":
            return Response(200, f"lockparams|LOCKED|{int(self.locked_for(user)) + 1}", "text/plain")
        if result != "ok":
            lock = self.state["lockout"]
            left = int(lock.get("threshold", 5)) - self._failures.get(user, 0)
            state = "ONE_ATTEMPT_LEFT" if lock.get("enabled") and left == 1 else "INVALID_LOGIN"
            return Response(200, f"lockparams|{state}|0", "text/plain")
        cookie = ("Set-Cookie", f"session={secrets.token_hex(16)}; Path=/; HttpOnly")
        return Response(200, "lockparams|SUCCESS|0", "text/plain", headers=[cookie])

    async def poly_rest(self, req: Request) -> Response:
        path = req.path
        if path == WEB_AUTH:
            return await self.poly_web_auth(req)
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
            if param in self.PASSWORDS:
                problem = self.policy_problem(self.PASSWORDS[param], value)
                if problem:
                    return self._status("4000", problem)
                continue
            if not self._known(param) or not value.isdigit():
                return self._status("4000", "Invalid input parameters")
            key, lo, hi = self.LOCK[param]
            if not lo <= int(value) <= hi:
                return self._status("4000", f"{param} must be {lo}-{hi}")
            lock[key] = bool(int(value)) if key == "enabled" else int(value)
        changes = {self.PASSWORDS[p]: v for p, v in values.items() if p in self.PASSWORDS}
        fault = await self.gate("change_password" if changes else "set_config")
        if fault == "reject":
            return self._status("5000", "Failed to process request")
        for account, password in changes.items():
            self.change_password(account, password)
        if lock:
            self.set_lockout(**lock)
        if fault == "drop_after":
            raise DropConnection
        return self._status("2000")
