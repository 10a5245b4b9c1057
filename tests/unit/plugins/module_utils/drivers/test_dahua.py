# SPDX-License-Identifier: GPL-3.0-or-later
"""The Dahua CGI answers parsed: ``key=value`` tables, the account list, ``OK``/``Error``."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import Response
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.dahua import (
    _answer,
    parse_table,
    user_names,
)

USERS = (
    "users[0].Group=admin\r\nusers[0].Id=1\r\nusers[0].Memo=admin 's account\r\n"
    "users[0].Name=admin\r\nusers[1].Name=op\x1b[31m\r\nusers[10].Name=late\r\n"
    "users[x].Name=bad\r\ngarbage line\r\n"
)


def test_user_names_in_the_devices_order_cleaned():
    assert user_names(USERS) == ["admin", "op[31m", "late"]


def test_parse_table_drops_the_table_prefix_and_bounds_values():
    got = parse_table("table.LoginFailureAlarm.Enable=true\r\ntable.X=%s\r\nno-equals\r\n" % ("v" * 500))
    assert got["LoginFailureAlarm.Enable"] == "true"
    assert len(got["X"]) <= 131 and "no-equals" not in got


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"OK\r\n", (True, "")),
        (400, b"Error\r\nPassword incorrect\r\n", (False, "Password incorrect")),
        (200, b"Error\r\n", (False, "")),
        (500, b"<html>boom</html>", (False, "<html>boom</html>")),
    ],
)
def test_answer_ok_or_error_with_the_devices_reason(status, body, expected):
    assert _answer(Response(status, {}, body)) == expected
