# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of iotguard.hardening.rotate_credential: glue only.

The device access resolver (module_utils.access.resolver) turns the host's vars, the store
and the task's overrides into a driver, the account's factory passwords and the device's
login budget; the transaction (module_utils.rotation) does the rest. Nothing secret goes
into the result or the diff.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import BudgetError
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (
    AccessError,
    access_hostvars,
    resolve,
    store_from_options,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import UnknownDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import Rotation
from ansible_collections.iotguard.hardening.plugins.modules.rotate_credential import ARGUMENT_SPEC

OVERRIDES = ("address", "port", "driver", "factory_passwords", "password_policy", "driver_options")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    @staticmethod
    def _no_driver(result, host, args, reason):
        result.update(
            {"host": host, "user": args["username"], "driver": None, "status": "failed", "changed": False}
        )
        result.update({"reason": reason, "steps": [], "logins": 0, "reconciled": False})
        result.update({"credential_source": None, "msg": "%s: %s" % (host, reason)})
        if args["fail_on_error"]:
            result["failed"] = True
        return result

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        started = time.monotonic()
        if args["max_age_days"] is None and args["regenerate"] == "max_age":
            raise AnsibleActionFail("regenerate=max_age needs max_age_days (for example 90)")

        host = task_vars.get("inventory_hostname")
        hostvars = access_hostvars(self._templar.template, task_vars)
        try:
            store = store_from_options(
                args,
                hostvars.get("inventory_dir"),
                getattr(getattr(self._loader, "_vault", None), "secrets", None),
            )
            if self._task.check_mode:
                store.read_only = True  # check mode: no record is created, stamped or moved
            access = resolve(
                host, hostvars, {k: args[k] for k in OVERRIDES if args.get(k) is not None}, store
            )
            driver = access.driver(args["username"], timeout=args["timeout"])
            budget = access.budget("rotation")
            if args["factory_passwords"] and not self._task.check_mode:
                # an account the engineer named with its factory password: kept in the
                # encrypted store so later runs (and the assessment) know it too
                for pw in args["factory_passwords"]:
                    store.remember_factory(host, args["username"], pw, "named by the engineer")
        except AccessError as exc:
            return self._no_driver(result, host, args, str(exc))
        except (UnknownDriver, StoreError, BudgetError, ValueError) as exc:
            raise AnsibleActionFail(str(exc)) from None

        outcome = Rotation(
            host,
            args["username"],
            driver,
            store,
            policy=args["regenerate"],
            max_age_days=args["max_age_days"],
            factory_passwords=access.factory_passwords(args["username"]),
            new_password=args["new_password"],
            length=args["password_length"],
            check_mode=bool(self._task.check_mode),
            verify_retries=args["verify_retries"],
            retry_delay=args["retry_delay"],
            default_account=args["default_account"],
            budget=budget,
        ).run()

        outcome["address"] = access.address
        outcome["identity"] = {"status": access.identity[0], "detail": access.identity[1]}
        outcome["seconds"] = round(time.monotonic() - started, 3)
        result.update(outcome)
        if self._task.diff and outcome["status"] in ("rotated", "would_rotate", "reconciled"):
            user = args["username"]
            after = "pending promoted" if outcome["status"] == "reconciled" else "new password (stored)"
            result["diff"] = {
                "before_header": "%s credential" % host,
                "after_header": "%s credential" % host,
                "before": "%s: %s credential\n" % (user, outcome.get("credential_source") or "unknown"),
                "after": "%s: %s\n" % (user, after),
            }
        if outcome["status"] in ("failed", "budget_exhausted") and args["fail_on_error"]:
            result["failed"] = True
            result["msg"] = "%s: rotation of %r failed: %s" % (host, args["username"], outcome["reason"])
        else:
            result["msg"] = "%s: %s" % (outcome["status"], outcome["reason"])
        return result
