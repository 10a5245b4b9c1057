#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: wireguard_interface
short_description: A running WireGuard interface brought to the wanted peers, addresses and routes
description:
  - Reads the interface's running state (C(wg show dump), C(ip)) and changes only what
    differs, through C(wg syncconf), C(ip address) and C(ip route); peers that did not change
    keep their sessions, and a run that changes nothing touches nothing.
  - Creates the interface with the kernel module where the kernel has one and with
    C(wireguard-go) (userspace) where it does not; O(implementation=auto) detects which.
  - Keys are read from files on the target (see M(iotguard.hardening.wireguard_keypair)); no
    key passes through the controller or appears in a diff.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  name:
    description: Interface name.
    type: str
    default: wg0
  state:
    description: C(absent) deletes the interface.
    type: str
    choices: [present, absent]
    default: present
  private_key_path:
    description: File holding this end's private key. Required with O(state=present).
    type: path
  listen_port:
    description: UDP port to listen on; omit for a random one (peers that only dial out).
    type: int
  addresses:
    description: Addresses of the interface, with prefix (e.g. C(10.66.0.1/24)).
    type: list
    elements: str
    default: []
  implementation:
    description: C(auto) detects kernel WireGuard and falls back to C(wireguard-go).
    type: str
    choices: [auto, kernel, userspace]
    default: auto
  not_before:
    description:
      - Epoch second before which no change is applied (the module waits, at most 120 seconds).
        Used to switch both ends of a tunnel to new keys at the same moment.
    type: float
  peers:
    description: Every peer of the interface; peers not listed are removed.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A label used in messages.
        type: str
      public_key:
        description: The peer's public key.
        type: str
        required: true
      preshared_key_path:
        description: File on the target holding the preshared key shared with this peer.
        type: path
      allowed_ips:
        description: Networks routed to this peer and accepted from it.
        type: list
        elements: str
        default: []
      endpoint:
        description: C(address:port) to reach the peer at.
        type: str
      persistent_keepalive:
        description: Seconds between keepalives, 0 for none.
        type: int
        default: 0
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows public keys, addresses, routes; preshared keys as C((set)).
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Bring up the hub
  iotguard.hardening.wireguard_interface:
    name: wg0
    private_key_path: /etc/wireguard/wg0.key
    listen_port: 51820
    addresses: [10.66.0.1/24]
    peers:
      - name: alice
        public_key: "{{ alice_public_key }}"
        preshared_key_path: /etc/wireguard/psk/alice.psk
        allowed_ips: [10.66.0.2/32]
"""

RETURN = r"""
public_key:
  description: This end's public key.
  returned: state=present
  type: str
implementation:
  description: C(kernel) or C(userspace) when the interface was created by this run, else null.
  returned: state=present
  type: str
actions:
  description: What was done (or would be, in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.interface import (
    Interface,
    converge,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "default": "wg0"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "private_key_path": {"type": "path"},
            "listen_port": {"type": "int"},
            "addresses": {"type": "list", "elements": "str", "default": []},
            "implementation": {"type": "str", "choices": ["auto", "kernel", "userspace"], "default": "auto"},
            "not_before": {"type": "float"},
            "peers": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "name": {"type": "str"},
                    "public_key": {"type": "str", "required": True},
                    "preshared_key_path": {"type": "path", "no_log": False},
                    "allowed_ips": {"type": "list", "elements": "str", "default": []},
                    "endpoint": {"type": "str"},
                    "persistent_keepalive": {"type": "int", "default": 0},
                },
            },
        },
        required_if=[("state", "present", ["private_key_path"])],
        supports_check_mode=True,
    )
    p = module.params

    def run(argv, data=None):
        return module.run_command(argv, data=data, binary_data=False)

    try:
        iface = Interface(
            run,
            p["name"],
            wg=module.get_bin_path("wg", required=p["state"] == "present"),
            ip=module.get_bin_path("ip", required=True),
            wireguard_go=module.get_bin_path("wireguard-go"),
        )
        result = converge(iface, p, module.check_mode)
    except (WireGuardError, OSError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
