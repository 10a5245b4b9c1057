#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: login_services
short_description: Find, refuse or disable password logins that bypass PAM
description:
  - Finds password login services that PAM never sees, so that account lockout never counts
    their failures - dropbear (Debian builds it without PAM), BusyBox C(telnetd) and C(login),
    and telnet servers (cleartext) - running now, enabled at boot (init and systemd links) or
    in C(/etc/inetd.conf).
  - O(state=absent) stops them and disables them at boot; O(state=refused) fails naming each
    one and its fix, changing nothing; O(state=report) only returns them.
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  state:
    description: What to do with what is found.
    type: str
    choices: [absent, refused, report]
    default: absent
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Stop password logins that bypass pam_faillock
  iotguard.hardening.login_services:
    state: absent
"""

RETURN = r"""
found:
  description: Each service found, with where it was found and its fix.
  returned: always
  type: dict
messages:
  description: One line per service found (what, where, the fix).
  returned: always
  type: list
  elements: str
"""

import glob
import os
import signal

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import services

INETD = "/etc/inetd.conf"


def _processes():
    procs = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % entry)
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                argv = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
        except OSError:
            continue
        procs.append({"pid": int(entry), "exe": exe.replace(" (deleted)", ""), "argv": argv[:4]})
    return procs


def _boot_units():
    units = set()
    for link in glob.glob("/etc/rc[2-5].d/S*"):
        units.add(os.path.basename(link)[3:])
    for link in glob.glob("/etc/systemd/system/*.wants/*.service"):
        units.add(os.path.basename(link)[: -len(".service")])
    return units


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _disable(module, sid, item):
    spec = services.SERVICES[sid]
    for pid in item["pids"]:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    unit = spec.get("unit")
    if item["boot"] and unit:
        systemctl = module.get_bin_path("systemctl")
        if systemctl:
            module.run_command([systemctl, "disable", unit], check_rc=True)
        for link in glob.glob("/etc/systemd/system/*.wants/%s.service" % unit):
            os.unlink(link)
        update_rc = module.get_bin_path("update-rc.d")
        if update_rc and os.path.exists("/etc/init.d/%s" % unit):
            module.run_command([update_rc, unit, "disable"], check_rc=True)
    if item["inetd"]:
        text = _read(INETD)
        with open(INETD, "w") as handle:
            handle.write(services.disable_inetd(text))
        for proc in _processes():
            if os.path.basename(proc["exe"]) in ("inetd", "inetutils-inetd"):
                os.kill(proc["pid"], signal.SIGHUP)


def main():
    module = AnsibleModule(
        argument_spec={
            "state": {"type": "str", "choices": ["absent", "refused", "report"], "default": "absent"}
        },
        supports_check_mode=True,
    )
    found = services.find_services(_processes(), _boot_units(), _read(INETD))
    messages = services.describe(found)
    if found and module.params["state"] == "refused":
        module.fail_json(
            msg="password logins that bypass PAM (and so the lockout) are enabled; nothing was changed. "
            + " | ".join(messages)
            + " | or set lockout_policy_non_pam_logins: disable to let the role stop them",
            found=found,
            messages=messages,
        )
    changed = bool(found) and module.params["state"] == "absent"
    if changed and not module.check_mode:
        for sid, item in found.items():
            _disable(module, sid, item)
    module.exit_json(changed=changed, found=found, messages=messages)


if __name__ == "__main__":
    main()
