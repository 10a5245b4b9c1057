# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import os

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.keys import (
    CryptographyBackend,
    check_key,
    ensure_key,
)

# RFC 7748 section 6.1 (Alice's X25519 key pair), in WireGuard's base64
PRIV = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PUB = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="


def test_public_key_derivation_matches_rfc7748():
    assert CryptographyBackend().public(PRIV) == PUB


def test_generate_is_0600_and_idempotent(tmp_path):
    path = str(tmp_path / "wg0.key")
    b = CryptographyBackend()
    r1 = ensure_key(path, b)
    assert r1["changed"] and os.stat(path).st_mode & 0o777 == 0o600
    r2 = ensure_key(path, b)
    assert not r2["changed"] and r2["public_key"] == r1["public_key"]
    assert PRIV not in str(r1) and open(path).read().strip() not in str(r1)


def test_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "wg0.key")
    assert ensure_key(path, CryptographyBackend(), check_mode=True)["changed"]
    assert not os.path.exists(path)


def test_mode_drift_is_fixed(tmp_path):
    path = tmp_path / "wg0.key"
    path.write_text(PRIV + "\n")
    path.chmod(0o644)
    r = ensure_key(str(path), CryptographyBackend())
    assert r["actions"] == ["chmod 0600"] and r["public_key"] == PUB and path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(("regenerate", "fails"), [("never", True), ("invalid", False)])
def test_invalid_file_policy(tmp_path, regenerate, fails):
    path = tmp_path / "wg0.key"
    path.write_text("garbage\n")
    if fails:
        with pytest.raises(WireGuardError, match="regenerate=invalid"):
            ensure_key(str(path), CryptographyBackend(), regenerate=regenerate)
    else:
        assert ensure_key(str(path), CryptographyBackend(), regenerate=regenerate)["changed"]
        check_key(path.read_text(), "key")


def test_staged_rotation(tmp_path):
    path = tmp_path / "wg0.key"
    path.write_text(PRIV + "\n")
    path.chmod(0o600)
    b = CryptographyBackend()
    staged = ensure_key(str(path), b, rotation="stage")
    assert staged["public_key"] == PUB and staged["pending_public_key"] not in (None, PUB)
    assert ensure_key(str(path), b, rotation="stage")["changed"] is False  # staged once
    committed = ensure_key(str(path), b, rotation="commit")
    assert committed["public_key"] == staged["pending_public_key"] and committed["pending_public_key"] is None
    assert not os.path.exists(str(path) + ".next")
    assert ensure_key(str(path), b, rotation="commit")["changed"] is False
    ensure_key(str(path), b, rotation="stage")
    aborted = ensure_key(str(path), b, rotation="abort")
    assert aborted["public_key"] == committed["public_key"] and not os.path.exists(str(path) + ".next")


def test_preshared(tmp_path):
    path = str(tmp_path / "a.psk")
    r = ensure_key(path, CryptographyBackend(), kind="preshared")
    assert r["changed"] and "public_key" not in r
    check_key(open(path).read(), "psk")
