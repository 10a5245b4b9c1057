#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: openvpn_profile
short_description: Write an engineer's OpenVPN client profile (.ovpn, inline certificates, 0600)
description:
  - Assembles the C(.ovpn) profile of one engineer on the controller (delegate it to
    C(localhost)). The CA, the engineer's certificate and key and its tls-crypt-v2 client
    key are inline, with the server's hardening mirrored (TLS 1.2+, AEAD data ciphers only).
  - Writes it atomically with mode 0600 and only when its content differs (idempotent).
  - With O(state=absent) the profile is removed (revocation).
  - The profile holds a private key, so its content never appears in the result or a diff.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  path:
    description: The profile file.
    type: path
    required: true
  state:
    description: C(present) writes the profile, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: The engineer (the certificate's common name and the login name).
    type: str
  remote:
    description: Address or DNS name the engineers dial.
    type: str
  port:
    description: Server port.
    type: int
    default: 1194
  proto:
    description: Transport.
    type: str
    choices: [udp, tcp]
    default: udp
  server_name:
    description: The server certificate's common name (checked by the client).
    type: str
  ca_path:
    description: CA certificate (PEM) on the controller.
    type: path
  cert_path:
    description: The engineer's certificate (PEM) on the controller.
    type: path
  key_path:
    description: The engineer's private key (PEM) on the controller.
    type: path
  tls_crypt_v2_key:
    description: The engineer's tls-crypt-v2 client key (PEM text).
    type: str
  reneg_seconds:
    description: TLS renegotiation interval (the session token answers it, not a new code).
    type: int
    default: 3600
attributes:
  check_mode:
    support: full
    details: Reports whether the file would change; writes nothing.
  diff_mode:
    support: none
    details: The profile holds a private key; no diff is ever shown.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Alice's profile
  iotguard.hardening.openvpn_profile:
    path: "{{ inventory_dir }}/.iotguard/openvpn/export/alice.ovpn"
    name: alice
    remote: vpn.example.com
    server_name: gw1
    ca_path: "{{ pki }}/ca.crt"
    cert_path: "{{ pki }}/clients/alice.crt"
    key_path: "{{ pki }}/clients/alice.key"
    tls_crypt_v2_key: "{{ tc2.content | b64decode }}"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The profile file.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.handover import differs, write_private
from ansible_collections.iotguard.hardening.plugins.module_utils.openvpn import OpenVPNError, render_profile


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "name": {"type": "str"},
            "remote": {"type": "str"},
            "port": {"type": "int", "default": 1194},
            "proto": {"type": "str", "choices": ["udp", "tcp"], "default": "udp"},
            "server_name": {"type": "str"},
            "ca_path": {"type": "path"},
            "cert_path": {"type": "path"},
            "key_path": {"type": "path", "no_log": False},
            "tls_crypt_v2_key": {"type": "str", "no_log": True},
            "reneg_seconds": {"type": "int", "default": 3600},
        },
        required_if=[
            (
                "state",
                "present",
                ["name", "remote", "server_name", "ca_path", "cert_path", "key_path", "tls_crypt_v2_key"],
            )
        ],
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    if p["state"] == "absent":
        changed = os.path.exists(path)
        if changed and not module.check_mode:
            os.unlink(path)
        module.exit_json(changed=changed, path=path)
    try:
        parts = []
        for field in ("ca_path", "cert_path", "key_path"):
            with open(p[field], "rb") as fh:
                parts.append(fh.read())
        text = render_profile(
            p["name"],
            p["remote"],
            p["port"],
            p["proto"],
            p["server_name"],
            parts[0],
            parts[1],
            parts[2],
            p["tls_crypt_v2_key"].encode("ascii"),
            p["reneg_seconds"],
        )
        changed = differs(path, text)
        if changed and not module.check_mode:
            write_private(path, text)
    except (OpenVPNError, OSError, UnicodeError) as exc:
        module.fail_json(msg="%s: %s" % (path, exc))
    module.exit_json(changed=changed, path=path)


if __name__ == "__main__":
    main()
