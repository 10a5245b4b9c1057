# SPDX-License-Identifier: GPL-3.0-or-later
"""rotate_credential through ansible-playbook against an in-test camera; the lookup reads it back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import (
    VaultCodec,
)
from servers import CameraState, start_camera

TOP = Path(__file__).resolve().parents[4]
VAULT_PW = "unit-vault-pass"

PLAY = """
- name: Rotate
  hosts: cams
  gather_facts: false
  connection: local
  tasks:
    - name: Rotate admin
      iotguard.hardening.rotate_credential:
        username: admin
        retry_delay: 0
        timeout: 5
      register: r
    - name: Show the result
      ansible.builtin.debug:
        var: r
    - name: The lookup returns what the device now holds
      ansible.builtin.uri:
        url: "http://127.0.0.1:{{ iot_port }}/ISAPI/Security/userCheck"
        url_username: admin
        url_password: "{{ lookup('iotguard.hardening.credential', inventory_hostname, user='admin') }}"
        force_basic_auth: false
      no_log: true
      when: not ansible_check_mode
"""


def run_play(inv_dir, *extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    cmd = [
        shutil.which("ansible-playbook") or "ansible-playbook",
        "-i",
        str(inv_dir / "hosts.yml"),
        "--vault-password-file",
        str(inv_dir / "vault-pass"),
        str(inv_dir / "play.yml"),
        "-vvv",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=TOP, timeout=300, check=False)


@pytest.fixture
def site(tmp_path):
    state = CameraState()
    srv, port = start_camera("hikvision", state)
    inv = tmp_path / "client"
    inv.mkdir()
    (inv / "vault-pass").write_text(VAULT_PW)
    (inv / "play.yml").write_text(PLAY)
    hosts = {
        "all": {
            "children": {
                "cams": {
                    "hosts": {
                        "cam-1": {
                            "ansible_host": "127.0.0.1",
                            "iot_port": port,
                            "ansible_python_interpreter": sys.executable,
                            # what the iot_discovery inventory sets: usernames only; the
                            # factory password comes from the fingerprint data by id
                            "iot_driver": "hikvision_isapi",
                            "iot_fingerprint_id": "hikvision.camera",
                            "iot_default_credentials": ["admin"],
                        }
                    }
                }
            }
        }
    }
    (inv / "hosts.yml").write_text(json.dumps(hosts))
    yield inv, state, port
    srv.shutdown()
    srv.server_close()


def test_check_then_rotate_then_idempotent(site):
    inv, state, _port = site
    out = run_play(inv, "--check", "--diff")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert '"status": "would_rotate"' in out.stdout
    assert state.password == "12345"
    assert not (inv / "host_vars").exists()

    out = run_play(inv, "--diff")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert '"status": "rotated"' in out.stdout
    store = get_store(
        "vault_file", inventory_dir=str(inv), codec=VaultCodec([("default", _secret(VAULT_PW))])
    )
    new = store.current("cam-1", "admin")
    assert new == state.password != "12345"
    # nothing secret in -vvv output, diff included
    assert new not in out.stdout + out.stderr
    assert "12345" not in out.stdout + out.stderr

    again = run_play(inv)
    assert again.returncode == 0
    assert '"status": "compliant"' in again.stdout and "changed=0" in again.stdout
    assert state.password == new


def test_fail_on_error_false_reports_reason(site):
    inv, state, _port = site
    state.password = "changed-by-hand"
    play = (inv / "play.yml").read_text().replace("timeout: 5", "timeout: 5\n        fail_on_error: false")
    (inv / "play.yml").write_text(play)
    out = run_play(inv, "--check")
    assert out.returncode == 0, out.stdout[-2000:]
    assert '"status": "failed"' in out.stdout and "none of the 1 known credential" in out.stdout


def _secret(pw):
    from ansible.parsing.vault import VaultSecret

    return VaultSecret(pw.encode())


def test_host_without_driver_is_a_reported_failure(site):
    inv, _state, _port = site
    hosts = json.loads((inv / "hosts.yml").read_text())
    host = hosts["all"]["children"]["cams"]["hosts"]["cam-1"]
    host["iot_driver"] = None
    (inv / "hosts.yml").write_text(json.dumps(hosts))
    play = (inv / "play.yml").read_text().replace("timeout: 5", "timeout: 5\n        fail_on_error: false")
    (inv / "play.yml").write_text(play)
    out = run_play(inv, "--check")
    assert out.returncode == 0, out.stdout[-2000:]
    assert '"status": "failed"' in out.stdout and "no driver for this device" in out.stdout
