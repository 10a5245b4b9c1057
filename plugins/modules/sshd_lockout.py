#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: sshd_lockout
short_description: An sshd drop-in that never loosens the host and is validated as a whole
description:
  - Writes an sshd drop-in with the given settings. sshd takes the first value it reads, so a
    drop-in sorting early wins over the main C(sshd_config); this module makes sure that
    never loosens the host. It reads the host's effective settings without the drop-in
    (C(sshd -T)) and, per keyword, writes the stricter of the host's and the wanted value
    (a smaller C(MaxAuthTries), C(no) over C(yes), only the algorithms both allow, ...).
  - Keywords the installed OpenSSH does not know (C(PerSourcePenalties) before 9.8,
    C(PerSourceMaxStartups) before 8.5) are left out and reported.
  - Before writing, the whole effective configuration with the new drop-in in its place is
    validated with C(sshd -t), and at least one host key sshd loads must be usable under the
    resulting C(HostKeyAlgorithms) (C(sshd -t) accepts a configuration no client can use).
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  path:
    description: The drop-in. An C(Include) line of O(main_config) must reach it.
    type: path
    required: true
  main_config:
    description: The main sshd configuration.
    type: path
    default: /etc/ssh/sshd_config
  settings:
    description:
      - Wanted global settings, keyword to value (lists are joined with commas). A null value
        leaves the keyword out.
    type: dict
    required: true
  match_blocks:
    description: C(Match) blocks written after the global settings, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      criteria:
        description: What follows C(Match), for example C(User root).
        type: str
        required: true
      settings:
        description: Keyword to value inside the block.
        type: dict
        required: true
  header:
    description: Comment lines at the top of the file.
    type: str
    default: Managed by iotguard.hardening.lockout_policy
  sshd:
    description: The sshd binary.
    type: path
    default: /usr/sbin/sshd
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
- name: Login limits, root key-only, never looser than the host already is
  iotguard.hardening.sshd_lockout:
    path: /etc/ssh/sshd_config.d/10-iotguard-lockout.conf
    settings:
      MaxAuthTries: 3
      PerSourceMaxStartups: 2
      PermitRootLogin: "no"
    match_blocks:
      - criteria: User breakglass
        settings:
          PasswordAuthentication: false
"""

RETURN = r"""
kept_stricter:
  description: Keywords where the host's stricter value was kept instead of the policy's.
  returned: always
  type: list
  elements: dict
unsupported:
  description: Keywords left out because the installed OpenSSH does not know them.
  returned: always
  type: list
  elements: str
version:
  description: The OpenSSH version found (major, minor).
  returned: always
  type: list
  elements: int
content:
  description: The drop-in as written (or as it would be in check mode).
  returned: always
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import sshd as policy


def _sshd(module, argv):
    rc, out, err = module.run_command([module.params["sshd"], *argv])
    return rc, out, err


def _effective(module, config, where):
    rc, out, err = _sshd(module, ["-T", "-f", config])
    if rc != 0:
        module.fail_json(msg="sshd -T of %s failed: %s" % (where, (err or out).strip()[:2000]))
    return policy.parse_effective(out)


def _key_types(effective):
    types = []
    keys = effective.get("hostkey", [])
    for key in keys if isinstance(keys, list) else [keys]:
        try:
            with open(key + ".pub") as handle:
                types.append(handle.read().split()[0])
        except (OSError, IndexError):
            continue
    return types


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "main_config": {"type": "path", "default": "/etc/ssh/sshd_config"},
            "settings": {"type": "dict", "required": True},
            "match_blocks": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "criteria": {"type": "str", "required": True},
                    "settings": {"type": "dict", "required": True},
                },
            },
            "header": {"type": "str", "default": "Managed by iotguard.hardening.lockout_policy"},
            "sshd": {"type": "path", "default": "/usr/sbin/sshd"},
        },
        supports_check_mode=True,
    )
    p = module.params
    path = os.path.abspath(p["path"])
    with open(p["main_config"]) as handle:
        main_text = handle.read()
    main_dir = os.path.dirname(p["main_config"])
    before = ""
    if os.path.exists(path):
        with open(path) as handle:
            before = handle.read()

    _rc, out, err = _sshd(module, ["-V"])
    tmp = tempfile.mkdtemp(prefix="iotguard-sshd-")
    try:
        version = policy.parse_version(err + out)
        without = os.path.join(tmp, "without.conf")
        with open(without, "w") as handle:
            handle.write(policy.expand_includes(main_text, main_dir, path, None))
        host = _effective(module, without, "the host's configuration without the drop-in")
        settings, kept, unsupported = policy.merge(p["settings"], host, version)
        content = policy.render(settings, p["match_blocks"], p["header"])

        candidate = os.path.join(tmp, "dropin.conf")
        with open(candidate, "w") as handle:
            handle.write(content)
        full = os.path.join(tmp, "full.conf")
        with open(full, "w") as handle:
            handle.write(policy.expand_includes(main_text, main_dir, path, candidate))
        rc, out, err = _sshd(module, ["-t", "-f", full])
        if rc != 0:
            module.fail_json(
                msg="the effective sshd configuration with the new drop-in does not validate,"
                " nothing was written: %s" % (err or out).strip()[:2000],
                content=content,
            )
        effective = _effective(module, full, "the configuration with the new drop-in")
        policy.check_host_keys(effective, _key_types(effective))
    except LockoutError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)

    changed = content != before
    if changed and not module.check_mode:
        fd, staged = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".iotguard-")
        with os.fdopen(fd, "w") as handle:
            handle.write(content)
        os.chmod(staged, 0o644)
        module.atomic_move(staged, path)
    result = {
        "changed": changed,
        "kept_stricter": kept,
        "unsupported": unsupported,
        "version": list(version),
        "content": content,
    }
    if module._diff:
        result["diff"] = {"before": before, "after": content, "before_header": path, "after_header": path}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
