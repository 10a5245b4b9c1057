# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's internet router, as NETGEAR's firmware serves it: HTTP admin (Basic) whose
forms post to a per-page token (``PWD_password.htm`` -> ``password.cgi?id=<token>``,
``UPNP_upnp.htm`` -> ``upnp.cgi?id=<token>``), on newer firmware also an ``XSRF_TOKEN``
cookie handed out by ``GET /``; and a UPnP IGD (SSDP, ``/Public_UPNP_gatedesc.xml``, SOAP on
``/Public_UPNP_C3``) whose port-mapping table can expose an inside device to the internet.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, ClassVar

from ..errors import DropConnection, LabError, PolicyError
from ..protocols.http import HttpAuth, Request, Response, serve_http
from ..protocols.ssdp import ssdp_handler
from ..protocols.xmlish import esc, field
from .base import Device, Listener

WANIP = "urn:schemas-upnp-org:service:WANIPConnection:1"
IGD = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
UPNP_PORT = 5000
MAX_MAPPINGS = 64
DESCRIPTION = "/Public_UPNP_gatedesc.xml"
CONTROL = "/Public_UPNP_C3"
MAX_TOKENS = 16
#: the admin pages with a form, and the CGI each posts to
PAGES = {"/PWD_password.htm": "password.cgi", "/UPNP_upnp.htm": "upnp.cgi"}


_R7000: dict[str, Any] = {
    "vendor": "NETGEAR",
    "model": "R7000",
    "firmware": "V1.0.9.88_10.2.88",
    "oui": "a0:63:91",
    "users": [{"username": "admin", "password": "password", "role": "admin"}],
    "policy": {"min_length": 1, "max_length": 32, "min_classes": 1},
    "lockout": {"enabled": False, "configurable": False},
    "settings": {"upnp_enabled": True, "wan_address": "198.51.100.23"},
    "realm": "NETGEAR R7000",
    "upnp_server": "Linux/2.6.36.4brcmarm, UPnP/1.0, Portable SDK for UPnP devices/1.6.18",
    "xsrf": False,
}


