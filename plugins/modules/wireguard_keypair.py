#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: wireguard_keypair
short_description: A WireGuard private or preshared key, made where it is used
description:
  - Generates a WireGuard private key (or a preshared key) in a file on the target, mode 0600,
    and returns the public key. The private key never leaves the machine.
  - Rotation is staged so a tunnel is not cut by surprise. O(rotation=stage) writes a new key
    beside the current one (C(<path>.next)) and returns its public key; once the far end
    accepts it and a handshake is proven, O(rotation=commit) makes it current (the old key is
    gone); O(rotation=abort) throws the staged key away.
  - O(regenerate) says when an existing key is replaced, as in community.crypto's
    openssh_keypair.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  path:
    description: The key file. Its directory must exist.
    type: path
    required: true
  type:
    description: C(private) for an interface key, C(preshared) for a per-peer preshared key.
    type: str
    choices: [private, preshared]
    default: private
  regenerate:
    description:
      - C(never) keeps an existing valid key and fails on a file that is not a key.
      - C(invalid) also replaces a file that is not a valid key.
      - C(always) makes a new key on every run (not idempotent; cuts the tunnel).
    type: str
    choices: [never, invalid, always]
    default: never
  rotation:
    description: Staged rotation of a private key, see the description.
    type: str
    choices: [none, stage, commit, abort]
    default: none
  backend:
    description: C(wg) uses wireguard-tools, C(cryptography) the Python package; C(auto) prefers C(wg).
    type: str
    choices: [auto, wg, cryptography]
    default: auto
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff shows public keys only, never a private or preshared key.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: The hub's key, made on the hub
  iotguard.hardening.wireguard_keypair:
    path: /etc/wireguard/wg0.key
  register: hub_key

- name: A preshared key for peer alice
  iotguard.hardening.wireguard_keypair:
    path: /etc/wireguard/psk/alice.psk
    type: preshared

- name: Stage a new key for rotation (the current one keeps working)
  iotguard.hardening.wireguard_keypair:
    path: /etc/wireguard/wg0.key
    rotation: stage
"""

RETURN = r"""
public_key:
  description: The public key of the current private key (null for a preshared key).
  returned: success
  type: str
pending_public_key:
  description: The public key of the staged key, null when none is staged.
  returned: success
  type: str
actions:
  description: What was done (or would be, in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.keys import (
    ensure_key,
    select_backend,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "type": {"type": "str", "choices": ["private", "preshared"], "default": "private"},
            "regenerate": {"type": "str", "choices": ["never", "invalid", "always"], "default": "never"},
            "rotation": {"type": "str", "choices": ["none", "stage", "commit", "abort"], "default": "none"},
            "backend": {"type": "str", "choices": ["auto", "wg", "cryptography"], "default": "auto"},
        },
        supports_check_mode=True,
    )
    p = module.params

    def run(argv, data=None):
        return module.run_command(argv, data=data, binary_data=False)

    try:
        backend = select_backend(p["backend"], run, module.get_bin_path("wg"))
        result = ensure_key(p["path"], backend, p["type"], p["regenerate"], p["rotation"], module.check_mode)
    except (WireGuardError, OSError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
