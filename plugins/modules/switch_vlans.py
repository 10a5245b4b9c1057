#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: switch_vlans
short_description: VLANs and access ports of a Cisco IOS or HP ProCurve switch, as a resource
description:
  - Manages VLANs (id and name) and the access VLAN of access ports on one switch over one
    netmiko session (SSH), in the resource-module shape. The switch's state is gathered
    with ntc-templates (C(show vlan brief) or C(show vlans), C(show mac address-table) or
    C(show mac-address)) and the running config; want versus have gives the commands.
  - Trunks and uplinks are never touched; a config that names a trunk port is an error.
  - Before a change the running config is backed up to O(backup_dir) (0600). The commands
    are sent, then the config is saved with netmiko's own save. If the switch refuses a
    command, the session is lost or the save is refused, the module puts the switch's
    VLANs and ports back as the backup has them, checks that, and fails saying whether the
    switch is as it was.
  - A second run with the same config sends no configuration command.
version_added: 0.2.0
author:
  - IoTGuard maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  platform:
    description: The switch's CLI dialect (netmiko device type).
    type: str
    choices: [cisco_ios, hp_procurve]
    required: true
  host:
    description: Address of the switch. Not needed for O(state=rendered) or O(state=parsed).
    type: str
  port:
    description: SSH port.
    type: int
    default: 22
  username:
    description: Login user.
    type: str
  password:
    description: Login password.
    type: str
  secret:
    description: Enable secret (Cisco); the login must reach privileged mode with it.
    type: str
  timeout:
    description: Seconds for connecting and for each command.
    type: float
    default: 30
  session_log:
    description: A file for the session log (0600); passwords and secrets are replaced by C(********).
    type: path
  backup_dir:
    description: Directory on the controller for the running config saved before a change (0600).
    type: path
  config:
    description: The wanted VLANs and access ports.
    type: dict
    suboptions:
      vlans:
        description: VLANs.
        type: list
        elements: dict
        default: []
        suboptions:
          vlan_id:
            description: VLAN id, 1-4094.
            type: int
            required: true
          name:
            description: VLAN name (letters, digits, C(-), C(_), C(.), at most 32).
            type: str
      access_ports:
        description: Access ports and the VLAN each carries untagged.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: Port name as the switch shows it (C(Gi1/0/5), C(GigabitEthernet1/0/5), C(5), C(A1)).
            type: str
            required: true
          vlan:
            description: Access (untagged) VLAN.
            type: int
            required: true
  running_config:
    description: Running config text for O(state=parsed).
    type: str
  state:
    description:
      - C(merged) adds or renames the VLANs and moves the ports listed.
      - C(replaced) the same (an access port has no other attribute here).
      - C(overridden) also removes VLANs not listed and puts access ports not listed back in
        VLAN 1 (VLAN 1, the reserved VLANs and VLANs a trunk carries stay).
      - C(deleted) removes the VLANs listed and puts the ports listed (and the ports of removed
        VLANs) back in VLAN 1; with no config, every VLAN but the reserved ones.
      - C(gathered) returns the switch's state; C(rendered) the commands for O(config) without
        connecting; C(parsed) reads O(running_config) without connecting.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
attributes:
  check_mode:
    support: full
    details: Gathers, computes the commands and returns them; sends no configuration command.
  diff_mode:
    support: full
    details: Per VLAN and per port, before and after.
  platform:
    support: full
    platforms: posix
    details: Runs on the controller; the switch is reached over SSH.
requirements:
  - netmiko (with ntc-templates)
"""

EXAMPLES = r"""
- name: Cameras on VLAN 30
  iotguard.hardening.switch_vlans:
    platform: cisco_ios
    host: 192.0.2.2
    username: netops
    password: "{{ vault_switch_password }}"
    secret: "{{ vault_enable_secret }}"
    backup_dir: "{{ inventory_dir }}/switch-backups"
    config:
      vlans:
        - {vlan_id: 30, name: IOT-CAMERAS}
      access_ports:
        - {name: Gi1/0/5, vlan: 30}
    state: merged
  delegate_to: localhost

- name: What the switch holds
  iotguard.hardening.switch_vlans:
    platform: hp_procurve
    host: 192.0.2.3
    username: manager
    password: "{{ vault_switch_password }}"
    state: gathered
  delegate_to: localhost
  register: floor2
