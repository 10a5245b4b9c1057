# SPDX-License-Identifier: GPL-3.0-or-later
"""The client's internet router: HTTP admin (Basic) and a UPnP IGD (SSDP, description, SOAP)
whose port-mapping table can expose an inside device to the internet.
"""

from __future__ import annotations

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


class Router(Device):
    KIND = "router"
    DEVICE_CLASS = "router"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "netgear-r7000": {
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
        },
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
        server = self.variant["upnp_server"]
        return [
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.handle, "httpd"), True),
            Listener(
                "ssdp",
                "udp",
                1900,
                ssdp_handler(
                    lambda: f"http://{self.address}:{UPNP_PORT}/rootDesc.xml",
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
    async def handle(self, req: Request) -> Response:
        denied = await self.auth.check(req)
        if denied is not None:
            return denied
        if req.path in ("/", "/index.htm"):
            return Response(
                200,
                f"<html><head><title>{self.vendor} Router {self.model}</title></head><body></body></html>",
            )
        if req.path == "/api/portmappings" and req.method == "GET":
            await self.gate("get_config")
            return Response.json(self.settings["port_mappings"])
        if req.method != "POST" or req.path not in ("/password.cgi", "/upnp.cgi", "/portmapping.cgi"):
            return Response(404, "Not Found")
        form = req.form()
        op = "change_password" if req.path == "/password.cgi" else "set_config"
        if req.path == "/password.cgi" and form.get("sysNewPasswd") != form.get("sysConfirmPasswd"):
            return Response(400, "The new passwords do not match")
        if (
            req.path == "/password.cgi"
            and form.get("sysOldPasswd") != self.state["users"][req.user or ""]["password"]
        ):
            return Response(400, "The old password is incorrect")
        fault = await self.gate(op)
        if fault == "reject":
            return Response(400, "Settings were not applied")
        if req.path == "/password.cgi":
            try:
                self.change_password(req.user or "admin", form.get("sysNewPasswd", ""))
            except PolicyError as exc:
                return Response(400, f"Invalid password: {exc}")
        elif req.path == "/upnp.cgi":
            self.set_setting("upnp_enabled", form.get("upnp_enabled") == "1")
        else:
            port = form.get("external_port", "")
            for m in self.settings["port_mappings"]:
                if str(m["external_port"]) == port:
                    m["enabled"] = form.get("enabled") == "1"
            self.changed()
        if fault == "drop_after":
            raise DropConnection
        return Response(200, "Settings applied")

    # -- UPnP IGD -------------------------------------------------------------------------
    async def upnp(self, req: Request) -> Response:
        if req.path == "/rootDesc.xml":
            return Response.xml(self.root_desc())
        if req.path == "/ctl/IPConn" and req.method == "POST":
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
            "<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL>"
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
