#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: wireguard_peer_plan
short_description: Validate a WireGuard hub-and-spoke topology and allocate peer addresses
description:
  - Runs on the controller before anything is configured. Refuses overlapping address
    pools, a peer name used twice, a peer without a public key and an endpoint that is not
    an address, with a message naming the field, the value and the fix.
  - Allocates each peer a tunnel address from O(pool). Allocations are kept in O(state_file)
    (0600, on the controller) so an address never moves because another peer was added or
    removed.
  - Returns the plan both ends are configured from; AllowedIPs of a peer are limited to the
    hub's tunnel address and the management zone(s). A peer with C(networks) is a site
    (site-to-site); its networks are routed to it by the hub.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  pool:
    description: Tunnel network (CIDR). The hub takes its first host address.
    type: str
    required: true
  hub_endpoint:
    description: The C(address:port) peers dial (the client gateway's public address).
    type: str
    required: true
  hub_public_key:
    description: The hub's public key.
    type: str
    required: true
  listen_port:
    description: The hub's UDP port.
    type: int
    default: 51820
  mgmt_zones:
    description: Networks a peer may reach through the tunnel.
    type: list
    elements: str
    required: true
  reserved:
    description: Other networks the pool must not overlap (other sites, other VPN pools).
    type: list
    elements: str
    default: []
  keepalive:
    description: PersistentKeepalive of peers, in seconds.
    type: int
    default: 25
  peers:
    description:
      - Each peer as a mapping with C(name), C(public_key), optional C(next_public_key) (a key
        staged for rotation), C(address) (a fixed one), C(networks) (site-to-site) and C(totp)
        (default true).
    type: list
    elements: dict
    required: true
  psk_dir:
    description: Directory on the hub holding C(<peer name>.psk); the hub's peer entries point there.
    type: path
  switch:
    description:
      - For peers with a staged key (C(next_public_key)), false has the hub learn the new key
        beside the old one; true moves the peer's addresses to the new key (the old one stays
        known until the rotation is committed).
    type: bool
    default: false
  state_file:
    description: JSON file on the controller keeping allocations across runs. Omit to allocate without memory.
    type: path
attributes:
  check_mode:
    support: full
    details: In check mode the state file is not written.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Plan the tunnel
  iotguard.hardening.wireguard_peer_plan:
    pool: 10.66.0.0/24
    hub_endpoint: 203.0.113.7:51820
    hub_public_key: "{{ hub_key.public_key }}"
    mgmt_zones: [10.20.0.0/24]
    peers:
      - name: alice
        public_key: "{{ alice_key }}"
    state_file: "{{ inventory_dir }}/wireguard/gw1-allocations.json"
  delegate_to: localhost
  register: wg_plan
"""

RETURN = r"""
plan:
  description:
    - C(hub) (address, tunnel_ip, listen_port, peers) and C(peers) (per name address, allowed_ips, endpoint).
  returned: success
  type: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.plan import build_plan


def read_state(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        try:
            data = json.load(fh)
        except ValueError as exc:
            raise WireGuardError(
                "state_file=%r is not JSON (%s): remove it to allocate afresh" % (path, exc)
            ) from None
    return data.get("allocations") or {} if isinstance(data, dict) else {}


def main():
    module = AnsibleModule(
        argument_spec={
            "pool": {"type": "str", "required": True},
            "hub_endpoint": {"type": "str", "required": True},
            "hub_public_key": {"type": "str", "required": True, "no_log": False},
            "listen_port": {"type": "int", "default": 51820},
            "mgmt_zones": {"type": "list", "elements": "str", "required": True},
            "reserved": {"type": "list", "elements": "str", "default": []},
            "keepalive": {"type": "int", "default": 25},
            "peers": {"type": "list", "elements": "dict", "required": True},
            "state_file": {"type": "path"},
            "psk_dir": {"type": "path"},
            "switch": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        previous = read_state(p["state_file"])
        plan = build_plan(
            p["pool"],
            p["hub_endpoint"],
            p["hub_public_key"],
            p["peers"],
            p["mgmt_zones"],
            previous=previous,
            listen_port=p["listen_port"],
            reserved=p["reserved"],
            keepalive=p["keepalive"],
            psk_dir=p["psk_dir"],
            switch=p["switch"],
        )
    except WireGuardError as exc:
        module.fail_json(msg=str(exc))
    changed = plan["allocations"] != previous
    if changed and p["state_file"] and not module.check_mode:
        directory = os.path.dirname(p["state_file"])
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = p["state_file"] + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(
                {"pool": plan["pool"], "allocations": plan["allocations"]}, fh, indent=1, sort_keys=True
            )
        os.rename(tmp, p["state_file"])
    module.exit_json(changed=changed and bool(p["state_file"]), plan=plan)


if __name__ == "__main__":
    main()
