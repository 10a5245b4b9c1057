# SPDX-License-Identifier: GPL-3.0-or-later
"""The TOTP secret store behind totp_enroll: vault-encrypted, 0600, never plain text."""

from __future__ import annotations

import os

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.action.totp_enroll import load_secrets, save_secrets
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec


def codec(password):
    return VaultCodec([("default", VaultSecret(password))])


def test_round_trip_encrypted_and_private(tmp_path):
    path = str(tmp_path / "inv" / ".iotguard" / "wireguard" / "gw1-totp.vault")
    save_secrets(path, codec(b"pw-one"), {"alice": "JBSWY3DPEHPK3PXP"})
    raw = open(path, "rb").read()
    assert raw.startswith(b"$ANSIBLE_VAULT;") and b"JBSWY3DPEHPK3PXP" not in raw
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert load_secrets(path, codec(b"pw-one")) == {"alice": "JBSWY3DPEHPK3PXP"}


def test_missing_store_is_empty_and_wrong_password_is_a_clear_error(tmp_path):
    path = str(tmp_path / "gw1-totp.vault")
    assert load_secrets(path, codec(b"pw")) == {}
    save_secrets(path, codec(b"pw"), {"bob": "JBSWY3DPEHPK3PXP"})
    with pytest.raises(StoreError, match="vault password it was written with"):
        load_secrets(path, codec(b"other"))


def test_plain_text_store_is_refused(tmp_path):
    path = tmp_path / "gw1-totp.vault"
    path.write_text('{"totp_secrets": {"alice": "JBSWY3DPEHPK3PXP"}}')
    with pytest.raises(StoreError, match="not vault-encrypted"):
        load_secrets(str(path), codec(b"pw"))


def test_handover_only_inside_the_vault_written_once(tmp_path):
    from ansible_collections.iotguard.hardening.plugins.action.totp_enroll import export_sealed, remove_clear

    c = codec(b"pw")
    uri = b"otpauth://totp/iotguard:alice?secret=JBSWY3DPEHPK3PXP\n"
    path = str(tmp_path / "alice-totp.uri.vault")
    assert export_sealed(path, c, uri)
    raw = open(path, "rb").read()
    assert raw.startswith(b"$ANSIBLE_VAULT;") and b"JBSWY3DPEHPK3PXP" not in raw
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert c.decrypt(raw) == uri
    assert not export_sealed(path, c, uri), "an unchanged hand-over is not rewritten (idempotent)"
    # clear files of earlier releases are removed
    (tmp_path / "alice-totp.uri").write_bytes(uri)
    (tmp_path / "alice-totp.png").write_bytes(b"\x89PNG")
    assert remove_clear(str(tmp_path / "alice-totp"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice-totp.uri.vault"]
