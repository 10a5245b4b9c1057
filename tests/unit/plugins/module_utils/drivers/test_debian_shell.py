# SPDX-License-Identifier: GPL-3.0-or-later
"""The debian_shell driver's place in the registry and the values it refuses before it
connects (its work on a real device is the device_hardening Molecule scenario's)."""

from __future__ import annotations

import socket

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import (
    ALIASES,
    driver_capabilities,
    get_driver,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import capabilities as caps


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_capabilities_and_aliases():
    got = driver_capabilities()
    assert got["debian_shell"] == [
        "password",
        "lockout_read",
        "lockout_set",
        "services",
        "snmp_community",
        "mqtt_auth",
    ]
    assert got["ssh_shell"] == ["password"]
    assert ALIASES["linux_ssh"] == "ssh_shell"  # the subclass does not take the generic alias


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (
            lambda d: d.set_lockout("admin", "x", {"enabled": True, "threshold": 0, "duration": 60}),
            "threshold=0",
        ),
        (
            lambda d: d.set_lockout("admin", "x", {"enabled": True, "threshold": 3, "duration": 0}),
            "duration=0",
        ),
        (lambda d: d.set_service("admin", "x", "ftp", False), "services.ftp"),
        (lambda d: d.set_snmp_community("admin", "x", "bad community;"), "snmp_community"),
    ],
)
def test_refused_before_connecting(call, needle):
    # the port is closed: reaching the network would raise Unreachable, not SettingRejected
    driver = get_driver("debian_shell", "127.0.0.1", port=closed_port(), timeout=1)
    with pytest.raises(caps.SettingRejected, match=needle):
        call(driver)
