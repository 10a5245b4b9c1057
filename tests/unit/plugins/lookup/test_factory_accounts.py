# SPDX-License-Identifier: GPL-3.0-or-later
"""The factory_accounts lookup, run by Ansible: it reads the store when it runs (an account
the assessment kept a moment ago is in the rotation's list), names only, never a password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import build_store

TOP = Path(__file__).resolve().parents[4]


def _query(inv_dir, vault_pass, host="phone-1"):
    inventory = {
        "all": {
            "hosts": {
                host: {
                    "ansible_connection": "local",
                    "iot_default_credentials": [{"username": "admin", "password": "admin"}],
                }
            }
        }
    }
    (inv_dir / "hosts.yml").write_text(json.dumps(inventory))
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            host,
            "-i",
            str(inv_dir / "hosts.yml"),
            "--vault-password-file",
            str(vault_pass),
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ query('iotguard.hardening.factory_accounts') | to_json }}",
            "-e",
            "ansible_python_interpreter=%s" % sys.executable,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return out


def test_reads_the_store_when_it_runs(tmp_path):
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("unit-vault\n")
    inv = tmp_path / "inv"
    inv.mkdir()
    out = _query(inv, vault_pass)
    assert out.returncode == 0 and '["admin"]' in out.stdout.replace("\\", ""), out.stdout + out.stderr
    store = build_store(
        "vault_file", inventory_dir=str(inv), vault_secrets=[("default", VaultSecret(b"unit-vault"))]
    )
    store.remember_factory("phone-1", "user", "Secret-Looking-1", "accepted by the assessment")
    out = _query(inv, vault_pass)
    assert '["admin", "user"]' in out.stdout.replace("\\", ""), out.stdout + out.stderr
    assert "Secret-Looking-1" not in out.stdout
