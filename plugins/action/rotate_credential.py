# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of iotguard.hardening.rotate_credential: glue only.

Picks the driver and the factory defaults from the host's discovery facts, builds the
store (with the play's own vault secrets), runs the transaction from module_utils.rotation
and shapes the result. Nothing secret goes into the result or the diff.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError, get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import (
    UnknownDriver,
    driver_name_for,
    get_driver,
    get_driver_class,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import Rotation
from ansible_collections.iotguard.hardening.plugins.modules.rotate_credential import ARGUMENT_SPEC

try:
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints

    HAS_FINGERPRINTS = True
except ImportError:  # pragma: no cover - the discovery data ships with the collection
    HAS_FINGERPRINTS = False


def fingerprint_defaults(fingerprint_id):
    """Factory credentials the fingerprint data lists for this product (not in host vars)."""
    if not HAS_FINGERPRINTS or not isinstance(fingerprint_id, str):
        return []
    fp = fingerprints.by_id(fingerprint_id)
    return list((fp or {}).get("default_credentials") or [])


def factory_passwords_for(username, task_vars_values):
    """Factory defaults for ``username`` from discovery's facts (several shapes accepted)."""
    out = []
    for source in task_vars_values:
        if not source:
            continue
        if isinstance(source, dict):
            source = source.get("default_credentials") or []
        for item in source if isinstance(source, list) else []:
            if isinstance(item, dict) and item.get("username") in (username, None, "*"):
                pw = item.get("password")
                if isinstance(pw, str) and pw not in out:
                    out.append(pw)
    return out


def switch_auth(options, username, enable, store, host, fact_sources):
    """Switches need a second credential: the enable secret to change a local user, or a
    local user's login to change the enable secret. Taken from the store (current), else
    from the factory defaults, unless driver_options gives it."""
    record = store.load(host)["accounts"]
    if username == enable:
        if options.get("login_username") and options.get("login_password"):
            return
        for user, acct in sorted(record.items()):
            if user != enable and acct.get("current"):
                options.setdefault("login_username", user)
                options.setdefault("login_password", acct["current"])
                return
        for source in fact_sources:
            items = source.get("default_credentials") if isinstance(source, dict) else source
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("username") not in (None, enable):
                    options.setdefault("login_username", item["username"])
                    options.setdefault("login_password", item.get("password"))
                    return
        return
    if "enable_secret" in options:
        return
    current = (record.get(enable) or {}).get("current")
    if current:
        options["enable_secret"] = current
        return
    factory = factory_passwords_for(enable, fact_sources)
    if factory:
        options["enable_secret"] = factory[0]


def build_store(args, task_vars, loader):
    backend = args["store"]
    if backend == "vault_file":
        path = args["store_path"] or task_vars.get("inventory_dir")
        secrets = getattr(getattr(loader, "_vault", None), "secrets", None)
        return get_store(
            "vault_file", inventory_dir=path, codec=VaultCodec(secrets, encrypt_vault_id=args["vault_id"])
        )
    return get_store("keepass", path=args["store_path"], master_password=args["store_password"])


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def _var(self, task_vars, name):
        value = task_vars.get(name)
        return self._templar.template(value) if value is not None else None

    @staticmethod
    def _no_driver(result, host, args):
        reason = (
            "no driver for this device: discovery set no iot_driver (the product is not manageable "
            "or not supported yet); set iot_driver for the host (for example hikvision_isapi)"
        )
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

        host = task_vars.get("inventory_hostname")
        address = args["address"] or self._var(task_vars, "ansible_host") or host
        fingerprint = self._var(task_vars, "iot_fingerprint") or {}
        driver_name = args["driver"] or driver_name_for(
            {
                "iot_driver": self._var(task_vars, "iot_driver"),
                "iot_fingerprint": fingerprint,
                "iot_open_ports": self._var(task_vars, "iot_open_ports"),
            }
        )
        fp_defaults = fingerprint_defaults(self._var(task_vars, "iot_fingerprint_id"))
        if not driver_name:
            return self._no_driver(result, host, args)
        factory = args["factory_passwords"]
        if factory is None:
            factory = factory_passwords_for(
                args["username"], [self._var(task_vars, "iot_default_credentials"), fingerprint, fp_defaults]
            )
        policy = args["password_policy"]
        if policy is None and isinstance(fingerprint, dict):
            policy = fingerprint.get("password_policy")
        options = dict(args["driver_options"] or {})
        if policy:
            options["password_policy"] = policy
        if args["max_age_days"] is None and args["regenerate"] == "max_age":
            raise AnsibleActionFail("regenerate=max_age needs max_age_days (for example 90)")

        try:
            store = build_store(args, task_vars, self._loader)
            enable = getattr(get_driver_class(driver_name), "enable_account", None)
            if enable:
                defaults = self._var(task_vars, "iot_default_credentials")
                switch_auth(
                    options, args["username"], enable, store, host, [defaults, fingerprint, fp_defaults]
                )
            port = args["port"] or self._var(task_vars, "iot_port")
            driver = get_driver(driver_name, address, port=port, timeout=args["timeout"], **options)
        except (UnknownDriver, StoreError, ValueError) as exc:
            raise AnsibleActionFail(str(exc)) from None

        outcome = Rotation(
            host,
            args["username"],
            driver,
            store,
            policy=args["regenerate"],
            max_age_days=args["max_age_days"],
            factory_passwords=factory,
            new_password=args["new_password"],
            length=args["password_length"],
            check_mode=bool(self._task.check_mode),
            verify_retries=args["verify_retries"],
            retry_delay=args["retry_delay"],
            default_account=args["default_account"],
        ).run()

        outcome["address"] = address
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
        if outcome["status"] == "failed" and args["fail_on_error"]:
            result["failed"] = True
            result["msg"] = "%s: rotation of %r failed: %s" % (host, args["username"], outcome["reason"])
        else:
            result["msg"] = "%s: %s" % (outcome["status"], outcome["reason"])
        return result
