#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports
from __future__ import annotations

DOCUMENTATION = r"""
module: reach_probe
short_description: Try the devices' ports from a host outside the VPN
version_added: 0.1.0
description:
  - Runs on a host of the client's network that stands outside the management VPN (a staff
    PC, a small Linux box on the guest or staff VLAN) and tries a TCP connection to each
    port of each device, as a guest or a compromised PC there would.
  - Before any connection it reads this host's route to every device (C(ip -j route get)).
    A route through a VPN interface (see O(vpn_interfaces)) fails the task and nothing is
    probed, so an answer is never taken as "seen from outside" when it came through the VPN.
  - Its RV(devices) feed O(iotguard.hardening.risk_assess#module:outside_reach); an
    assessment run from inside the VPN then shows management closed outside it by this
    probe's evidence, not by the engineer's word.
  - Read-only. A port is V(open) when the handshake completed, V(refused) when the device
    answered with a reset, V(silent) when nothing answered (dropped by a firewall, or the
    device is off).
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - C(ip) from iproute2 with JSON output (C(-j)) on the probe host
options:
  name:
    description: What the results say they were seen from (the probe host's inventory name).
    type: str
    default: the outside probe
  targets:
    description:
      - The devices, each with C(address) and either C(services) (the device's
        C(iot_services) from discovery; its TCP ports are tried) or C(ports) (a list of port
        numbers), at most 4096 devices and 64 ports each.
    type: list
    elements: dict
    required: true
  timeout:
    description: Seconds to wait for each connection.
    type: float
    default: 2.0
  workers:
    description: Connections tried at once (at most 128).
    type: int
    default: 32
  vpn_interfaces:
    description:
      - Interfaces that are the VPN (for example V(wg0)). Empty, links of kind V(wireguard)
        or V(tun) count as the VPN.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Try the devices' ports from the staff VLAN (outside the VPN)
  iotguard.hardening.reach_probe:
    name: "{{ inventory_hostname }}"
    targets:
      - address: 192.168.20.31
        ports: [22, 80, 554]
  register: outside

- name: Assess from inside the VPN, with the outside probe's evidence
  iotguard.hardening.risk_assess:
    assessed_from_vpn: true
    outside_reach: "{{ outside.devices[ansible_host] }}"
  delegate_to: localhost
"""

RETURN = r"""
devices:
  description:
    - For each device address, C(from) (O(name)), C(interface) (the route's interface on
      this host) and the ports that were V(open), V(refused) or V(silent).
  returned: success
  type: dict
  sample:
    192.168.20.31:
      from: staff-pc-01
      interface: eth0
      open: [554]
      refused: [22]
      silent: [80]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import vantage


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="the outside probe"),
            targets=dict(type="list", elements="dict", required=True),
            timeout=dict(type="float", default=2.0),
            workers=dict(type="int", default=32),
            vpn_interfaces=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["timeout"] <= 0 or p["timeout"] > 60:
        module.fail_json(msg="timeout must be more than 0 and at most 60 seconds, not %s" % p["timeout"])
    if p["workers"] < 1:
        module.fail_json(msg="workers must be at least 1, not %d" % p["workers"])
    try:
        targets = vantage.targets_from(p["targets"])
        results = vantage.probe(targets, p["timeout"], p["workers"], p["vpn_interfaces"], name=p["name"])
    except vantage.VantageError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, devices=results)


if __name__ == "__main__":
    main()
