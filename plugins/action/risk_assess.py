# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Runs iotguard.hardening.risk_assess on the controller, with the host's discovery facts.

``facts`` and ``name`` default to the host's ``ansible_host`` and ``iot_*`` variables and
``inventory_hostname``. The assessment runs here (not as a shipped module) because the
device drivers are picked at run time from the registry, and every probe starts on the
controller anyway. Discovery marks device data unsafe, so nothing here is templated.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import BudgetError
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (
    resolve,
    store_from_options,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError
from ansible_collections.iotguard.hardening.plugins.modules.risk_assess import ARGUMENT_SPEC, run


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

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
        self._task.args = args
        _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        hostvars = dict(params["facts"], inventory_dir=task_vars.get("inventory_dir"))
        store, warning = None, None
        try:
            if params["store"] != "none" and (params["store_path"] or hostvars.get("inventory_dir")):
                store = store_from_options(
                    params,
                    hostvars.get("inventory_dir"),
                    getattr(getattr(self._loader, "_vault", None), "secrets", None),
                )
        except StoreError as exc:
            # no vault password (a first assessment, a pipeline without secrets): the checks
            # run without stored credentials and the report says what was not re-checked
            warning = "assessed without stored credentials: %s" % exc
        if store is not None and self._task.check_mode:
            store.read_only = True  # check mode: what the assessment learns is not kept
        try:
            access = resolve(params["name"], hostvars, store=store)
        except BudgetError as exc:
            result.update(failed=True, msg="%s: %s" % (params["name"], exc))
            return result
        out, error = run(params, access)
        if error:
            result.update(failed=True, msg=error)
            return result
        result.update(out)
        if warning and store is None and params["store"] != "none":
            out["notes"].append(warning)
        if access.identity[0] in ("moved", "none", "adopted"):
            out["notes"].append("credential record: %s" % access.identity[1])
        result["changed"] = False
        if out["errors"]:
            result.setdefault("warnings", []).extend(
                "%s: %s" % (out["device"]["name"], e) for e in out["errors"]
            )
        return result
