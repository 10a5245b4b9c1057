#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: password_ageing
short_description: Password ages in login.defs and for the existing accounts that have a password
description:
  - Sets C(PASS_MAX_DAYS), C(PASS_MIN_DAYS) and C(PASS_WARN_AGE) in C(/etc/login.defs) (new
    accounts) and, with O(existing=true), the same ages for existing accounts that have a
    usable password (C(chage)).
  - An account whose password is older than O(max_days) would be expired at once; it is left
    as it is and returned in RV(stale), so nobody is locked out by surprise. Accounts in
    O(exempt) (the break-glass account) are never changed.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  max_days:
    description: Maximum password age in days.
    type: int
    required: true
  min_days:
    description: Minimum days between password changes.
    type: int
    required: true
  warn_days:
    description: Days of warning before a password expires.
    type: int
    required: true
  existing:
    description: Also set the ages of existing accounts that have a password.
    type: bool
    default: true
  exempt:
    description: Accounts never changed.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: CIS password ages, the break-glass account left alone
  iotguard.hardening.password_ageing:
    max_days: 365
    min_days: 1
    warn_days: 7
    exempt: [breakglass]
"""

RETURN = r"""
accounts:
  description: Accounts whose ages changed (or would), with old and new values.
  returned: always
  type: dict
stale:
  description: Accounts left alone because the new maximum age would expire their password at once.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import ageing

LOGIN_DEFS = "/etc/login.defs"
SHADOW = "/etc/shadow"


def main():
    module = AnsibleModule(
        argument_spec={
            "max_days": {"type": "int", "required": True},
            "min_days": {"type": "int", "required": True},
            "warn_days": {"type": "int", "required": True},
            "existing": {"type": "bool", "default": True},
            "exempt": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    p = module.params
    ages = {"max": p["max_days"], "min": p["min_days"], "warn": p["warn_days"]}
    with open(LOGIN_DEFS) as handle:
        before = handle.read()
    after = ageing.login_defs(before, ages)
    changes, stale = {}, []
    if p["existing"]:
        with open(SHADOW) as handle:
            accounts = ageing.parse_shadow(handle.read())
        changes, stale = ageing.plan(accounts, ages, int(time.time() // 86400), set(p["exempt"]))
    changed = after != before or bool(changes)
    if changed and not module.check_mode:
        if after != before:
            module.atomic_move(_staged(module, after), LOGIN_DEFS)
        chage = module.get_bin_path("chage", required=True)
        for name in changes:
            module.run_command(
                [chage, "-M", str(ages["max"]), "-m", str(ages["min"]), "-W", str(ages["warn"]), name],
                check_rc=True,
            )
    result = {"changed": changed, "accounts": changes, "stale": stale}
    if module._diff:
        lines = [
            "%s %s: %s -> %s" % (n, f, o, v) for n, d in changes.items() for f, (o, v) in sorted(d.items())
        ]
        result["diff"] = [
            {"before": before, "after": after, "before_header": LOGIN_DEFS, "after_header": LOGIN_DEFS},
            {
                "before": "",
                "after": "\n".join(lines) + ("\n" if lines else ""),
                "after_header": "account ages",
            },
        ]
    module.exit_json(**result)


def _staged(module, text):
    import os
    import tempfile

    fd, path = tempfile.mkstemp(dir="/etc", prefix=".iotguard-login.defs-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o644)
    return path


if __name__ == "__main__":
    main()
