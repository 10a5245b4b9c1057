# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of iotguard.hardening.device_settings: glue only.

The device access resolver gives the driver and the store; the stored credential is proven
once through the device's login budget; module_utils.hardening does the rest. Nothing
secret goes into the result or the diff.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.iotguard.hardening.plugins.action.rotate_credential import access_hostvars
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import BudgetError
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (
    AccessError,
    resolve,
    store_from_options,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import UnknownDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import DriverError, clean
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    INITIAL_PASSWORD,
    PASSWORD,
    capabilities_of,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.hardening import (
    DeviceHardening,
    PolicyError,
    check_rate,
    normalise_policy,
)
from ansible_collections.iotguard.hardening.plugins.modules.device_settings import ARGUMENT_SPEC

OVERRIDES = ("address", "port", "driver", "driver_options")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        host = task_vars.get("inventory_hostname")
        try:
            normalise_policy(args["policy"])
            rate = (args["rate_limit"], args["rate_burst"]) if args["rate_limit"] else None
            if rate:
                check_rate(*rate)
        except PolicyError as exc:
            raise AnsibleActionFail("%s: policy: %s" % (host, exc)) from None
        hostvars = access_hostvars(self._templar.template, task_vars)
        try:
            store = store_from_options(
                args,
                hostvars.get("inventory_dir"),
                getattr(getattr(self._loader, "_vault", None), "secrets", None),
            )
            store.read_only = bool(self._task.check_mode)
            access = resolve(
                host, hostvars, {k: args[k] for k in OVERRIDES if args.get(k) is not None}, store
            )
            stored = access.stored_credentials()
            if args["username"]:
                stored = [(u, pw) for u, pw in stored if u == args["username"]]
            if not stored:
                raise AccessError(
                    "the credential store holds no credential%s for this device; rotate it first "
                    "(playbooks/rotate_credentials.yml)"
                    % (" for %r" % args["username"] if args["username"] else "")
                )
            username, password = stored[0]
            driver = access.driver(username, timeout=args["timeout"])
            budget = access.budget("hardening")
        except AccessError as exc:
            # nothing to log in with (no driver, nothing rotated): said, not a failure of ours
            result.update({"host": host, "status": "not_managed", "changed": False, "reason": str(exc)})
            result.update({"changes": [], "not_done": [], "compensate": [], "compensating_control": None})
            result.update({"compensated_by": None, "settings": None, "capabilities": [], "driver": None})
            result["msg"] = "%s: not managed: %s" % (host, exc)
            return result
        except (UnknownDriver, StoreError, BudgetError, ValueError) as exc:
            raise AnsibleActionFail("%s: %s" % (host, exc)) from None
        # a driver that can read or set none of the settings sends nothing to the device (its
        # answer is the policy's not-done list and compensating controls): no login to prove,
        # none of the device's login budget spent (a Venstar thermostat: password only)
        settings_driver = bool(set(capabilities_of(type(driver))) - {PASSWORD, INITIAL_PASSWORD})
        try:
            ok = budget.attempt(driver.login, username, password, "stored") if settings_driver else True
        except DriverError as exc:
            raise AnsibleActionFail("%s: the device cannot be reached: %s" % (host, clean(exc))) from None
        if not ok:
            raise AnsibleActionFail(
                "%s: the stored credential of %r was %s; nothing was changed (rotate or reconcile first)"
                % (host, username, "not tried: login budget spent" if ok is None else "refused")
            )
        outcome = DeviceHardening(
            host,
            driver,
            username,
            password,
            args["policy"],
            store=store,
            check_mode=bool(self._task.check_mode),
            unsupported=args["unsupported"],
            open_ports=hostvars.get("iot_open_ports") or (),
            rate_limit=rate,
        ).run()
        result.update(outcome)
        result["address"] = access.address
        if self._task.diff and outcome["changes"]:
            before = {c["field"]: c["before"] for c in outcome["changes"]}
            after = {c["field"]: c["after"] for c in outcome["changes"]}
            result["diff"] = {
                "before_header": "%s settings" % host,
                "after_header": "%s settings" % host,
                "before": json.dumps(before, indent=1, sort_keys=True) + "\n",
                "after": json.dumps(after, indent=1, sort_keys=True) + "\n",
            }
        if outcome["status"] == "failed":
            result["failed"] = True
            result["msg"] = outcome["reason"]
        else:
            result["msg"] = "%s: %s" % (outcome["status"], outcome["reason"])
        return result
