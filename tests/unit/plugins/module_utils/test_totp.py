# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64
import importlib.util
import pathlib
import urllib.parse

import pyotp
import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import totp

AUTH = pathlib.Path(__file__).parents[4] / "roles/wireguard/files/iotguard-wg-auth.py"


def load_auth():
    spec = importlib.util.spec_from_file_location("iotguard_wg_auth", AUTH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("now", [0, 59, 1111111109, 1234567890, 2000000000, 20000000000])
def test_codes_match_pyotp(now):
    secret = totp.new_secret()
    want = pyotp.TOTP(secret).at(now)
    assert totp.totp(secret, now) == want
    assert totp.verify(secret, want, now) == now // 30


def test_authenticator_uses_the_one_totp_implementation():
    mod = load_auth()
    assert mod.totp is totp
    assert not hasattr(mod, "hotp") and not hasattr(mod, "totp_match")


def test_rfc6238_vector():
    # RFC 6238 appendix B, SHA1, 8 digits, T=59
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp.hotp(totp.decode_secret(secret), 1, digits=8) == "94287082"


def test_verify_window_and_replay():
    secret = totp.new_secret()
    now = 1_700_000_000
    prev = pyotp.TOTP(secret).at(now - 30)
    assert totp.verify(secret, prev, now) == now // 30 - 1
    assert totp.verify(secret, pyotp.TOTP(secret).at(now - 90), now) is None
    assert totp.verify(secret, prev, now, last_counter=now // 30 - 1) is None
    assert totp.verify(secret, "12345", now) is None
    assert totp.verify(secret, "abcdef", now) is None


def test_bad_secret_names_the_fix():
    with pytest.raises(totp.TotpError, match="base32"):
        totp.decode_secret("not base32!!")
    with pytest.raises(totp.TotpError, match="shorter"):
        totp.decode_secret("AAAA")


def test_otpauth_uri_round_trips_with_pyotp():
    secret = totp.new_secret()
    uri = totp.otpauth_uri(secret, "alice", "iotguard")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret and parsed.name == "alice" and parsed.issuer == "iotguard"
    assert urllib.parse.urlparse(uri).scheme == "otpauth"


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def guard(tmp_path, clock, **conf):
    import json

    mod = load_auth()
    secret = totp.new_secret()
    base = {
        "listen": "10.66.0.1",
        "session_seconds": 20,
        "max_failures": 3,
        "lockout_seconds": 600,
        "peers": {
            "alice": {"address": "10.66.0.2", "secret": secret},
            "office": {"address": "10.66.0.9", "networks": ["192.168.50.0/24"], "secret": secret},
        },
    }
    base.update(conf)
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(base))
    added = []
    g = mod.Guard(
        str(path),
        clock=clock,
        nft=lambda ip, s: added.append((ip, s)),
        state_path=str(tmp_path / "state.json"),
    )
    return g, secret, added


def test_guard_opens_session_refuses_replay_and_locks_out(tmp_path):
    clock = Clock(1_700_000_000)
    g, secret, added = guard(tmp_path, clock)
    good = pyotp.TOTP(secret).at(clock.t)
    assert g.attempt("10.66.0.2", good)[0] == 200
    assert added == [("10.66.0.2", 20)]
    assert g.attempt("10.66.0.2", good)[0] == 401  # replay
    assert g.attempt("10.66.0.2", "000000")[0] in (401, 429)
    status = g.attempt("10.66.0.2", "000001")[0]
    assert status == 429
    assert g.attempt("10.66.0.2", pyotp.TOTP(secret).at(clock.t + 30))[0] == 429  # locked, even a good code
    clock.t += 601
    assert g.attempt("10.66.0.2", pyotp.TOTP(secret).at(clock.t))[0] == 200
    assert g.attempt("10.66.0.77", good)[0] == 403  # not a peer


def test_guard_maps_site_networks_to_their_peer(tmp_path):
    clock = Clock(1_700_000_000)
    g, secret, added = guard(tmp_path, clock)
    assert g.peer_for("192.168.50.7") == "office"
    assert g.attempt("192.168.50.7", pyotp.TOTP(secret).at(clock.t))[0] == 200
    assert added == [("192.168.50.7", 20)]


def test_lockout_and_replay_state_survive_a_restart(tmp_path):
    clock = Clock(1_700_000_000)
    g, secret, _added = guard(tmp_path, clock)
    good = pyotp.TOTP(secret).at(clock.t)
    assert g.attempt("10.66.0.2", good)[0] == 200
    for wrong in ("000000", "000001", "000002"):
        g.attempt("10.66.0.9", wrong)
    # a new process reads the same state file
    mod = load_auth()
    again = mod.Guard(g.path, clock=clock, nft=lambda ip, s: None, state_path=g.state_path)
    assert again.attempt("10.66.0.2", good)[0] == 401, "replay accepted after a restart"
    assert again.attempt("10.66.0.9", pyotp.TOTP(secret).at(clock.t + 30))[0] == 429, (
        "lockout lost on restart"
    )
    assert secret not in (tmp_path / "state.json").read_text()


def test_slow_guessing_still_locks_and_lockouts_back_off(tmp_path):
    clock = Clock(1_700_000_000)
    g, _secret, _added = guard(tmp_path, clock, failure_window=86400)
    # two guesses every five minutes: the third within the day locks
    assert g.attempt("10.66.0.2", "000000")[0] == 401
    clock.t += 300
    assert g.attempt("10.66.0.2", "000001")[0] == 401
    clock.t += 300
    status, text = g.attempt("10.66.0.2", "000002")
    assert status == 429 and "600 s" in text
    clock.t += 601
    for wrong in ("000003", "000004"):
        assert g.attempt("10.66.0.2", wrong)[0] == 401
    status, text = g.attempt("10.66.0.2", "000005")
    assert status == 429 and "1200 s" in text, "the second lockout of the day lasts twice as long"


def start_server(tmp_path, **kw):
    import threading

    mod = load_auth()
    clock = Clock(1_700_000_000)
    g, secret, _added = guard(tmp_path, clock, listen="127.0.0.1")
    srv = mod.Server(("127.0.0.1", 0), mod.Handler, **kw)
    srv.guard = g
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, secret, clock


def test_server_caps_connections_per_source_and_enforces_a_deadline(tmp_path):
    import socket
    import time

    srv, _secret, _clock = start_server(tmp_path, workers=4, per_source=3, deadline=1.0)
    try:
        port = srv.server_address[1]
        held = []
        for _unused in range(6):
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.sendall(b"POST / HTTP/1.1\r\n")  # and never finish
            held.append(s)
        time.sleep(0.3)
        closed_now = 0
        for s in held:
            s.settimeout(0.2)
            try:
                closed_now += s.recv(1) == b""
            except TimeoutError:
                pass
        assert closed_now == 3, "the connections over the per-source cap are closed at once"
        time.sleep(1.5)
        for s in held:
            s.settimeout(0.5)
            try:
                assert s.recv(1) == b"", "a slow request outlived the deadline"
            except ConnectionResetError:
                pass
        # the server still answers
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert c.recv(64).startswith(b"HTTP/1.0 200")
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("name", ["../x", "a/b", "a..b", "", "Alice", ".hidden", "x" * 64, None])
def test_account_names_that_would_be_paths_are_refused(name):
    with pytest.raises(totp.TotpError, match="names\\[0\\] has"):
        totp.check_name(name, "names[0]")


def test_missing_secret_names_the_account_and_the_fix():
    good = totp.new_secret()
    totp.require_secrets(["alice"], {"alice": good}, "gw1-totp.vault")
    with pytest.raises(totp.TotpError, match=r"names bob have no TOTP secret in gw1-totp\.vault: enrol them"):
        totp.require_secrets(["alice", "bob"], {"alice": good}, "gw1-totp.vault")
    with pytest.raises(totp.TotpError, match="alice in s: totp secret is not base32"):
        totp.require_secrets(["alice"], {"alice": "!!!"}, "s")


def test_ledger_is_shared_by_both_gates():
    """One ledger: the WireGuard authenticator keeps no failure/lockout logic of its own."""
    mod = load_auth()
    assert not hasattr(mod.Guard, "_save_state") and not hasattr(mod, "MAX_LOCKOUT")
    assert "Ledger" in mod.Guard.__init__.__code__.co_names
