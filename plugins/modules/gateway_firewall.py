#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: gateway_firewall
short_description: One contribution to the gateway's nftables table, applied with a rollback timer
description:
  - Internal to the collection; roles reach it through the C(iotguard.hardening.gateway_firewall) role.
  - Validates the given contributions (zones, flows, sets, rate limits), renders
    C(table inet iotguard) from it and every contribution already stored on the gateway,
    and loads the table in one nftables transaction that keeps dynamic sets (sessions).
  - With O(state=applied) the new table reverts by itself after O(rollback_seconds) unless
    a later task runs O(state=confirmed) (over a fresh connection, so that a policy that
    cuts the controller off is never confirmed).
  - Routing rules refuse forwarding to the zones' networks unless the table marked the
    packet, so a flushed ruleset leaves the zones closed.
  - At each confirmation it also keeps a failsafe table, C(gateway.failsafe.nft), that
    forwards nothing and answers only the administration flows of the contribution
    C(gateway). The role's boot loader loads it when the confirmed table does not load.
version_added: 0.2.0
author:
  - IoTGuard maintainers (@iotguard)
options:
  contributions:
    description:
      - Contribution name (the role it comes from, C(^[a-z][a-z0-9_]{0,23}$)) to its zones,
        flows, sets and rate limits; the shape is documented in the
        C(iotguard.hardening.gateway_firewall) role's argument specs. Each replaces the stored
        contribution of that name; the others stay.
    type: dict
    default: {}
  state:
    description: C(applied) loads the table with a rollback timer; C(confirmed) keeps it.
    type: str
    choices: [applied, confirmed]
    default: applied
  rollback_seconds:
    description: Seconds after which an unconfirmed table reverts.
    type: int
    default: 60
  directory:
    description: Where contributions and the rendered table are kept.
    type: path
    default: /etc/iotguard
attributes:
  check_mode:
    description: Validates and renders; loads nothing.
    support: full
  diff_mode:
    description: The rendered table before and after.
    support: full
  platform:
    description: A Linux gateway with nftables and iproute2.
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Contribute the VPN's zones and flows
  iotguard.hardening.gateway_firewall:
    contributions:
      wireguard:
        zones:
          - {name: wg_pool, networks: [10.66.0.0/24], interface: wg0, management: true, tunnel: true}
          - {name: cameras, networks: [10.20.30.0/24]}
        flows:
          - {from: wg_pool, to: gateway, proto: tcp, ports: [8181], comment: "the TOTP authenticator"}
          - {from: wg_pool, to: cameras, proto: tcp, ports: [22, 443], session_set: wg_authed}
        sets:
          - {name: wg_authed, family: ipv4, timeout: true}
    rollback_seconds: 60
  register: fw

- name: A fresh connection proves the gateway is still reachable
  ansible.builtin.meta: reset_connection

- name: Keep the new table
  iotguard.hardening.gateway_firewall:
    state: confirmed
  when: fw.pending
"""

RETURN = r"""
pending:
  description: A new table was loaded and reverts unless confirmed.
  returned: always
  type: bool
waiting:
  description:
    - Flows left out of the table because they name a zone or set their contribution lists
      under C(awaits) and no contribution declares yet (C(field), C(awaits)). They take effect
      at the first rendering after the owner stored its contribution.
  returned: when state is applied
  type: list
  elements: dict
  sample: [{field: "segmentation.flows[12]", awaits: [wg_authed, wg_pool]}]
confirmed:
  description: A pending table was confirmed in this run.
  returned: when state is confirmed
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import apply as fw


def main():
    module = AnsibleModule(
        argument_spec={
            "contributions": {"type": "dict", "default": {}},
            "state": {"type": "str", "choices": ["applied", "confirmed"], "default": "applied"},
            "rollback_seconds": {"type": "int", "default": 60},
            "directory": {"type": "path", "default": "/etc/iotguard"},
        },
        supports_check_mode=True,
    )
    p = module.params

    def run(argv, data=None):
        return module.run_command(argv, data=data, binary_data=False)

    paths = fw.Paths(p["directory"])
    try:
        if p["state"] == "confirmed":
            module.exit_json(**fw.confirm(paths, module.check_mode))
        if not 10 <= p["rollback_seconds"] <= 3600:
            raise FirewallError(
                "rollback_seconds", p["rollback_seconds"], "is out of range", "use 10 to 3600 seconds"
            )
        result = fw.apply(run, paths, p["contributions"], p["rollback_seconds"], module.check_mode)
    except (FirewallError, OSError) as exc:
        module.fail_json(msg=str(exc))
    before, after = result.pop("before"), result.pop("after")
    if module._diff:
        result["diff"] = {
            "before": before,
            "after": after,
            "before_header": "table inet iotguard",
            "after_header": "table inet iotguard",
        }
    for text in fw.waiting_warnings(result["waiting"]):
        module.warn(text)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
