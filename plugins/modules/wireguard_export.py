#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: wireguard_export
short_description: Write an engineer's WireGuard configuration and its QR code on the controller
description:
  - For engineers whose device is not managed (a laptop outside the inventory, a phone), writes
    a wg-quick configuration file and a QR code PNG of it (for the WireGuard phone app), both
    mode 0600. Run it on the controller (delegate it to C(localhost)).
  - The private key is read from O(private_key_path) (made on the controller by
    M(iotguard.hardening.wireguard_keypair)); the files are rewritten only when their content
    changes.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
requirements:
  - qrcode[pil] (for O(qr_path))
options:
  path:
    description: The configuration file to write.
    type: path
    required: true
  qr_path:
    description: The QR code PNG to write; omit for none.
    type: path
  private_key_path:
    description: File holding the engineer's private key.
    type: path
    required: true
  preshared_key:
    description: The preshared key shared with the hub.
    type: str
  address:
    description: The engineer's tunnel address with prefix.
    type: str
    required: true
  hub_public_key:
    description: The hub's public key.
    type: str
    required: true
  endpoint:
    description: The hub's C(address:port).
    type: str
    required: true
  allowed_ips:
    description: Networks sent through the tunnel (hub tunnel address and management zones).
    type: list
    elements: str
    required: true
  keepalive:
    description: PersistentKeepalive in seconds.
    type: int
    default: 25
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details: The files hold a private key; no diff is shown.
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Hand carol her configuration
  iotguard.hardening.wireguard_export:
    path: "{{ inventory_dir }}/wireguard/export/carol.conf"
    qr_path: "{{ inventory_dir }}/wireguard/export/carol.png"
    private_key_path: "{{ inventory_dir }}/wireguard/keys/carol.key"
    preshared_key: "{{ carol_psk }}"
    address: 10.66.0.4/32
    hub_public_key: "{{ hub_public_key }}"
    endpoint: 203.0.113.7:51820
    allowed_ips: [10.66.0.1/32, 10.20.0.0/24]
  delegate_to: localhost
"""

RETURN = r"""
written:
  description: The files written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.iotguard.hardening.plugins.module_utils.handover import (
    HAS_QRCODE,
    differs,
    qr_png,
    write_private,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.export import render_peer_config
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.keys import check_key, read_key


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "qr_path": {"type": "path"},
            "private_key_path": {"type": "path", "required": True, "no_log": False},
            "preshared_key": {"type": "str", "no_log": True},
            "address": {"type": "str", "required": True},
            "hub_public_key": {"type": "str", "required": True, "no_log": False},
            "endpoint": {"type": "str", "required": True},
            "allowed_ips": {"type": "list", "elements": "str", "required": True},
            "keepalive": {"type": "int", "default": 25},
        },
        supports_check_mode=True,
    )
    p = module.params
    if p["qr_path"] and not HAS_QRCODE:
        module.fail_json(msg=missing_required_lib("qrcode[pil]"))
    try:
        key, problem, _mode = read_key(p["private_key_path"])
        if key is None:
            raise WireGuardError(
                "private_key_path=%r: %s"
                % (p["private_key_path"], problem or "no such file; generate the key first")
            )
        check_key(p["hub_public_key"], "hub_public_key")
        if p["preshared_key"]:
            check_key(p["preshared_key"], "preshared_key")
        text = render_peer_config(
            key,
            p["address"],
            p["hub_public_key"],
            p["endpoint"],
            p["allowed_ips"],
            p["preshared_key"],
            p["keepalive"],
        ).encode("ascii")
        written = []
        conf_changed = differs(p["path"], text)
        if conf_changed:
            written.append(p["path"])
        if p["qr_path"] and (conf_changed or not os.path.exists(p["qr_path"])):
            written.append(p["qr_path"])
        if not module.check_mode:
            if conf_changed:
                write_private(p["path"], text)
            if p["qr_path"] in written:
                write_private(p["qr_path"], qr_png(text.decode("ascii")))
    except (WireGuardError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=bool(written), written=written)


if __name__ == "__main__":
    main()
