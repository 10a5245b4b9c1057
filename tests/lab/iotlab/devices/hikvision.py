# SPDX-License-Identifier: GPL-3.0-or-later
"""Hikvision-like IP cameras and NVRs: ISAPI over HTTP, RTSP, telnet or SSH shell.

The ISAPI endpoints follow the real ones (``/ISAPI/Security/userCheck``,
``/ISAPI/Security/users``, ``/ISAPI/Security/illegalLoginLock``, ``/ISAPI/System/deviceInfo``)
and answer with the same XML shapes and ``ResponseStatus`` codes.

Firmware generations (Hikvision "ISAPI Developer Guide", chapter 3.2 Activation and 4.2.1.1
XML): older firmware answers in the ``http://www.hikvision.com/ver20/XMLSchema`` namespace and
names the lock time ``lockDuration``; newer firmware uses ``http://www.isapi.org/ver20/XMLSchema``
and ``maxIllegalLoginLockTime``, and ships *un-activated*: ``admin`` has no password and
every login is refused until a client activates it. ``GET /SDK/activateStatus`` answers
without authentication; ``POST /ISAPI/Security/challenge`` takes the client's 1024-bit RSA
modulus (hex, then Base64) and answers a 32-hex-character random string encrypted to it
(PKCS#1 v1.5, hex, Base64); ``PUT /ISAPI/System/activate`` takes the password as
AES-128-ECB (key: the random string's bytes, zero padding) of the random string's first
16 characters followed by the password, hex, Base64.
"""

from __future__ import annotations

import base64
import re
import secrets
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import DropConnection, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.rtsp import serve_rtsp
from ..protocols.ssh import start_ssh_server
from ..protocols.telnet import serve_telnet
from ..protocols.xmlish import esc, field
from .base import Device, Listener

HIK_NS = "http://www.hikvision.com/ver20/XMLSchema"
ISAPI_NS = "http://www.isapi.org/ver20/XMLSchema"
HIK_POLICY = {"min_length": 8, "max_length": 16, "min_classes": 2, "forbid_username": True}

_COMMON: dict[str, Any] = {
    "vendor": "Hikvision",
    "oui": "44:19:b6",
    "users": [{"username": "admin", "password": "12345", "role": "Administrator"}],
    "policy": HIK_POLICY,
    "rtsp_server": None,
    "kernel": "3.0.8",
    "prompt": "# ",
    "ssh_version": "dropbear_2014.63",
}


