#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: domain_password_policy
short_description: The domain's account lockout and password policy on a Samba AD domain controller
description:
  - Sets the domain's password settings (C(samba-tool domain passwordsettings set)), a
    fine-grained password policy (PSO) for the admin groups, and a PSO for the break-glass
    account that never locks it; then reads everything back and fails if it did not take.
  - Takes the policy in the units of the Linux lockout policy (seconds, days, character
    classes) and converts it to the domain's (minutes, complexity on when three or more
    classes are required).
  - Refuses, before anything changes, a policy that could lock out every admin (no
    break-glass account, or one that does not exist or is in none of the admin groups), a
    threshold of 1 with no lock time, a lock time of 0 unless accepted, and an unknown backend.
  - Runs on the domain controller itself, as root.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  backend:
    description:
      - C(samba) is applied by this module. C(windows) is refused with the fix (the Windows
        path is the C(microsoft.ad.object) task the role's README shows).
    type: str
    default: samba
  deny:
    description: Failed logins within O(fail_interval) that lock an account (the domain's lockout threshold).
    type: int
    required: true
  fail_interval:
    description: Seconds within which failed logins are counted (a whole number of minutes).
    type: int
    required: true
  unlock_time:
    description:
      - Seconds an account stays locked (a whole number of minutes); 0 until an administrator unlocks it.
    type: int
    required: true
  accept_permanent_lock:
    description: Allow O(unlock_time=0).
    type: bool
    default: false
  min_length:
    description: Minimum password length.
    type: int
    required: true
  min_classes:
    description: Character classes required; 3 or more turns the domain's password complexity on.
    type: int
    required: true
  history:
    description: Passwords remembered (0 to 24).
    type: int
    required: true
  max_age_days:
    description: Maximum password age in days (0 never expires).
    type: int
    required: true
  min_age_days:
    description: Minimum password age in days.
    type: int
    required: true
  admin_groups:
    description: Groups whose members are the domain's admins; they get the admins' PSO.
    type: list
    elements: str
    default: [Domain Admins]
  admin_min_length:
    description: Minimum password length for the admins (the larger of this and O(min_length)).
    type: int
    default: 15
  break_glass_account:
    description:
      - A domain account, member of one of O(admin_groups), that gets a PSO with lockout
        threshold 0 (never locked). Required when O(deny) locks accounts.
    type: str
    default: ""
  admin_pso:
    description: Name of the admins' PSO.
    type: str
    default: iotguard-admins
  break_glass_pso:
    description: Name of the break-glass account's PSO.
    type: str
    default: iotguard-break-glass
  samba_tool:
    description: Path of samba-tool.
    type: path
    default: samba-tool
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
notes:
  - Samba keeps lockout times in whole minutes (at least 1).
"""

EXAMPLES = r"""
- name: The domain's policy, a PSO for the admins and a break-glass account that never locks
  iotguard.hardening.domain_password_policy:
    deny: 5
    fail_interval: 900
    unlock_time: 900
    min_length: 14
    min_classes: 4
    history: 24
    max_age_days: 365
    min_age_days: 1
    admin_groups: [Domain Admins, Enterprise Admins]
    break_glass_account: breakglass
"""

RETURN = r"""
commands:
  description: The samba-tool commands run (or that would be, in check mode), without the program name.
  returned: always
  type: list
  elements: list
policy:
  description: The domain policy in the domain's units (minutes, days, complexity).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError, samba


def main():
    module = AnsibleModule(
        argument_spec={
            "backend": {"type": "str", "default": "samba"},
            "deny": {"type": "int", "required": True},
            "fail_interval": {"type": "int", "required": True},
            "unlock_time": {"type": "int", "required": True},
            "accept_permanent_lock": {"type": "bool", "default": False},
            "min_length": {"type": "int", "required": True},
            "min_classes": {"type": "int", "required": True},
            "history": {"type": "int", "required": True},
            "max_age_days": {"type": "int", "required": True},
            "min_age_days": {"type": "int", "required": True},
            "admin_groups": {"type": "list", "elements": "str", "default": ["Domain Admins"]},
            "admin_min_length": {"type": "int", "default": 15},
            "break_glass_account": {"type": "str", "default": ""},
            "admin_pso": {"type": "str", "default": "iotguard-admins"},
            "break_glass_pso": {"type": "str", "default": "iotguard-break-glass"},
            "samba_tool": {"type": "path", "default": "samba-tool"},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        want = samba.want_from_params(p)
        tool = samba.SambaDomain(module.run_command, module.get_bin_path(p["samba_tool"], True))
        commands, before, after = tool.plan(want)
        if commands and not module.check_mode:
            tool.apply(commands)
            pending = tool.pending(want)
            if pending:
                module.fail_json(
                    msg="the domain controller did not take the policy: reading it back still wants %s"
                    % "; ".join(" ".join(c) for c in pending),
                    commands=commands,
                )
    except LockoutError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    except samba.SambaToolError as exc:
        module.fail_json(msg=str(exc))
    result = {"changed": bool(commands), "commands": commands, "policy": want.policy.as_dict()}
    if module._diff:
        result["diff"] = {
            "before": before,
            "after": after,
            "before_header": "domain",
            "after_header": "domain",
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
