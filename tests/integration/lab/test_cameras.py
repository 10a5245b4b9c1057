# SPDX-License-Identifier: GPL-3.0-or-later
"""Hikvision-like and Axis-like cameras and the NVR, driven with real HTTP/RTSP clients."""

from __future__ import annotations

import socket

import pytest
from iotlab.clients import http, tcp_exchange

pytestmark = pytest.mark.lab


def creds(dev):
    c = dev["credentials"][0]
    return c["username"], c["password"]


def test_hikvision_fingerprint_and_device_info(lab_site):
    cam = lab_site.first("hikvision_camera")
    anon = http(f"http://{cam['address']}/")
    assert anon.status == 200
    assert anon.headers["Server"] == "App-webs/"
    assert http(f"http://{cam['address']}/ISAPI/System/deviceInfo").status == 401
    info = http(f"http://{cam['address']}/ISAPI/System/deviceInfo", *creds(cam))
    assert info.status == 200
    assert f"<model>{cam['model']}</model>" in info.body
    assert f"<macAddress>{cam['mac']}</macAddress>" in info.body


def test_nvr_server_header(lab_site):
    nvr = lab_site.first("hikvision_nvr")
    raw = tcp_exchange(nvr["address"], 80, b"GET / HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.0 200 OK\r\nDate: ")
    assert b"\r\nServer: DNVRS-Webs\r\nETag: " in raw


def test_hikvision_rotation_via_isapi(lab_site):
    cam = lab_site.device("cam-hall-02")
    user, old = creds(cam)
    url = f"http://{cam['address']}/ISAPI/Security/users/1"
    weak = http(
        url,
        user,
        old,
        method="PUT",
        body="<User><id>1</id><userName>admin</userName><password>short</password></User>",
    )
    assert weak.status == 400 and "too short" in weak.body
    new = "Rotated-2026x"
    ok = http(
        url,
        user,
        old,
        method="PUT",
        body=f"<User><id>1</id><userName>admin</userName><password>{new}</password></User>",
    )
    assert ok.status == 200 and "<statusString>OK</statusString>" in ok.body
    check = f"http://{cam['address']}/ISAPI/Security/userCheck"
    assert http(check, user, old).status == 401
    verified = http(check, user, new)
    assert verified.status == 200 and "<isDefaultPassword>false</isDefaultPassword>" in verified.body
    truth = lab_site.device("cam-hall-02")
    assert creds(truth) == (user, new)
    assert "default_credentials" not in truth["weaknesses"]


def test_hikvision_lockout_configurable(lab_site):
    cam = lab_site.device("cam-lobby-02")
    user, pw = creds(cam)
    base = f"http://{cam['address']}/ISAPI/Security"
    assert "no_lockout" in cam["weaknesses"]
    # the device's own range: a lock time under 60 s is refused and changes nothing
    short = http(
        f"{base}/illegalLoginLock",
        user,
        pw,
        method="PUT",
        body="<IllegalLoginLock><enabled>true</enabled><maxIllegalLoginTimes>3</maxIllegalLoginTimes>"
        "<lockDuration>2</lockDuration></IllegalLoginLock>",
    )
    assert short.status == 400 and "lock time 60-3600 s" in short.body, short.body
    assert "<enabled>false</enabled>" in http(f"{base}/illegalLoginLock", user, pw).body
    put = http(
        f"{base}/illegalLoginLock",
        user,
        pw,
        method="PUT",
        body="<IllegalLoginLock><enabled>true</enabled><maxIllegalLoginTimes>3</maxIllegalLoginTimes>"
        "<maxIllegalLoginLockTime>60</maxIllegalLoginLockTime></IllegalLoginLock>",
    )
    assert put.status == 200, put.body
    got = http(f"{base}/illegalLoginLock", user, pw)
    assert "<maxIllegalLoginTimes>3</maxIllegalLoginTimes>" in got.body
    for _unused in range(3):
        assert http(f"{base}/userCheck", user, "wrong-password").status == 401
    locked = http(f"{base}/userCheck", user, pw)
    assert locked.status == 401 and "<lockStatus>lock</lockStatus>" in locked.body
    truth = lab_site.device("cam-lobby-02")
    assert truth["lockout"]["enabled"] is True and "no_lockout" not in truth["weaknesses"]
    assert truth["lockout"]["duration"] == 60


def test_hikvision_telnet_toggle_closes_listener(lab_site):
    cam = lab_site.device("cam-lobby-01")
    assert 23 in cam["tcp_ports"]
    user, pw = creds(cam)
    resp = http(
        f"http://{cam['address']}/ISAPI/System/Network/telnetd",
        user,
        pw,
        method="PUT",
        body="<Telnetd><enabled>false</enabled></Telnetd>",
    )
    assert resp.status == 200
    import time

    time.sleep(0.3)
    with pytest.raises(ConnectionRefusedError), socket.create_connection((cam["address"], 23), timeout=3):
        pass
    truth = lab_site.device("cam-lobby-01")
    assert 23 not in truth["tcp_ports"] and "telnet" not in truth["weaknesses"]


def test_axis_vapix_password_change(lab_site):
    cam = lab_site.device("cam-parking-02")
    user, old = creds(cam)
    base = f"http://{cam['address']}/axis-cgi"
    brand = http(f"{base}/param.cgi?action=list&group=Brand", user, old)
    assert "root.Brand.Brand=AXIS" in brand.body
    symbol = http(f"{base}/pwdgrp.cgi?action=update&user={user}&pwd=bad%27quote", user, old)
    assert symbol.body.startswith("Error:") and "not allowed" in symbol.body
    changed = http(f"{base}/pwdgrp.cgi?action=update&user={user}&pwd=Axis2026new", user, old)
    assert changed.body.strip() == f"Modified account {user}."
    assert http(f"{base}/param.cgi?action=list&group=Brand", user, old).status == 401
    assert http(f"{base}/param.cgi?action=list&group=Brand", user, "Axis2026new").status == 200
    assert creds(lab_site.device("cam-parking-02")) == (user, "Axis2026new")


def test_rtsp_describe_needs_auth(lab_site):
    cam = lab_site.first("axis_camera")
    raw = tcp_exchange(cam["address"], 554, b"OPTIONS rtsp://x/ RTSP/1.0\r\nCSeq: 7\r\n\r\n")
    assert raw.startswith(b"RTSP/1.0 200 OK\r\nCSeq: 7\r\n") and b"DESCRIBE" in raw
    raw = tcp_exchange(cam["address"], 554, b"DESCRIBE rtsp://x/stream RTSP/1.0\r\nCSeq: 8\r\n\r\n")
    assert raw.startswith(b"RTSP/1.0 401 Unauthorized")
