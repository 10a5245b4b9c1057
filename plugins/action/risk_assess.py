# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Fills ``facts`` and ``name`` of iotguard.hardening.risk_assess from the host's variables.

Only ``ansible_host`` and the ``iot_*`` variables are passed on. Discovery marks device
data unsafe, so nothing here is ever templated.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        args = dict(self._task.args)
        if "facts" not in args:
            facts = {k: v for k, v in task_vars.items() if isinstance(k, str) and k.startswith("iot_")}
            if task_vars.get("ansible_host") is not None:
                facts["ansible_host"] = task_vars["ansible_host"]
            args["facts"] = facts
        args.setdefault("name", task_vars.get("inventory_hostname"))
        result.update(
            self._execute_module(
                module_name="iotguard.hardening.risk_assess", module_args=args, task_vars=task_vars
            )
        )
        return result