class HikvisionCamera(Device):
    KIND = "hikvision_camera"
    DEVICE_CLASS = "camera"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "DS-2CD2032-I": {
            **_COMMON,
            "model": "DS-2CD2032-I",
            "firmware": "V5.2.0 build 140721",
            "activation": False,  # before activation existed: a factory password instead
            "device_type": "IPCamera",
            "http_server": "App-webs/",
            "auth": ("digest", "basic"),
            "lockout": {"enabled": False, "threshold": 7, "duration": 1800, "configurable": True},
            "settings": {"telnet_enabled": True, "ssh_enabled": False},
        },
        "DS-2CD2143G0-I": {
            **_COMMON,
            "oui": "c0:56:e3",
            "model": "DS-2CD2143G0-I",
            "firmware": "V5.5.82 build 190909",
            "device_type": "IPCamera",
            "http_server": "App-webs/",
            "auth": ("digest",),
            "lockout": {"enabled": True, "threshold": 7, "duration": 1800, "configurable": True},
            "settings": {"telnet_enabled": False, "ssh_enabled": True},
            "reports_default": True,
        },
        # the current generation: isapi.org namespace, maxIllegalLoginLockTime, un-activated
        "DS-2CD2143G2-I": {
            **_COMMON,
            "oui": "24:0f:9b",
            "model": "DS-2CD2143G2-I",
            "firmware": "V5.7.3 build 220112",
            "device_type": "IPCamera",
            "http_server": "webserver",
            "auth": ("digest",),
            "namespace": ISAPI_NS,
            "lock_field": "maxIllegalLoginLockTime",
            "users": [{"username": "admin", "password": None, "role": "Administrator"}],
            "lockout": {"enabled": True, "threshold": 7, "duration": 1800, "configurable": True},
            "settings": {"telnet_enabled": False, "ssh_enabled": False},
            "reports_default": True,
        },
    }

    @property
    def ns(self) -> str:
        return f'version="2.0" xmlns="{self.variant.get("namespace", HIK_NS)}"'

    @property
    def activated(self) -> bool:
        """Un-activated: admin has no password yet (new firmware out of the box)."""
        return self.state["users"]["admin"]["password"] is not None

    def extra_weaknesses(self) -> set[str]:
        return set() if self.activated else {"not_activated"}

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(
            self, self.variant.get("realm", f"IP Camera({self.serial[-5:]})"), self.variant["auth"]
        )
        return [
            Listener(
                "http", "tcp", 80, lambda c: serve_http(c, self.handle, self.variant["http_server"]), True
            ),
            Listener("rtsp", "tcp", 554, lambda c: serve_rtsp(c, self, self.auth)),
            Listener("telnet", "tcp", 23, lambda c: _telnet(c, self), True, "telnet_enabled"),
            Listener("ssh", "tcp", 22, None, True, "ssh_enabled"),
        ]

    async def start_ssh(self, sock):
        return await start_ssh_server(self, sock, self.lab.ssh_host_key_path())

    @property
    def serial(self) -> str:
        return f"{self.model}20190101AAWR{int(self.spec.mac.replace(':', ''), 16) % 10**9:09d}"

    # -- ISAPI ----------------------------------------------------------------------------
    def status(self, url: str, code: int, text: str, sub: str, http: int = 200, msg: str = "") -> Response:
        extra = f"<errorMsg>{esc(msg)}</errorMsg>\n" if msg else ""
        return Response.xml(
            f"<ResponseStatus {self.ns}>\n<requestURL>{esc(url)}</requestURL>\n"
            f"<statusCode>{code}</statusCode>\n<statusString>{text}</statusString>\n<subStatusCode>{sub}</subStatusCode>\n{extra}</ResponseStatus>\n",
            http,
        )

    def _unauthorized(self, user: str, result: str) -> Response:
        locked = self.locked_for(user)
        lock = "lock" if result == "locked" or locked else "unlock"
        return Response.xml(
            f"<userCheck {self.ns}>\n<statusValue>401</statusValue>\n"
            f"<statusString>Unauthorized</statusString>\n<lockStatus>{lock}</lockStatus>\n<unlockTime>{int(locked)}</unlockTime>\n</userCheck>\n",
            401,
        )

    async def handle(self, req: Request) -> Response:
        path = req.path
        if path in ("/", "/index.asp", "/doc/page/login.asp"):
            title = "Network Video Recorder" if self.variant["device_type"] == "NVR" else "IP Camera"
            return self.index_page(title)
        if path == "/SDK/activateStatus" and req.method == "GET" and self.variant.get("activation", True):
            return Response.xml(
                f"<ActivateStatus {self.ns}>\n<Activated>{str(self.activated).lower()}</Activated>\n"
                "</ActivateStatus>\n"
            )
        if path == "/ISAPI/Security/challenge" and req.method == "POST":
            return self.challenge(req)
        if path == "/ISAPI/System/activate" and req.method == "PUT":
            return await self.activate(req)
        if not path.startswith("/ISAPI/"):
            return self.status(path, 4, "Invalid Operation", "notSupport", 404)
        denied = await self.auth.check(req, self._unauthorized)
        if denied is not None:
            return denied
        routes = {
            ("GET", "/ISAPI/Security/userCheck"): self.user_check,
            ("GET", "/ISAPI/System/deviceInfo"): self.device_info,
            ("GET", "/ISAPI/Security/users"): self.users,
            ("GET", "/ISAPI/Security/illegalLoginLock"): self.get_lock,
            ("PUT", "/ISAPI/Security/illegalLoginLock"): self.put_lock,
            ("GET", "/ISAPI/System/Network/telnetd"): lambda r: self.get_toggle(
                r, "Telnetd", "telnet_enabled"
            ),
            ("PUT", "/ISAPI/System/Network/telnetd"): lambda r: self.put_toggle(
                r, "Telnetd", "telnet_enabled"
            ),
            ("GET", "/ISAPI/System/Network/ssh"): lambda r: self.get_toggle(r, "SSH", "ssh_enabled"),
            ("PUT", "/ISAPI/System/Network/ssh"): lambda r: self.put_toggle(r, "SSH", "ssh_enabled"),
        }
        fn = routes.get((req.method, path))
        if fn is not None:
            return await fn(req)
        m = re.fullmatch(r"/ISAPI/Security/users/(\d+)", path)
        if m and req.method == "PUT":
            return await self.put_user(req, int(m.group(1)))
        if m and req.method == "GET":
            return await self.users(req, int(m.group(1)))
        return self.status(path, 4, "Invalid Operation", "notSupport", 404)

    def index_page(self, title: str) -> Response:
        body = (
            "<!DOCTYPE html>\n<html>\n<head>\n"
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f"<title>{title}</title>\n"
            '<script>window.location.href = "/doc/page/login.asp?_" + (new Date()).getTime();</script>\n'
            "</head>\n<body></body>\n</html>\n"
        )
        if self.variant["device_type"] == "NVR":
            return Response(
                200,
                body,
                headers=[
                    ("ETag", '"4e5-1c1-5b1f2c3d"'),
                    ("Content-Length", ""),
                    ("Content-Type", "text/html"),
                    ("Connection", "close"),
                    ("Last-Modified", "Mon, 11 Jun 2018 08:00:00 GMT"),
                ],
                close=True,
            )
        return Response(200, body)

    async def user_check(self, req: Request) -> Response:
        fault = await self.gate("verify")
        if fault == "reject":
            return self._unauthorized(req.user or "", "bad")
        if fault == "drop_after":
            raise DropConnection
        default = self.factory_users.get(req.user or "") == self.state["users"][req.user]["password"]
        reported = (
            f"<isDefaultPassword>{str(default).lower()}</isDefaultPassword>\n"
            if self.variant.get("reports_default")
            else ""
        )
        return Response.xml(
            f"<userCheck {self.ns}>\n<statusValue>200</statusValue>\n<statusString>OK</statusString>\n"
            f"{reported}</userCheck>\n"
        )

    # -- activation (ISAPI Developer Guide 3.2) ---------------------------------------------
    def challenge(self, req: Request) -> Response:
        if self.activated:
            return self.status(req.path, 4, "Invalid Operation", "activated", 403)
        try:
            modulus = int(base64.b64decode(field(req.text(), "key") or "", validate=True).decode("ascii"), 16)
            public = rsa.RSAPublicNumbers(65537, modulus).public_key()
        except (ValueError, UnicodeDecodeError):
            return self.status(req.path, 6, "Invalid Content", "badParameters", 400, "<key>: no RSA modulus")
        self._random = secrets.token_hex(16)
        sealed = public.encrypt(self._random.encode("ascii"), padding.PKCS1v15())
        key = base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")
        return Response.xml(f"<Challenge {self.ns}>\n<key>{key}</key>\n</Challenge>\n")

    async def activate(self, req: Request) -> Response:
        if self.activated:
            return self.status(req.path, 4, "Invalid Operation", "activated", 403)
        random_text = getattr(self, "_random", None)
        self._random = None
        if random_text is None:
            return self.status(req.path, 4, "Invalid Operation", "noChallenge", 400, "no challenge asked")
        try:
            text = base64.b64decode(field(req.text(), "password") or "", validate=True)
            sealed = bytes.fromhex(text.decode("ascii"))
            aes = Cipher(algorithms.AES(bytes.fromhex(random_text)), modes.ECB()).decryptor()  # noqa: S305
            plain = (aes.update(sealed) + aes.finalize()).rstrip(b"\0").decode("utf-8")
        except ValueError:
            return self.status(req.path, 6, "Invalid Content", "badParameters", 400, "<password> undecodable")
        if not plain.startswith(random_text[:16]):
            return self.status(req.path, 6, "Invalid Content", "badParameters", 400, "wrong challenge")
        fault = await self.gate("change_password")
        if fault == "reject":
            return self.status(req.path, 4, "Invalid Operation", "riskPassword", 400, "password rejected")
        try:
            self.change_password("admin", plain[16:])
        except PolicyError as exc:
            return self.status(req.path, 4, "Invalid Operation", "riskPassword", 400, str(exc))
        if fault == "drop_after":
            raise DropConnection
        return self.status(req.path, 1, "OK", "ok")

    async def device_info(self, req: Request) -> Response:
        await self.gate("get_config")
        mac = self.spec.mac
        return Response.xml(
            f"<DeviceInfo {self.ns}>\n<deviceName>{esc(self.hostname)}</deviceName>\n"
            f"<deviceID>{esc(self.serial[-8:])}</deviceID>\n"
            f"<model>{self.model}</model>\n<serialNumber>{self.serial}</serialNumber>\n<macAddress>{mac}</macAddress>\n"
            f"<firmwareVersion>{self.firmware.split(' ')[0]}</firmwareVersion>\n"
            f"<firmwareReleasedDate>{self.firmware.split(' ')[-1]}</firmwareReleasedDate>\n"
            f"<deviceType>{self.variant['device_type']}</deviceType>\n</DeviceInfo>\n"
        )

    async def users(self, req: Request, uid: int | None = None) -> Response:
        await self.gate("get_config")
        rows = []
        for name, u in sorted(self.state["users"].items(), key=lambda kv: kv[1]["id"]):
            if uid is None or u["id"] == uid:
                rows.append(
                    f"<User>\n<id>{u['id']}</id>\n<userName>{esc(name)}</userName>\n"
                    f"<userLevel>{esc(u['role'])}</userLevel>\n</User>\n"
                )
        if uid is not None and not rows:
            return self.status(req.path, 4, "Invalid Operation", "invalidID", 404)
        body = "".join(rows)
        return Response.xml(body if uid is not None else f"<UserList {self.ns}>\n{body}</UserList>\n")

    async def put_user(self, req: Request, uid: int) -> Response:
        text = req.text()
        name = next((n for n, u in self.state["users"].items() if u["id"] == uid), None)
        if name is None:
            return self.status(req.path, 4, "Invalid Operation", "invalidID", 404)
        if self.state["users"][req.user]["role"] != "Administrator" and req.user != name:
            return self.status(req.path, 4, "Invalid Operation", "noPermission", 403)
        new = field(text, "password")
        if new is None:
            return self.status(req.path, 6, "Invalid Content", "badXmlContent", 400, "<password> is missing")
        fault = await self.gate("change_password")
        if fault == "reject":
            return self.status(
                req.path, 4, "Invalid Operation", "riskPassword", 400, "password rejected by device"
            )
        try:
            self.change_password(name, new)
        except PolicyError as exc:
            return self.status(req.path, 4, "Invalid Operation", "riskPassword", 400, str(exc))
        if fault == "drop_after":
            raise DropConnection
        return self.status(req.path, 1, "OK", "ok")

    async def get_lock(self, req: Request) -> Response:
        await self.gate("get_config")
        lk = self.state["lockout"]
        tag = self.variant.get("lock_field", "lockDuration")
        return Response.xml(
            f"<IllegalLoginLock {self.ns}>\n<enabled>{str(bool(lk.get('enabled'))).lower()}</enabled>\n"
            f"<maxIllegalLoginTimes>{lk.get('threshold', 7)}</maxIllegalLoginTimes>\n"
            f"<{tag}>{lk.get('duration', 1800)}</{tag}>\n</IllegalLoginLock>\n"
        )

    async def put_lock(self, req: Request) -> Response:
        text = req.text()
        # newer firmware names the lock time maxIllegalLoginLockTime, older lockDuration
        enabled, times, duration = (
            field(text, "enabled"),
            field(text, "maxIllegalLoginTimes"),
            field(text, "maxIllegalLoginLockTime") or field(text, "lockDuration"),
        )
        try:
            values = {
                "enabled": None if enabled is None else {"true": True, "false": False}[enabled.strip()],
                "threshold": None if times is None else int(times),
                "duration": None if duration is None else int(duration),
            }
        except (KeyError, ValueError):
            return self.status(
                req.path, 6, "Invalid Content", "badParameters", 400, "enabled/maxIllegalLoginTimes"
            )
        if values["threshold"] is not None and not 3 <= values["threshold"] <= 20:
            return self.status(
                req.path, 6, "Invalid Content", "badParameters", 400, "maxIllegalLoginTimes 3-20"
            )
        if values["duration"] is not None and not 60 <= values["duration"] <= 3600:
            return self.status(req.path, 6, "Invalid Content", "badParameters", 400, "lock time 60-3600 s")
        fault = await self.gate("set_config")
        if fault == "reject":
            return self.status(req.path, 4, "Invalid Operation", "notSupport", 400)
        self.set_lockout(**values)
        if fault == "drop_after":
            raise DropConnection
        return self.status(req.path, 1, "OK", "ok")

    async def get_toggle(self, req: Request, tag: str, key: str) -> Response:
        await self.gate("get_config")
        return Response.xml(
            f"<{tag} {self.ns}>\n<enabled>{str(bool(self.settings.get(key))).lower()}</enabled>\n</{tag}>\n"
        )

    async def put_toggle(self, req: Request, tag: str, key: str) -> Response:
        value = field(req.text(), "enabled")
        if value not in ("true", "false"):
            return self.status(
                req.path, 6, "Invalid Content", "badParameters", 400, "<enabled> must be true/false"
            )
        fault = await self.gate("set_config")
        if fault == "reject":
            return self.status(req.path, 4, "Invalid Operation", "notSupport", 400)
        self.set_setting(key, value == "true")
        if fault == "drop_after":
            raise DropConnection
        return self.status(req.path, 1, "OK", "ok")


async def _telnet(conn, device: Device) -> None:
    await serve_telnet(conn, device)


class HikvisionNvr(HikvisionCamera):
    KIND = "hikvision_nvr"
    DEVICE_CLASS = "nvr"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "DS-7608NI-K2": {
            **_COMMON,
            "oui": "4c:bd:8f",
            "model": "DS-7608NI-K2",
            "firmware": "V4.22.005 build 191211",
            "device_type": "NVR",
            "http_server": "DNVRS-Webs",
            "realm": "DS-7608NI-K2",
            "auth": ("digest",),
            "lockout": {"enabled": True, "threshold": 5, "duration": 1800, "configurable": True},
            "settings": {"telnet_enabled": False, "ssh_enabled": True},
        },
    }
