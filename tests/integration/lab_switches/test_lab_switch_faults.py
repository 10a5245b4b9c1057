# SPDX-License-Identifier: GPL-3.0-or-later
"""Each fault the lab can inject into a switch, seen from netmiko, and what the switch
holds afterwards."""

from __future__ import annotations

import time

import paramiko
import pytest
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoBaseException, ReadTimeout

pytestmark = pytest.mark.slow

DIALECTS = ["cisco_ios", "hp_procurve"]
# What netmiko/paramiko raise when the switch cuts or stops answering: a closed socket
# (OSError, EOFError, SSHException) or, mid-command, a read timeout (NetmikoBaseException).
DROPPED = (OSError, EOFError, paramiko.SSHException, NetmikoBaseException)
VLAN_CMDS = {
    "cisco_ios": ["vlan 77", "name FAULTY"],
    "hp_procurve": ["vlan 77 name FAULTY"],
}


def _vlan_77(sw) -> bool:
    return "77" in sw.running["vlans"]


# ---- login -----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_login_reject_refuses_good_credentials(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["login"] = "reject"
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect()
    sw.faults.clear()
    with sw.connect() as conn:
        assert conn.find_prompt().endswith("#")


@pytest.mark.parametrize("fault", ["drop_before", "drop_after"])
def test_login_drop_closes_the_connection(make_switch, fault):
    sw = make_switch("cisco_ios")
    sw.faults["login"] = fault
    with pytest.raises(DROPPED) as err:
        sw.connect()
    if isinstance(err.value, NetmikoAuthenticationException):
        # paramiko reports a link cut during authentication as an authentication error;
        # the reason tells it from a refused password
        assert "transport shut down or saw EOF" in str(err.value)
    assert "login" in sw.fault_calls


def test_login_timeout_stops_answering(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["login"] = "timeout"
    start = time.monotonic()
    with pytest.raises(DROPPED):
        sw.connect(auth_timeout=2)
    assert 1.5 < time.monotonic() - start < 15


def test_login_slow_answers_each_line_late(make_switch):
    sw = make_switch("cisco_ios")
    assert sw.sim.slow_delay == 2.0
    sw.sim.slow_delay = 0.5  # the mechanism, at a quarter of the lab's pace
    sw.faults["login"] = "slow"
    start = time.monotonic()
    with sw.connect(enable=False) as conn:
        login = time.monotonic() - start
        t0 = time.monotonic()
        conn.send_command("show vlan brief")
        per_command = time.monotonic() - t0
    assert login >= 0.5
    assert per_command >= 0.5


@pytest.mark.parametrize("dialect", DIALECTS)
def test_login_flap_drops_every_other_connection(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["login"] = "flap"
    outcomes = []
    for _attempt in range(4):
        try:
            with sw.connect() as conn:
                conn.find_prompt()
            outcomes.append("ok")
        except Exception:  # noqa: BLE001 - any failure to connect is a drop here
            outcomes.append("dropped")
    assert outcomes == ["dropped", "ok", "dropped", "ok"]


# ---- config ----------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_config_drop_before_leaves_state_untouched(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["config"] = "drop_before"
    conn = sw.connect()
    with pytest.raises(DROPPED):
        conn.send_config_set(VLAN_CMDS[dialect], read_timeout=2)
    assert not _vlan_77(sw)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_config_drop_after_applies_then_closes(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["config"] = "drop_after"
    conn = sw.connect()
    with pytest.raises(DROPPED):
        conn.send_config_set(VLAN_CMDS[dialect], read_timeout=2)
    assert _vlan_77(sw)
    assert "77" not in sw.startup["vlans"]


@pytest.mark.parametrize(
    ("dialect", "message"),
    [("cisco_ios", "% Invalid input detected at '^' marker."), ("hp_procurve", "Invalid input: vlan")],
)
def test_config_reject_prints_the_dialect_error(make_switch, dialect, message):
    sw = make_switch(dialect)
    sw.faults["config"] = "reject"
    with sw.connect() as conn:
        out = conn.send_config_set(VLAN_CMDS[dialect][:1])
    assert message in out
    assert not _vlan_77(sw)


def test_config_timeout_stops_answering(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["config"] = "timeout"
    conn = sw.connect()
    with pytest.raises(ReadTimeout):
        conn.send_config_set(["vlan 77"], read_timeout=3)
    assert not _vlan_77(sw)


def test_config_slow_answers_late(make_switch):
    sw = make_switch("cisco_ios")
    sw.sim.slow_delay = 0.5  # the mechanism, at a quarter of the lab's pace
    sw.faults["config"] = "slow"
    with sw.connect() as conn:
        t0 = time.monotonic()
        conn.send_config_set(["vlan 77"], read_timeout=20)
        assert time.monotonic() - t0 >= 0.5
    assert _vlan_77(sw)


def test_config_flap_drops_every_other_attempt(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["config"] = "flap"
    conn = sw.connect()
    with pytest.raises(DROPPED):
        conn.send_config_set(["vlan 77"], read_timeout=2)
    assert not _vlan_77(sw)
    with sw.connect() as conn:
        conn.send_config_set(["vlan 77"])
    assert _vlan_77(sw)


# ---- write memory ----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(("fault", "saved"), [("drop_before", False), ("drop_after", True)])
def test_write_memory_drop(make_switch, dialect, fault, saved):
    sw = make_switch(dialect)
    with sw.connect() as conn:
        conn.send_config_set(VLAN_CMDS[dialect])
        sw.faults["write_memory"] = fault
        with pytest.raises(DROPPED):
            # netmiko's save_config waits 100 s for a prompt that a dropped link never sends
            conn.send_command("write memory", read_timeout=3)
    assert ("77" in sw.startup["vlans"]) is saved
    sw.faults.clear()
    sw.restart()
    assert _vlan_77(sw) is saved


@pytest.mark.parametrize(
    ("dialect", "message"),
    [("cisco_ios", "%Error opening nvram:startup-config"), ("hp_procurve", "Unable to save")],
)
def test_write_memory_reject_keeps_startup(make_switch, dialect, message):
    sw = make_switch(dialect)
    sw.faults["write_memory"] = "reject"
    with sw.connect() as conn:
        conn.send_config_set(VLAN_CMDS[dialect])
        assert message in conn.save_config()
    assert "77" not in sw.startup["vlans"]


# ---- change password -------------------------------------------------------------------

PASSWORD_CMDS = {
    "cisco_ios": ["username admin privilege 1 secret New-Pass-9"],
    "hp_procurve": ["password manager user-name admin plaintext New-Pass-9"],
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_change_password_reject_keeps_the_old_one(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["change_password"] = "reject"
    with sw.connect() as conn:
        out = conn.send_config_set(PASSWORD_CMDS[dialect])
    assert "Password" in out
    sw.faults.clear()
    with sw.connect() as conn:  # the old password still works
        assert conn.find_prompt().endswith("#")
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect(password="New-Pass-9")


def test_change_password_drop_after_changed_it(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["change_password"] = "drop_after"
    conn = sw.connect()
    with pytest.raises(DROPPED):
        conn.send_config_set(PASSWORD_CMDS["cisco_ios"], read_timeout=2)
    sw.faults.clear()
    with pytest.raises(NetmikoAuthenticationException):
        sw.connect()
    with sw.connect(password="New-Pass-9") as conn:
        assert conn.find_prompt().endswith("#")


def test_unknown_fault_name_is_a_clear_error(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["config"] = "explode"
    with pytest.raises(ValueError, match=r"fault_for\('config'\) returned 'explode'"):
        sw.sim._fault("config")
