# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The device access resolver: host vars + credential store + overrides -> how to reach a
device (driver), which accounts it has, their factory passwords, and its login budget.

Every action that logs in to a device (rotation, the assessment) asks this module; none
picks a driver or a secret itself. Host vars never carry passwords: factory passwords come
from the product data (looked up by ``iot_fingerprint_id``), from discovery's
``iot_default_credentials`` (lab and hand-built inventories) or from the engineer's
overrides; stored ones from the credential store.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    Ledger,
    LoginBudget,
    default_ledger_path,
    device_keys,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.access.identity import (
    device_identity,
    reconcile,
    same_device,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import NOT_LOGINS
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import (
    driver_name_for,
    get_driver,
    get_driver_class,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.web import web_login_port

try:
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints

    HAS_FINGERPRINTS = True
except ImportError:  # pragma: no cover - the discovery data ships with the collection
    HAS_FINGERPRINTS = False


#: host vars the resolver reads; callers template them first (discovery marks device data
#: unsafe, so templating leaves it as it is)
ACCESS_VARS = (
    "ansible_host",
    "inventory_dir",
    "iot_driver",
    "iot_fingerprint",
    "iot_fingerprint_id",
    "iot_open_ports",
    "iot_services",
    "iot_default_credentials",
    "iot_port",
    "iot_mac",
    "iot_serial",
    "iot_lockout",
    "iot_lockout_configured",
)


def access_hostvars(template, task_vars):
    """The resolver's host vars out of a task's vars, each passed through ``template``."""
    out = {}
    for name in ACCESS_VARS:
        value = task_vars.get(name)
        if value is not None:
            out[name] = template(value)
    return out


#: the source of a factory credential named in the host's own ``iot_default_credentials``
NAMED_SOURCE = "named for this device (host vars)"


class AccessError(ValueError):
    """The host cannot be reached as configured; the message names the field and the fix."""


def fingerprint_data(fingerprint_id):
    """The product data discovery's fingerprint id points at (empty when unknown)."""
    if not HAS_FINGERPRINTS or not isinstance(fingerprint_id, str) or not fingerprint_id:
        return {}
    return dict(fingerprints.by_id(fingerprint_id) or {})


def _cred_items(source):
    if isinstance(source, dict):
        source = source.get("default_credentials") or []
    return [item for item in source if isinstance(item, dict)] if isinstance(source, list) else []


def factory_passwords_for(username, sources):
    """Factory passwords for ``username`` from several sources (lists of
    ``{username, password}`` or dicts holding ``default_credentials``), first source first."""
    out = []
    for source in sources:
        for item in _cred_items(source):
            if item.get("username") in (username, None, "*"):
                pw = item.get("password")
                if isinstance(pw, str) and pw not in out:
                    out.append(pw)
    return out


def build_store(
    backend, store_path=None, inventory_dir=None, vault_secrets=None, vault_id=None, master_password=None
):
    """The credential store the play uses (vault_file beside the inventory, or keepass)."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store

    if backend == "vault_file":
        from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import (
            VaultCodec,
        )

        return get_store(
            "vault_file",
            inventory_dir=store_path or inventory_dir,
            codec=VaultCodec(vault_secrets, encrypt_vault_id=vault_id),
        )
    return get_store("keepass", path=store_path, master_password=master_password)


def store_from_options(options, inventory_dir, vault_secrets):
    """The store from a task's ``store``/``store_path``/``store_password``/``vault_id``."""
    return build_store(
        options["store"],
        store_path=options.get("store_path"),
        inventory_dir=inventory_dir,
        vault_secrets=vault_secrets,
        vault_id=options.get("vault_id"),
        master_password=options.get("store_password"),
    )


class DeviceAccess:
    """How to reach one device. Built by :func:`resolve`; holds no password itself except
    through the store and the product data it points at."""

    def __init__(self, host, hostvars, overrides, store, ledger):
        self.host = host
        self.hostvars = hostvars
        self.overrides = overrides
        self.store = store
        self.ledger = ledger
        self.address = overrides.get("address") or hostvars.get("ansible_host") or host
        self.port = overrides.get("port") or hostvars.get("iot_port")
        fingerprint = hostvars.get("iot_fingerprint")
        self.fingerprint = fingerprint if isinstance(fingerprint, dict) else {}
        self.product = fingerprint_data(hostvars.get("iot_fingerprint_id"))
        self.driver_name = overrides.get("driver") or driver_name_for(
            {
                "iot_driver": hostvars.get("iot_driver"),
                "iot_fingerprint": self.fingerprint,
                "iot_open_ports": hostvars.get("iot_open_ports"),
            }
        )
        self.identity = ("unknown", "not checked")
        self.keys = device_keys(
            address=self.address, mac=hostvars.get("iot_mac"), serial=hostvars.get("iot_serial")
        )

    # -- what the device has -------------------------------------------------------------
    def _fact_sources(self):
        return [self.hostvars.get("iot_default_credentials"), self.fingerprint, self.product]

    def _stored_factory(self):
        """``{username: [factory passwords]}`` the store knows beyond the product data."""
        if self.store is None:
            return {}
        out = {}
        for user, acct in self.store.load(self.host)["accounts"].items():
            for item in acct.get("factory") or []:
                if isinstance(item, dict) and isinstance(item.get("password"), str):
                    out.setdefault(user, []).append(item["password"])
        return out

    def factory_credentials(self):
        """Every factory credential the evidence knows of, as ``{username, password, source,
        documented}``: the product data (or facts), then what the store learned (engineer-named
        accounts, common defaults the assessment proved accepted)."""
        out, seen = [], set()
        for index, source in enumerate(self._fact_sources()):
            for item in _cred_items(source):
                pair = (item.get("username"), item.get("password"))
                if isinstance(pair[0], str) and isinstance(pair[1], str) and pair not in seen:
                    seen.add(pair)
                    if index == 0:
                        # the host's own iot_default_credentials: what the engineer knows of
                        # this one device (an installer's password), not product data
                        item = dict(item, named=True, source=item.get("source") or NAMED_SOURCE)
                    out.append(dict(item, documented=True))
        for user, passwords in sorted(self._stored_factory().items()):
            for pw in passwords:
                if (user, pw) not in seen:
                    seen.add((user, pw))
                    out.append(
                        {
                            "username": user,
                            "password": pw,
                            "source": "known for this device (store)",
                            "documented": True,
                        }
                    )
        return out

    def factory_accounts(self):
        """Account names with a factory default in the evidence (facts, product data, store).
        When the host's own ``iot_default_credentials`` names accounts with their passwords,
        the engineer has described this device's accounts: the product data's are not guessed
        (each guess would spend a failed login from the device's budget)."""
        out = []
        sources = self._fact_sources()
        if any(isinstance(item.get("password"), str) for item in _cred_items(sources[0])):
            sources = sources[:1]
        for source in sources:
            items = source if isinstance(source, list) else _cred_items(source)
            for item in items:
                name = (
                    item
                    if isinstance(item, str)
                    else item.get("username")
                    if isinstance(item, dict)
                    else None
                )
                if isinstance(name, str) and name and name not in out:
                    out.append(name)
        for name in sorted(self._stored_factory()):
            if name not in out:
                out.append(name)
        return out

    def factory_passwords(self, username):
        given = self.overrides.get("factory_passwords")
        if given is not None:
            return [pw for pw in given if isinstance(pw, str)]
        out = factory_passwords_for(username, self._fact_sources())
        return out + [pw for pw in self._stored_factory().get(username, []) if pw not in out]

    def stored_credentials(self):
        """``[(username, current password)]`` the store holds for this host (empty when
        there is no store or it cannot be read; the caller notes why)."""
        if self.store is None:
            return []
        record = self.store.load(self.host)
        return [
            (user, acct["current"])
            for user, acct in sorted(record["accounts"].items())
            if isinstance(acct, dict) and acct.get("current") and user not in NOT_LOGINS
        ]

    def password_policy(self):
        policy = self.overrides.get("password_policy")
        if policy is None and self.store is not None:
            policy = self.store.load(self.host).get("policy")  # what the device itself stated
        if policy is None:
            policy = self.fingerprint.get("password_policy") or self.product.get("password_policy")
        return policy

    # -- how to reach it -------------------------------------------------------------------
    def driver(self, username, timeout=10.0):
        """A driver instance for logging in as ``username`` (switches get the second
        credential they need from the store or the factory defaults)."""
        if not self.driver_name:
            port, tls = web_login_port(self.hostvars.get("iot_services"))
            if port is not None:
                # no driver and no shell, but a web login that asks for Basic/Digest: one that
                # proves credentials and makes the change an engineer's manual step
                options = dict(self.overrides.get("driver_options") or {}, use_tls=tls)
                port = self.port or port
                return get_driver("web_login", self.address, port=port, timeout=timeout, **options)
            raise AccessError(
                "host %r: no driver for this device: discovery set no iot_driver (the product is not "
                "manageable or not supported yet); set iot_driver for the host (for example "
                "hikvision_isapi)" % self.host
            )
        options = dict(self.overrides.get("driver_options") or {})
        policy = self.password_policy()
        if policy:
            options["password_policy"] = policy
        enable = getattr(get_driver_class(self.driver_name), "enable_account", None)
        if enable:
            self._switch_auth(options, username, enable)
        return get_driver(self.driver_name, self.address, port=self.port, timeout=timeout, **options)

    def _switch_auth(self, options, username, enable):
        """Switches need a second credential: the enable secret to change a local user, or a
        local user's login to change the enable secret. Taken from the store (current), else
        from the factory defaults, unless driver_options gives it."""
        record = self.store.load(self.host)["accounts"] if self.store is not None else {}
        if username == enable:
            if options.get("login_username") and options.get("login_password"):
                return
            for user, acct in sorted(record.items()):
                if user != enable and acct.get("current"):
                    options.setdefault("login_username", user)
                    options.setdefault("login_password", acct["current"])
                    return
            for source in self._fact_sources():
                for item in _cred_items(source):
                    if item.get("username") not in (None, enable):
                        options.setdefault("login_username", item["username"])
                        options.setdefault("login_password", item.get("password"))
                        return
            return
        if username is None:
            # any account (the assessment's re-check): proving the enable secret needs a
            # local user's login too, the store's current one
            for user, acct in sorted(record.items()):
                if user != enable and user not in NOT_LOGINS and acct.get("current"):
                    options.setdefault("login_username", user)
                    options.setdefault("login_password", acct["current"])
                    break
        if "enable_secret" in options:
            return
        current = (record.get(enable) or {}).get("current")
        if current:
            options["enable_secret"] = current
            return
        factory = factory_passwords_for(enable, self._fact_sources())
        if factory:
            options["enable_secret"] = factory[0]

    def budget(self, who, max_attempts=5):
        """The device's login budget for this part of the run (shared through the ledger)."""
        configured = self.hostvars.get("iot_lockout_configured")
        return LoginBudget.for_device(
            self.keys,
            self.ledger,
            product=self.hostvars.get("iot_lockout") or self.product.get("lockout"),
            configured=configured if isinstance(configured, dict) else None,
            who=who,
            max_attempts=max_attempts,
        )


def resolve(host, hostvars, overrides=None, store=None, ledger=None):
    """The access to ``host`` from its (templated) host vars, the store and the overrides
    (``address``, ``port``, ``driver``, ``factory_passwords``, ``password_policy``,
    ``driver_options``). ``ledger``: a Ledger or its path; default the one beside the
    inventory (in memory when the host has no ``inventory_dir``)."""
    hostvars = dict(hostvars or {})
    if not isinstance(ledger, Ledger):
        ledger = Ledger(ledger or default_ledger_path(hostvars.get("inventory_dir")))
    access = DeviceAccess(host, hostvars, dict(overrides or {}), store, ledger)
    # before any stored credential is used: the record must be this device's (MAC/serial)
    access.identity = reconcile(store, host, device_identity(hostvars))
    return access


def known_accounts(host, hostvars, store=None):
    """Names of the accounts with a factory password known for ``host``: the product data,
    discovery's facts and the credential store, read NOW (not from host vars loaded when
    the play started: an assessment earlier in the same run may have just proven a common
    default open and kept it in the store). Read only: no record is moved or stamped; a
    record written for another device (its MAC or serial differs) adds nothing."""
    hostvars = dict(hostvars or {})
    if (
        store is not None
        and same_device(store.load(host).get("identity"), device_identity(hostvars)) is False
    ):
        store = None
    return DeviceAccess(host, hostvars, {}, store, Ledger(None)).factory_accounts()
