# SPDX-License-Identifier: GPL-3.0-or-later
"""RTSP/1.0 (RFC 2326) OPTIONS and DESCRIBE, with the device's own auth, like camera streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..net import Conn
from .http import HttpAuth, Request, Response, serve_http

if TYPE_CHECKING:
    from ..devices.base import Device

PUBLIC = "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER"


def rtsp_handler(device: Device, auth: HttpAuth):
    async def handle(req: Request) -> Response:
        if req.method == "OPTIONS":
            return Response(200, b"", headers=[("Public", PUBLIC)], content_type="")
        if req.method == "DESCRIBE":
            denied = await auth.check(req)
            if denied is not None:
                denied.body = b""
                return denied
            sdp = (
                "v=0\r\n"
                f"o=- 1 1 IN IP4 {device.address}\r\n"
                f"s={device.variant.get('rtsp_session', 'Media Presentation')}\r\n"
                "t=0 0\r\n"
                "m=video 0 RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/90000\r\n"
                "a=control:trackID=1\r\n"
            )
            return Response(
                200, sdp, "application/sdp", headers=[("Content-Base", f"rtsp://{device.address}{req.path}/")]
            )
        return Response(405, b"", content_type="", headers=[("Allow", PUBLIC)])

    return handle


async def serve_rtsp(conn: Conn, device: Device, auth: HttpAuth) -> None:
    await serve_http(conn, rtsp_handler(device, auth), device.variant.get("rtsp_server"), protocol="RTSP")
