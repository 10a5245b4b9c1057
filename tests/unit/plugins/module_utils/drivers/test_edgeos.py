# SPDX-License-Identifier: GPL-3.0-or-later
"""The EdgeOS driver's data: the config line, what it refuses before connecting, aliases."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver, get_driver_class
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import PasswordRejected
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.edgeos import ERRORS, EdgeOsCliDriver


def test_the_netmiko_names_reach_the_edgerouter_driver():
    assert get_driver_class("netmiko:ubiquiti_edgerouter") is EdgeOsCliDriver
    assert get_driver_class("netmiko:ubiquiti_edge") is EdgeOsCliDriver
    assert EdgeOsCliDriver.device_type == "ubiquiti_edgerouter"


@pytest.mark.parametrize("bad", ["has space-12345", "quote'd-123456", "back\\slash-1234"])
def test_passwords_the_cli_quoting_cannot_carry_are_refused_before_connecting(bad):
    # 127.0.0.1:9 (discard) is never contacted: the refusal comes first
    with pytest.raises(PasswordRejected, match="spaces, quotes or backslashes"):
        get_driver("edgeos_cli", "127.0.0.1", port=9, timeout=1).change_password("ubnt", "ubnt", bad)


def test_policy_passwords_fit_the_quoting_and_errors_are_recognised():
    drv = EdgeOsCliDriver("127.0.0.1")
    assert not set("'\\ ") & set(drv.password_policy.alphabet)
    assert ERRORS.search("[ system login user ubnt ]\nCommit failed")
    assert ERRORS.search("  Configuration path: [system login user] is not valid\n  Set failed")
    assert not ERRORS.search("Saving configuration to '/config/config.boot'...\nDone")