"""

RETURN = r"""
commands:
  description: The configuration commands sent (in check mode, those that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["vlan 30", "name IOT-CAMERAS", "interface Gi1/0/5", "switchport access vlan 30"]
before:
  description: The switch's VLANs, access ports, trunk ports and MAC table before the run.
  returned: when connected
  type: dict
after:
  description: The same after the change (gathered again over the same session).
  returned: when changed
  type: dict
gathered:
  description: The switch's state for O(state=gathered).
  returned: O(state=gathered)
  type: dict
rendered:
  description: Commands for O(state=rendered).
  returned: O(state=rendered)
  type: list
  elements: str
parsed:
  description: VLANs and ports read from O(running_config).
  returned: O(state=parsed)
  type: dict
backup_path:
  description: Where the running config was saved before the change.
  returned: when changed or failed part-way
  type: str
restored:
  description: After a failure part-way, whether the switch was put back as it was.
  returned: on failure part-way
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as ns
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError, site
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import switch_config as sc


def _parsed(platform, text):
    data = sc.parse_running(platform, text)
    ports = data["ports"]
    return {
        "vlans": [{"vlan_id": v, "name": data["vlans"][v]} for v in sorted(data["vlans"])],
        "access_ports": [
            {"name": p, "vlan": ports[p]["vlan"]} for p in sorted(ports) if ports[p]["mode"] == "access"
        ],
        "trunk_ports": sorted(p for p in ports if ports[p]["mode"] == "trunk"),
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "platform": {"type": "str", "required": True, "choices": sorted(sc.DIALECTS)},
            "host": {"type": "str"},
            "port": {"type": "int", "default": 22},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "secret": {"type": "str", "no_log": True},
            "timeout": {"type": "float", "default": 30},
            "session_log": {"type": "path"},
            "backup_dir": {"type": "path"},
            "config": {
                "type": "dict",
                "options": {
                    "vlans": {
                        "type": "list",
                        "elements": "dict",
                        "default": [],
                        "options": {"vlan_id": {"type": "int", "required": True}, "name": {"type": "str"}},
                    },
                    "access_ports": {
                        "type": "list",
                        "elements": "dict",
                        "default": [],
                        "options": {
                            "name": {"type": "str", "required": True},
                            "vlan": {"type": "int", "required": True},
                        },
                    },
                },
            },
            "running_config": {"type": "str"},
            "state": {"type": "str", "default": "merged", "choices": list(sc.STATES)},
        },
        required_if=[
            ("state", "parsed", ("running_config",)),
            ("state", "merged", ("host", "username", "password")),
            ("state", "replaced", ("host", "username", "password")),
            ("state", "overridden", ("host", "username", "password")),
            ("state", "deleted", ("host", "username", "password")),
            ("state", "gathered", ("host", "username", "password")),
        ],
        supports_check_mode=True,
    )
    p = module.params
    platform = p["platform"]
    state = p["state"]
    config = p["config"] or {"vlans": [], "access_ports": []}
    try:
        if state == "rendered":
            module.exit_json(
                changed=False, rendered=sc.commands(platform, config, None, "merged"), commands=[]
            )
        if state == "parsed":
            module.exit_json(changed=False, parsed=_parsed(platform, p["running_config"]), commands=[])
        if not ns.HAS_NETMIKO:
            module.fail_json(msg=missing_required_lib("netmiko"), exception=str(ns.NETMIKO_IMPORT_ERROR))
        if state != "gathered":
            sc.check_config(platform, config)
        if state != "gathered" and not module.check_mode and not p["backup_dir"]:
            raise SegmentationError(
                "backup_dir", None, "is empty", "give a directory for running-config backups"
            )
        spec = dict(p, name=p["host"])
        session = site.open_elevated(site.access_for(spec, p["timeout"]))
    except SegmentationError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    except ns.SessionError as exc:
        module.fail_json(msg=str(exc))
    result = {"changed": False, "commands": []}
    try:
        have, running = sc.gather(session, platform)
        result["before"] = have
        if state == "gathered":
            session.close()
            module.exit_json(changed=False, gathered=have, commands=[])
        cmds = sc.commands(platform, config, have, state)
        result["commands"] = cmds
        if not cmds:
            session.close()
            module.exit_json(**result)
        after = sc.expected_after(platform, have, config, state)
        result["changed"] = True
        if module._diff:
            result["diff"] = sc.diff(platform, have, after)
        if module.check_mode:
            session.close()
            module.exit_json(**result)
        result["backup_path"] = sc.write_backup(p["backup_dir"], p["host"], running)

        def reconnect():
            return site.open_elevated(site.access_for(spec, p["timeout"]))

        session = sc.apply(session, platform, cmds, have, result["backup_path"], reconnect)
        now, _running = sc.gather(session, platform)
        session.close()
        result["after"] = now
        if not sc.same(now, after):
            module.fail_json(
                msg="after the change the switch does not show the config; backup %s" % result["backup_path"],
                **result,
            )
    except sc.ChangeFailed as exc:
        result["restored"] = exc.restored
        module.fail_json(msg=str(exc), **result)
    except SegmentationError as exc:
        session.close()
        module.fail_json(msg=str(exc), field=exc.field, **result)
    except ns.SessionError as exc:
        session.close()
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
