# SPDX-License-Identifier: GPL-3.0-or-later
"""The BusyBox telnet devices: negotiation, Mirai-era logins, ``passwd`` that really changes it."""

from __future__ import annotations

import pytest
from iotlab.clients import Telnet

pytestmark = pytest.mark.lab


def test_telnet_negotiation_and_default_login(lab_site):
    dev = lab_site.first("busybox_device", "xiongmai-dvr")
    cred = dev["credentials"][0]
    assert (cred["username"], cred["password"]) == ("root", "xc3511")
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "wrong") == "bad"
        assert t.login("root", "xc3511") == "ok"
        # BusyBox telnetd opens with DO ECHO, DO LINEMODE, WILL ECHO, WILL SGA
        assert t.options_seen[:4] == [(253, 1), (253, 34), (251, 1), (251, 3)]
        assert "applet not found" in t.run("/bin/busybox MIRAI")
        assert dev["mac"].upper() in t.run("ifconfig")
    finally:
        t.close()


def test_busybox_passwd_changes_the_login(lab_site):
    dev = lab_site.device("cam-backdoor-01")
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "vizxv") == "ok"
        assert "don't match" in t.passwd("NewPass123", retype="Other123")
        assert "too short" in t.passwd("abc")
        assert "changed by root" in t.passwd("NewPass123")
    finally:
        t.close()
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "vizxv") == "bad"
        assert t.login("root", "NewPass123") == "ok"
    finally:
        t.close()
    cred = lab_site.device("cam-backdoor-01")["credentials"][0]
    assert cred["password"] == "NewPass123" and cred["default"] is False
