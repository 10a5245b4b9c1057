# SPDX-License-Identifier: GPL-3.0-or-later
"""The RouterOS API driver's small pieces: booleans as RouterOS words, the registry alias."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver_class
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import capabilities_of
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.mikrotik import (
    RouterOsApiDriver,
    _yes,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("yes", True),
        ("true", True),
        ("no", False),
        ("false", False),
        ("", False),
    ],
)
def test_routeros_booleans(value, expected):
    assert _yes(value) is expected


def test_the_fingerprint_name_reaches_the_api_driver():
    assert get_driver_class("netmiko:mikrotik_routeros") is RouterOsApiDriver
    assert get_driver_class("routeros_api").default_port == 8728
    # no lockout on RouterOS: the driver does not claim to read one
    assert capabilities_of(RouterOsApiDriver) == ["password", "services"]
