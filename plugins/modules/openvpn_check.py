#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: openvpn_check
short_description: Check an OpenVPN remote-access plan on the controller before anything is written
description:
  - Runs on the controller (delegate it to C(localhost)) before the PKI, the server or the
    firewall are touched, and changes nothing.
  - Refuses a client name with path characters or used twice, a pool that is not an IPv4
    network, a pool that overlaps a management zone or a reserved network (for example
    the WireGuard pool), a remote that is not an address, and an expired CA certificate;
    the message names the field, the value and the fix.
  - Returns the clients split into active and revoked, and the pool and zones in the
    C(network netmask) form the server configuration needs.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
requirements:
  - cryptography (for O(ca_path))
options:
  clients:
    description: Engineers, each a mapping with C(name) and optional C(revoked) (a bool).
    type: list
    elements: dict
    required: true
  pool:
    description: Tunnel network (IPv4 CIDR, /29 or larger).
    type: str
    required: true
  mgmt_zones:
    description: Networks the engineers may reach through the tunnel (IPv4 CIDR).
    type: list
    elements: str
    required: true
  reserved:
    description:
      - "Other networks the pool must not overlap, by the name of the variable they come from
        (so the error names it), for example C({wireguard_pool: [10.66.0.0/24]})."
    type: dict
    default: {}
  ca_path:
    description: The CA certificate on the controller, if one exists already; an expired one is refused.
    type: path
  renew_days:
    description: The result's C(renew_soon) (in RV(ca)) is true when the CA has fewer days left.
    type: int
    default: 30
  remote:
    description: Address or DNS name the engineers dial.
    type: str
    required: true
  port:
    description: Server port.
    type: int
    default: 1194
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Check the plan before anything is written
  iotguard.hardening.openvpn_check:
    clients: [{name: alice}, {name: bob, revoked: true}]
    pool: 10.67.0.0/24
    mgmt_zones: [10.20.1.0/24]
    reserved: {wireguard_pool: [10.66.0.0/24]}
    ca_path: "{{ inventory_dir }}/.iotguard/openvpn/pki/ca.crt"
    remote: vpn.example.com
  delegate_to: localhost
  register: plan
"""

RETURN = r"""
active:
  description: Names of the clients that keep access.
  returned: success
  type: list
  elements: str
revoked:
  description: Names of the clients whose certificate goes on the CRL.
  returned: success
  type: list
  elements: str
pool:
  description: The pool as C(network), C(netmask) and C(cidr).
  returned: success
  type: dict
routes:
  description: The management zones, each as C(network), C(netmask) and C(cidr).
  returned: success
  type: list
  elements: dict
ciphers:
  description: The hardened cipher lists the server and the profiles share (C(data), C(tls), C(suites)).
  returned: success
  type: dict
ca:
  description:
    - C(not_after), C(days_left) and C(renew_soon) of the existing CA certificate.
    - Empty when there is none.
  returned: success
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.openvpn import (
    DATA_CIPHERS,
    TLS_CIPHERS,
    TLS_SUITES,
    OpenVPNError,
    check_ca,
    check_clients,
    check_networks,
    check_remote,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "clients": {"type": "list", "elements": "dict", "required": True},
            "pool": {"type": "str", "required": True},
            "mgmt_zones": {"type": "list", "elements": "str", "required": True},
            "reserved": {"type": "dict", "default": {}},
            "ca_path": {"type": "path"},
            "renew_days": {"type": "int", "default": 30},
            "remote": {"type": "str", "required": True},
            "port": {"type": "int", "default": 1194},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        active, revoked = check_clients(p["clients"])
        nets = check_networks(p["pool"], p["mgmt_zones"], p["reserved"])
        check_remote(p["remote"], p["port"])
        ca = {}
        if p["ca_path"] and os.path.exists(p["ca_path"]):
            with open(p["ca_path"], "rb") as fh:
                ca = check_ca(fh.read(), p["ca_path"], renew_days=p["renew_days"])
    except (OpenVPNError, OSError) as exc:
        module.fail_json(msg=str(exc))
    ciphers = {"data": DATA_CIPHERS, "tls": TLS_CIPHERS, "suites": TLS_SUITES}
    module.exit_json(changed=False, active=active, revoked=revoked, ca=ca, ciphers=ciphers, **nets)


if __name__ == "__main__":
    main()
