# SPDX-License-Identifier: GPL-3.0-or-later
"""The switch credential drivers over the one netmiko session helper, against the lab's
switches: what the switch holds afterwards, and a refused change that leaves it as it was."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import PasswordRejected


def driver(sw, **options):
    return get_driver(
        sw.kwargs["dialect"], sw.kwargs["address"], port=sw.kwargs["port"], timeout=5, **options
    )


@pytest.mark.parametrize("dialect", ["cisco_ios", "hp_procurve"])
def test_user_password_change_is_saved(make_switch, dialect):
    sw = make_switch(dialect)
    user, old = sw.kwargs["username"], sw.kwargs["password"]
    drv = driver(sw, enable_secret=sw.kwargs["enable_secret"])
    assert drv.login(user, old) is True
    assert drv.login(user, "Wrong-Pass-1") is False
    drv.change_password(user, old, "New-Pass-123x")
    assert drv.login(user, "New-Pass-123x") is True
    assert drv.login(user, old) is False
    assert sw.running["users"] == sw.startup["users"]  # saved with netmiko's save


def test_enable_secret_change(make_switch):
    sw = make_switch("cisco_ios")
    opts = {"login_username": sw.kwargs["username"], "login_password": sw.kwargs["password"]}
    drv = driver(sw, **opts)
    assert drv.login("enable", sw.kwargs["enable_secret"]) is True
    assert drv.login("enable", "Not-The-Secret1") is False
    drv.change_password("enable", sw.kwargs["enable_secret"], "Enable-Next-42")
    assert drv.login("enable", "Enable-Next-42") is True
    assert drv.login("enable", sw.kwargs["enable_secret"]) is False


@pytest.mark.parametrize("dialect", ["cisco_ios", "hp_procurve"])
def test_refused_password_names_the_command_not_the_secret(make_switch, dialect):
    sw = make_switch(dialect)
    users = dict(sw.running["users"])
    sw.faults["change_password"] = "reject"
    drv = driver(sw, enable_secret=sw.kwargs["enable_secret"])
    with pytest.raises(PasswordRejected) as err:
        drv.change_password(sw.kwargs["username"], sw.kwargs["password"], "New-Pass-123x")
    assert sw.fired == ["change_password:reject"]
    assert "New-Pass-123x" not in str(err.value)
    assert sw.running["users"] == users
    assert drv.login(sw.kwargs["username"], sw.kwargs["password"]) is True
