#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: vlan_segment
short_description: Move every IoT device's switch port to its zone's VLAN, one session per switch
description:
  - The site-wide run of the M(iotguard.hardening.switch_vlans) resource. For each switch
    it opens ONE netmiko session and keeps it until the end. It gathers the switch's VLANs,
    ports and MAC table, then plans over all switches at once (device facts + O(policy) ->
    class -> zone -> VLAN -> the port each device's MAC is learnt on), then sends each
    switch the commands from want versus have (state C(merged)) and saves with netmiko's
    own save.
  - Left alone, with the reason in the plan, are uplinks, trunks, ports with several MACs, the
    engineer's own port, ports O(policy) lists, infrastructure (routers, switches,
    workstations).
  - Before a change a switch's running config is backed up to O(backup_dir) (0600); a
    refused command, a lost session or a refused save puts that switch back as it was. A
    switch that fails is reported in RV(failed_switches), and the others go on.
  - A second run sends no configuration command.
  - Bad input (a VLAN id outside 1-4094, two zones on one VLAN, a MAC learnt on two access
    ports) fails before anything is sent, naming the field and the fix.
version_added: 0.2.0
author:
  - IoTGuard maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  switches:
    description:
      - Each switch as a mapping with C(name), C(platform) (cisco_ios, hp_procurve), C(host),
        C(port), C(username), C(password), C(secret) (enable secret), C(uplinks) (ports
        never moved) and C(session_log) (a path; secrets filtered).
    type: list
    elements: dict
    required: true
  devices:
    description:
      - Device facts, one mapping each with C(name), C(address), C(mac), C(class) and
        C(eol), as the C(iotguard.hardening.iot_discovery) inventory plugin gives them
        (C(iot_mac), C(iot_class), C(iot_eol)).
    type: list
    elements: dict
    required: true
  policy:
    description:
      - The client's policy; C(zones) (name, vlan, vlan_name, classes, networks,
        end_of_life, interface), C(overrides) (device name or MAC -> zone or C(leave)),
        C(leave_alone) and C(engineer_ports) (C({switch, port})), C(engineer_macs),
        C(max_macs_per_port) and C(firewall) (see the role's README). Omitted keys take the
        defaults.
    type: dict
    default: {}
  backup_dir:
    description: Directory on the controller for running-config backups (0600). Required unless in check mode.
    type: path
  timeout:
    description: Seconds for connecting and for each command.
    type: float
    default: 30
  firewall:
    description: Also return the gateway firewall contribution (zones need C(networks) then).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Gathers and plans; returns the plan and the commands; sends no configuration command.
  diff_mode:
    support: full
    details: Per switch, the VLANs and ports before and after.
  platform:
    support: full
    platforms: posix
    details: Runs on the controller; switches are reached over SSH.
requirements:
  - netmiko (with ntc-templates)
"""

EXAMPLES = r"""
- name: Segment the site
  iotguard.hardening.vlan_segment:
    switches:
      - {name: sw-core, platform: cisco_ios, host: 192.0.2.2, username: netops,
         password: "{{ vault_switch_password }}", secret: "{{ vault_enable }}", uplinks: [Gi1/0/24]}
    devices: "{{ groups['iot'] | map('extract', hostvars) | list }}"
    backup_dir: "{{ inventory_dir }}/switch-backups"
  delegate_to: localhost
  register: segmentation
"""

RETURN = r"""
plan:
  description:
    - Zones (with their devices), ports (device, zone, VLAN before and after, action),
      left_alone, unplaced and summary.
  returned: success
  type: dict
plan_text:
  description: The plan as lines.
  returned: success
  type: list
  elements: str
switches:
  description:
    - Per switch, C(status) (unchanged, changed, would change, failed), C(commands),
      C(backup), C(error) and C(restored).
  returned: success
  type: dict
sessions:
  description: Switch sessions opened (one per switch; more only when a restore had to reconnect).
  returned: success
  type: int
commands_sent:
  description: Configuration commands sent to all switches.
  returned: success
  type: int
failed_switches:
  description: Switches whose change failed (each restored or not, see RV(switches)).
  returned: success
  type: list
  elements: str
timings:
  description: Seconds spent gathering, planning and applying (including the check after the change).
  returned: success
  type: dict
report:
  description:
    - The run for the client's reports, without secrets or config text, C(summary) (moves,
      commands sent, sessions, ports read back equal to the plan), C(zones), C(switches)
      (status, C(read_back_equals_plan)), C(ports) (device, zone, switch, port, VLAN before
      and after, action, verified), C(left_alone) and C(unplaced).
  returned: success
  type: dict
firewall_contribution:
  description: Zones and flows for the gateway firewall role (null unless O(firewall)).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as ns
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError, site


def main():
    module = AnsibleModule(
        argument_spec={
            "switches": {"type": "list", "elements": "dict", "required": True},
            "devices": {"type": "list", "elements": "dict", "required": True},
            "policy": {"type": "dict", "default": {}},
            "backup_dir": {"type": "path"},
            "timeout": {"type": "float", "default": 30},
            "firewall": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    if not ns.HAS_NETMIKO:
        module.fail_json(msg=missing_required_lib("netmiko"), exception=str(ns.NETMIKO_IMPORT_ERROR))
    p = module.params
    for spec in p["switches"]:
        for key in ("password", "secret"):
            if isinstance(spec, dict) and spec.get(key):
                module.no_log_values.add(spec[key])
    try:
        result = site.run(
            p["switches"],
            p["devices"],
            p["policy"],
            check_mode=module.check_mode,
            backup_dir=p["backup_dir"],
            timeout=p["timeout"],
            firewall=p["firewall"],
        )
    except SegmentationError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    result["report"] = site.report_record(result)
    diff = result.pop("diff")
    if module._diff and diff:
        result["diff"] = diff
    if result["failed_switches"]:
        module.fail_json(
            msg="segmentation failed on %s: %s"
            % (
                ", ".join(result["failed_switches"]),
                "; ".join(result["switches"][n].get("error", "") for n in result["failed_switches"]),
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