class Router(Device):
    KIND = "router"
    DEVICE_CLASS = "router"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "netgear-r7000": _R7000,
        # newer firmware: the same router, its admin pages behind an XSRF_TOKEN cookie
        "netgear-r7000-xsrf": {**_R7000, "firmware": "V1.0.11.134_10.2.120", "xsrf": True},
    }

    def factory_state(self) -> dict[str, Any]:
        state = super().factory_state()
        mappings = []
        for i, m in enumerate(self.spec.overrides.get("port_mappings", [])):
            internal = m.get("device")
            try:
                address = self.lab.site.device(internal).address if internal else m["address"]
            except KeyError:
                raise LabError(
                    f"{self.name}: port_mappings[{i}].device={internal!r} is not a device of this site; "
                    "name a device from the site file"
                ) from None
            mappings.append(
                {
                    "external_port": int(m["external_port"]),
                    "protocol": str(m.get("protocol", "TCP")).upper(),
                    "internal_address": address,
                    "internal_port": int(m.get("internal_port", m["external_port"])),
                    "description": str(m.get("description", "")),
                    "enabled": True,
                }
            )
        state["settings"]["port_mappings"] = mappings
        return state

    def listeners(self) -> list[Listener]:
        self.auth = HttpAuth(self, self.variant["realm"], ("basic",))
        self.uuid = f"824ff22b-8c7d-41c5-a131-{self.spec.mac.replace(':', '')}"
        self.tokens: dict[str, list[str]] = {page: [] for page in PAGES.values()}
        self.xsrf = secrets.token_hex(16)
        server = self.variant["upnp_server"]
        return [
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.handle, "httpd"), True),
            Listener(
                "ssdp",
                "udp",
                1900,
                ssdp_handler(
                    lambda: f"http://{self.address}:{UPNP_PORT}{DESCRIPTION}",
                    server,
                    f"uuid:{self.uuid}",
                    ["upnp:rootdevice", IGD, WANIP],
                ),
                setting="upnp_enabled",
            ),
            Listener(
                "upnp-http",
                "tcp",
                UPNP_PORT,
                lambda c: serve_http(c, self.upnp, server),
                setting="upnp_enabled",
            ),
        ]

    def exposures(self) -> list[dict[str, Any]]:
        if not self.settings.get("upnp_enabled") and not self.settings.get("port_mappings"):
            return []
        out = []
        for m in self.settings.get("port_mappings", []):
            if not m.get("enabled"):
                continue
            dev = self.lab.device_by_address(m["internal_address"])
            out.append(
                {
                    "router": self.name,
                    "external_address": self.settings.get("wan_address"),
                    "external_port": m["external_port"],
                    "protocol": m["protocol"],
                    "internal_device": dev.name if dev else None,
                    "internal_address": m["internal_address"],
                    "internal_port": m["internal_port"],
                    "description": m["description"],
                }
            )
        return out

    def extra_weaknesses(self) -> set[str]:
        found = set()
        if self.settings.get("upnp_enabled"):
            found.add("upnp_exposed")
        if any(m.get("enabled") for m in self.settings.get("port_mappings", [])):
            found.add("port_forwarding")
        return found

    # -- admin UI -------------------------------------------------------------------------
    def _xsrf_ok(self, req: Request) -> bool:
        for part in req.headers.get("cookie", "").split(";"):
            name, _sep, value = part.strip().partition("=")
            if name == "XSRF_TOKEN":
                return hmac.compare_digest(value.encode(), self.xsrf.encode())
        return False

    def _issue(self, cgi: str) -> str:
        token = str(secrets.randbelow(10**10))
        self.tokens[cgi] = [*self.tokens[cgi], token][-MAX_TOKENS:]
        return token

    def _form_page(self, path: str) -> str:
        cgi = PAGES[path]
        action = f"{cgi}?id={self._issue(cgi)}"
        head = f"<html><head><title>{self.vendor} Router {self.model}</title></head><body>"
        if cgi == "password.cgi":
            return (
                f'{head}<form method="POST" action="{action}" name="formname">'
                '<input type="password" name="sysOldPasswd" maxlength="32">'
                '<input type="password" name="sysNewPasswd" maxlength="32">'
                '<input type="password" name="sysConfirmPasswd" maxlength="32">'
                '<input type="submit" name="cfAlert_Apply" value="Apply"></form></body></html>\n'
            )
        on = "1" if self.settings.get("upnp_enabled") else "0"
        rows = "".join(
            f"<tr><td>{'Yes' if m.get('enabled') else 'No'}</td><td>{m['protocol']}</td>"
            f"<td>{m['internal_port']}</td><td>{m['external_port']}</td><td>{m['internal_address']}</td></tr>"
            for m in self.settings["port_mappings"]
        )
        return (
            f'{head}<form method="POST" action="{action}" name="formname">'
            f'<input type="checkbox" name="UPnP" value="UPnP"{" checked" if on == "1" else ""}>'
            '<input type="text" name="AdverTime" value="30"><input type="text" name="TimeToLive" value="4">'
            f'<input type="hidden" name="hiddenTurnUPnPOn" value="{on}">'
            '<input type="hidden" name="hiddenAdverTime" value="30">'
            '<input type="hidden" name="hiddenTimeToLive" value="4">'
            f'<input type="submit" name="apply" value="Apply"></form><table>{rows}</table></body></html>\n'
        )

    async def handle(self, req: Request) -> Response:
        denied = await self.auth.check(req)
        if denied is not None:
            return denied
        xsrf = bool(self.variant.get("xsrf"))
        if req.path in ("/", "/index.htm"):
            headers = [("Set-Cookie", f"XSRF_TOKEN={self.xsrf}; Path=/")] if xsrf else []
            return Response(
                200,
                f"<html><head><title>{self.vendor} Router {self.model}</title></head><body></body></html>",
                headers=headers,
            )
        if xsrf and not self._xsrf_ok(req):
            return self.auth.challenge()
        if req.path in PAGES and req.method == "GET":
            await self.gate("get_config")
            return Response(200, self._form_page(req.path))
        cgi = req.path.lstrip("/")
        if req.method != "POST" or cgi not in self.tokens:
            return Response(404, "Not Found")
        token = req.query.get("id", "")
        if token not in self.tokens[cgi]:
            # the firmware's answer to a stale or missing page token
            return Response(200, "<html><body>The page has expired. Please reload it.</body></html>")
        self.tokens[cgi].remove(token)
        form = req.form()
        if cgi == "password.cgi":
            if form.get("sysNewPasswd") != form.get("sysConfirmPasswd"):
                return Response(400, "The new passwords do not match")
            if form.get("sysOldPasswd") != self.state["users"][req.user or ""]["password"]:
                return Response(400, "The old password is incorrect")
        elif form.get("hiddenTurnUPnPOn") not in ("0", "1"):
            return Response(400, "hiddenTurnUPnPOn must be 0 or 1")
        op = "change_password" if cgi == "password.cgi" else "set_config"
        fault = await self.gate(op)
        if fault == "reject":
            return Response(400, "Settings were not applied")
        if cgi == "password.cgi":
            try:
                self.change_password(req.user or "admin", form.get("sysNewPasswd", ""))
            except PolicyError as exc:
                return Response(400, f"Invalid password: {exc}")
        else:
            self.set_setting("upnp_enabled", form.get("hiddenTurnUPnPOn") == "1")
        if fault == "drop_after":
            raise DropConnection
        return Response(200, "<html><body>Settings applied</body></html>")

    # -- UPnP IGD -------------------------------------------------------------------------
    async def upnp(self, req: Request) -> Response:
        if req.path == DESCRIPTION:
            return Response.xml(self.root_desc())
        if req.path == CONTROL and req.method == "POST":
            action = req.headers.get("soapaction", "").strip('"').rpartition("#")[2]
            return self.soap(action, req.text())
        return Response(404, "")

    def root_desc(self) -> str:
        return (
            '<root xmlns="urn:schemas-upnp-org:device-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            f"<device><deviceType>{IGD}</deviceType><friendlyName>{self.vendor} {self.model}</friendlyName>"
            f"<manufacturer>{self.vendor}</manufacturer><modelName>{self.model}</modelName>"
            f"<modelNumber>{self.model}</modelNumber><UDN>uuid:{self.uuid}</UDN><deviceList><device>"
            "<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><deviceList><device>"
            "<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><serviceList><service>"
            f"<serviceType>{WANIP}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>"
            f"<controlURL>{CONTROL}</controlURL><eventSubURL>/Public_UPNP_E3</eventSubURL>"
            "<SCPDURL>/Public_UPNP_WANIPConn.xml</SCPDURL>"
            "</service></serviceList></device></deviceList></device></deviceList></device></root>\n"
        )

    def soap(self, action: str, body: str) -> Response:
        def ok(inner: str) -> Response:
            return Response(
                200,
                '<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
                's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
                f'<u:{action}Response xmlns:u="{WANIP}">{inner}</u:{action}Response></s:Body></s:Envelope>\n',
                'text/xml; charset="utf-8"',
            )

        def fault(code: int, text: str) -> Response:
            return Response(
                500,
                '<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
                '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">'
                f"<errorCode>{code}</errorCode><errorDescription>{text}</errorDescription></UPnPError>"
                "</detail></s:Fault></s:Body></s:Envelope>\n",
                'text/xml; charset="utf-8"',
            )

        mappings = [m for m in self.settings["port_mappings"] if m.get("enabled")]

        def entry(m: dict[str, Any]) -> str:
            return (
                f"<NewRemoteHost></NewRemoteHost><NewExternalPort>{m['external_port']}</NewExternalPort>"
                f"<NewProtocol>{m['protocol']}</NewProtocol><NewInternalPort>{m['internal_port']}</NewInternalPort>"
                f"<NewInternalClient>{m['internal_address']}</NewInternalClient><NewEnabled>1</NewEnabled>"
                f"<NewPortMappingDescription>{esc(m['description'])}</NewPortMappingDescription>"
                "<NewLeaseDuration>0</NewLeaseDuration>"
            )

        if action == "GetExternalIPAddress":
            return ok(f"<NewExternalIPAddress>{self.settings.get('wan_address')}</NewExternalIPAddress>")
        if action == "GetGenericPortMappingEntry":
            try:
                index = int(field(body, "NewPortMappingIndex") or "")
            except ValueError:
                return fault(402, "Invalid Args")
            if not 0 <= index < len(mappings):
                return fault(713, "SpecifiedArrayIndexInvalid")
            return ok(entry(mappings[index]))
        if action == "GetSpecificPortMappingEntry":
            port, proto = field(body, "NewExternalPort"), (field(body, "NewProtocol") or "").upper()
            m = next(
                (m for m in mappings if str(m["external_port"]) == port and m["protocol"] == proto), None
            )
            if m is None:
                return fault(714, "NoSuchEntryInArray")
            return ok(
                f"<NewInternalPort>{m['internal_port']}</NewInternalPort>"
                f"<NewInternalClient>{m['internal_address']}</NewInternalClient><NewEnabled>1</NewEnabled>"
                f"<NewPortMappingDescription>{esc(m['description'])}</NewPortMappingDescription>"
                "<NewLeaseDuration>0</NewLeaseDuration>"
            )
        if action == "AddPortMapping":
            try:
                new = {
                    "external_port": int(field(body, "NewExternalPort") or ""),
                    "protocol": (field(body, "NewProtocol") or "TCP").upper(),
                    "internal_address": field(body, "NewInternalClient") or "",
                    "internal_port": int(field(body, "NewInternalPort") or ""),
                    "description": (field(body, "NewPortMappingDescription") or "")[:64],
                    "enabled": True,
                }
            except ValueError:
                return fault(402, "Invalid Args")
            if len(self.settings["port_mappings"]) >= MAX_MAPPINGS:
                return fault(728, "NoPortMapsAvailable")
            self.settings["port_mappings"] = [
                m
                for m in self.settings["port_mappings"]
                if (m["external_port"], m["protocol"]) != (new["external_port"], new["protocol"])
            ] + [new]
            self.changed()
            return ok("")
        if action == "DeletePortMapping":
            port, proto = field(body, "NewExternalPort"), (field(body, "NewProtocol") or "").upper()
            before = len(self.settings["port_mappings"])
            self.settings["port_mappings"] = [
                m
                for m in self.settings["port_mappings"]
                if not (str(m["external_port"]) == port and m["protocol"] == proto)
            ]
            if len(self.settings["port_mappings"]) == before:
                return fault(714, "NoSuchEntryInArray")
            self.changed()
            return ok("")
        return fault(401, "Invalid Action")
