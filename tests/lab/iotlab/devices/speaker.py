# SPDX-License-Identifier: GPL-3.0-or-later
"""Smart speakers: announce themselves (mDNS, SSDP, a UPnP description) and offer no management."""

from __future__ import annotations

from typing import Any, ClassVar

from ..protocols.http import Request, Response, serve_http
from ..protocols.mdns import MdnsResponder
from ..protocols.ssdp import ssdp_handler
from .base import Device, Listener


class SmartSpeaker(Device):
    KIND = "smart_speaker"
    DEVICE_CLASS = "speaker"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "sonos-one": {
            "vendor": "Sonos",
            "model": "Sonos One",
            "model_number": "S18",
            "firmware": "70.3-35220",
            "oui": "5c:aa:fd",
            "users": [],
            "lockout": {"enabled": False, "configurable": False},
            "weaknesses": ["unmanageable"],
        },
    }

    def listeners(self) -> list[Listener]:
        self.uuid = f"RINCON_{self.spec.mac.replace(':', '').upper()}01400"
        room = self.settings.get("room", self.name)
        self.mdns = MdnsResponder(
            self.uuid,
            self.address,
            {
                "_sonos._tcp.local.": (
                    f"{self.uuid}@{room}",
                    1443,
                    {"info": "/api/v1/players/" + self.uuid + "/info"},
                ),
                "_spotify-connect._tcp.local.": (
                    f"sonos{self.uuid}",
                    1400,
                    {"CPath": "/spotifyzc", "VERSION": "1.0"},
                ),
            },
        )
        server = f"Linux UPnP/1.0 Sonos/{self.firmware} ({self.variant['model_number']})"
        return [
            Listener("mdns", "udp", 5353, self.mdns.handle),
            Listener(
                "ssdp",
                "udp",
                1900,
                ssdp_handler(
                    lambda: f"http://{self.address}:1400/xml/device_description.xml",
                    server,
                    f"uuid:{self.uuid}",
                    ["upnp:rootdevice", "urn:schemas-upnp-org:device:ZonePlayer:1"],
                ),
            ),
            Listener("upnp-http", "tcp", 1400, lambda c: serve_http(c, self.handle, server)),
        ]

    async def handle(self, req: Request) -> Response:
        if req.path != "/xml/device_description.xml":
            return Response(404, "")
        return Response.xml(
            '<root xmlns="urn:schemas-upnp-org:device-1-0">'
            "<specVersion><major>1</major><minor>0</minor></specVersion>"
            "<device><deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
            f"<friendlyName>{self.address} - {self.model}</friendlyName>"
            "<manufacturer>Sonos, Inc.</manufacturer>"
            f"<modelNumber>{self.variant['model_number']}</modelNumber><modelName>{self.model}</modelName>"
            f"<softwareVersion>{self.firmware}</softwareVersion><UDN>uuid:{self.uuid}</UDN>"
            f"<roomName>{self.settings.get('room', self.name)}</roomName></device></root>\n"
        )
