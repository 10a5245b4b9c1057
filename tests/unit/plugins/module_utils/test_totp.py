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
    assert load_auth().totp_match(secret, want, now) == now // 30


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
    g = mod.Guard(str(path), clock=clock, nft=lambda ip, s: added.append((ip, s)))
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
