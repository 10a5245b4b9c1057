# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's one netmiko session helper against the lab's switches: elevate, show,
configure, save, refusals and the filtered session log."""

from __future__ import annotations

import os

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as ns

DIALECTS = ["cisco_ios", "hp_procurve"]
VLAN_CMDS = {"cisco_ios": ["vlan 31", "name CAMERAS"], "hp_procurve": ["vlan 31 name CAMERAS"]}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_open_show_config_save(make_switch, dialect):
    sw = make_switch(dialect)
    with ns.open_session(ns.SwitchAccess.from_spec(sw.access())) as s:
        assert s.is_privileged()
        s.config(VLAN_CMDS[dialect])
        assert s.config_sent == VLAN_CMDS[dialect]
        assert sw.running["vlans"]["31"] == "CAMERAS"
        assert "31" not in sw.startup["vlans"]
        s.save()
        assert sw.startup["vlans"]["31"] == "CAMERAS"
        cmd = "show vlan brief" if dialect == "cisco_ios" else "show vlans"
        rows = s.show(cmd, parse=True)
        assert any(r["vlan_id"] == "31" for r in rows)


def test_wrong_enable_secret_is_false_not_a_hang(make_switch):
    sw = make_switch("cisco_ios")
    s = ns.connect(ns.SwitchAccess.from_spec(sw.access(secret="")))
    try:
        assert s.elevate("Wrong-Secret9") is False
        assert s.elevate(sw.kwargs["enable_secret"]) is True
    finally:
        s.close()


def test_wrong_password_is_auth_failed(make_switch):
    sw = make_switch("hp_procurve")
    with pytest.raises(ns.AuthFailed) as err:
        ns.connect(ns.SwitchAccess.from_spec(sw.access(password="nope-nope")))
    assert "nope-nope" not in str(err.value)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refused_command_names_it_and_changes_nothing(make_switch, dialect):
    sw = make_switch(dialect)
    before = dict(sw.running["vlans"])
    sw.faults["config"] = "reject"
    with ns.open_session(ns.SwitchAccess.from_spec(sw.access())) as s:
        with pytest.raises(ns.CommandRejected) as err:
            s.config(VLAN_CMDS[dialect])
        assert err.value.index == 0 and err.value.applied == 0
        assert VLAN_CMDS[dialect][0] in str(err.value)
        # still usable, out of config mode
        assert s.is_privileged()
    assert sw.fired == ["config:reject"]
    assert sw.running["vlans"] == before


@pytest.mark.parametrize("dialect", DIALECTS)
def test_refused_save_is_an_error(make_switch, dialect):
    sw = make_switch(dialect)
    sw.faults["write_memory"] = "reject"
    with ns.open_session(ns.SwitchAccess.from_spec(sw.access())) as s:
        s.config(VLAN_CMDS[dialect])
        with pytest.raises(ns.CommandRejected):
            s.save()
    assert sw.fired == ["write_memory:reject"]
    assert "31" not in sw.startup["vlans"]


def test_dropped_session_is_unreachable(make_switch):
    sw = make_switch("cisco_ios")
    sw.faults["config"] = "drop_before"
    with ns.open_session(ns.SwitchAccess.from_spec(sw.access())) as s:
        with pytest.raises(ns.Unreachable) as err:
            s.config(VLAN_CMDS["cisco_ios"])
    assert "session lost" in str(err.value)
    assert sw.fired == ["config:drop_before"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_session_log_hides_every_secret(make_switch, dialect, tmp_path):
    sw = make_switch(dialect)
    log = tmp_path / "session.log"
    new_secret = "Rotated-Secret-42"
    line = (
        "username admin privilege 15 secret %s" % new_secret
        if dialect == "cisco_ios"
        else "password manager user-name admin plaintext %s" % new_secret
    )
    with ns.open_session(ns.SwitchAccess.from_spec(sw.access(session_log=str(log)))) as s:
        s.hide(new_secret)
        s.config([line])
        s.show("show running-config")
    text = log.read_text()
    assert "show running-config" in text or "running" in text
    assert oct(os.stat(log).st_mode & 0o777) == "0o600"
    for secret in (sw.kwargs["password"], sw.kwargs["enable_secret"], new_secret):
        if secret:
            assert secret not in text
    assert ns.HIDDEN in text
