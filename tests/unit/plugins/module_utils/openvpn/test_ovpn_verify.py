# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenVPN verifier: username bound to the certificate, the shared TOTP ledger
(no replay, lockout with backoff), nothing secret in its log."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pyotp
from ansible_collections.iotguard.hardening.plugins.module_utils import totp

VERIFY = pathlib.Path(__file__).parents[5] / "roles/openvpn/files/iotguard-ovpn-verify.py"


def load():
    spec = importlib.util.spec_from_file_location("iotguard_ovpn_verify", VERIFY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def setup(tmp_path):
    secret = totp.new_secret()
    conf = {
        "max_failures": 3,
        "lockout_seconds": 600,
        "state_file": str(tmp_path / "state.json"),
        "users": {"alice": secret, "bob": totp.new_secret()},
    }
    path = tmp_path / "verify.json"
    path.write_text(json.dumps(conf))
    return str(path), secret


def run(mod, conf, tmp_path, user, password, cn, clock, capsys):
    creds = tmp_path / "creds"
    creds.write_text("%s\n%s\n" % (user, password))
    rc = mod.main(
        ["verify", conf, str(creds)], environ={"common_name": cn, "untrusted_ip": "192.0.2.7"}, clock=clock
    )
    return rc, capsys.readouterr().err


def test_the_verifier_uses_the_one_totp_implementation():
    mod = load()
    assert mod.totp is totp
    assert not hasattr(mod, "hotp") and not hasattr(mod, "verify")


def test_accepts_once_refuses_replay_wrong_name_and_locks(tmp_path, capsys):
    mod = load()
    conf, secret = setup(tmp_path)
    clock = Clock(1_700_000_000)
    good = pyotp.TOTP(secret).at(clock.t)
    assert run(mod, conf, tmp_path, "alice", good, "alice", clock, capsys)[0] == 0
    rc, err = run(mod, conf, tmp_path, "alice", good, "alice", clock, capsys)
    assert rc == 1 and "reused" in err, "a replayed code was accepted"
    rc, err = run(mod, conf, tmp_path, "bob", good, "alice", clock, capsys)
    assert rc == 1 and "does not match the certificate" in err
    rc, err = run(mod, conf, tmp_path, "carol", good, "carol", clock, capsys)
    assert rc == 1 and "not enrolled" in err
    assert run(mod, conf, tmp_path, "alice", "000000", "alice", clock, capsys)[0] == 1
    rc, err = run(mod, conf, tmp_path, "alice", "000001", "alice", clock, capsys)
    assert rc == 1 and "locked out for 600s" in err
    later = pyotp.TOTP(secret).at(clock.t + 30)
    rc, err = run(mod, conf, tmp_path, "alice", later, "alice", clock, capsys)
    assert rc == 1 and "locked out" in err, "a good code got through a lockout"
    clock.t += 601
    assert run(mod, conf, tmp_path, "alice", pyotp.TOTP(secret).at(clock.t), "alice", clock, capsys)[0] == 0
    assert secret not in (tmp_path / "state.json").read_text()


def test_log_holds_no_code_and_errors_refuse(tmp_path, capsys):
    mod = load()
    conf, secret = setup(tmp_path)
    clock = Clock(1_700_000_000)
    good = pyotp.TOTP(secret).at(clock.t)
    _rc, err = run(mod, conf, tmp_path, "alice", good, "alice", clock, capsys)
    assert good not in err and secret not in err
    _rc, err = run(mod, conf, tmp_path, "alice", "123456", "alice", clock, capsys)
    assert "123456" not in err
    (tmp_path / "state.json").write_text("{broken")
    rc, err = run(mod, conf, tmp_path, "alice", pyotp.TOTP(secret).at(clock.t + 30), "alice", clock, capsys)
    assert rc == 1 and "locked out" in err, "a damaged state file must fail closed"
    assert mod.main(["verify", str(tmp_path / "missing.json"), "x"], environ={}) == 1
