# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KeePass (KDBX 4) store, for teams whose engineers already live in KeePassXC.

Layout: group ``iotguard/<host>``, one entry per account titled with the account name;
the entry's password is the *current* credential, so ``keepassxc-cli show -a Password``
or the KeePassXC UI shows what works. Pending password, timestamps and history are
protected custom attributes (``iotguard_*``). The whole database is locked with ``flock``
while it is read, changed and written back atomically.
"""

from __future__ import annotations

import contextlib
import json
import os

from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (
    CredentialStore,
    StoreError,
    check_host_name,
    empty_account,
    file_lock,
    register,
)

try:
    from pykeepass import PyKeePass, create_database

    HAS_PYKEEPASS = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_PYKEEPASS = False

ROOT_GROUP = "iotguard"
_PROPS = ("pending", "pending_since", "pending_unsent", "current_since", "source")


@register
class KeePassStore(CredentialStore):
    name = "keepass"

    def __init__(self, path, master_password, keyfile=None, **_ignored):
        if not HAS_PYKEEPASS:
            raise StoreError("store=keepass needs the Python library pykeepass on the controller")
        if not path:
            raise StoreError("store=keepass needs credential_store_path: the .kdbx file to use")
        if not master_password:
            raise StoreError("store=keepass needs credential_store_password (the database master password)")
        self.path = os.path.abspath(path)
        self.master_password = master_password
        self.keyfile = keyfile
        self._cached = None

    # two records live in the same file: one lock covers both (flock does not nest)
    def _both(self, a, b):
        check_host_name(a)
        check_host_name(b)
        return self._lock(a)

    def identity_lock(self):
        return file_lock(self.path + ".identity.lock")

    # one lock for the whole database file; the opened database is reused while it is held
    @contextlib.contextmanager
    def _lock(self, host):
        with file_lock(self.path + ".lock"):
            self._cached = None
            try:
                yield
            finally:
                self._cached = None

    def _open(self, create=False):
        if not os.path.exists(self.path):
            if not create:
                return None
            directory = os.path.dirname(self.path)
            try:
                os.makedirs(directory, mode=0o700, exist_ok=True)
                tmp = self.path + ".%d.tmp" % os.getpid()
                kp = create_database(tmp, password=self.master_password, keyfile=self.keyfile)
                os.chmod(tmp, 0o600)
                os.rename(tmp, self.path)
            except OSError as exc:
                raise StoreError("cannot create %s: %s; make it writable" % (self.path, exc)) from exc
            kp.filename = self.path
            return kp
        try:
            return PyKeePass(self.path, password=self.master_password, keyfile=self.keyfile)
        except Exception as exc:
            raise StoreError(
                "cannot open %s (%s); check credential_store_password" % (self.path, type(exc).__name__)
            ) from exc

    @staticmethod
    def _host_group(kp, host, create=False):
        root = kp.find_groups(name=ROOT_GROUP, group=kp.root_group, recursive=False, first=True)
        if root is None:
            if not create:
                return None
            root = kp.add_group(kp.root_group, ROOT_GROUP)
        grp = kp.find_groups(name=host, group=root, recursive=False, first=True)
        if grp is None and create:
            grp = kp.add_group(root, host)
        return grp

    def _read(self, host):
        kp = self._open()
        self._cached = kp
        if kp is None:
            return None
        grp = self._host_group(kp, host)
        if grp is None:
            return None
        accounts = {}
        for entry in grp.entries:
            acct = empty_account()
            acct["current"] = entry.password or None
            for key in _PROPS:
                acct[key] = entry.get_custom_property("iotguard_" + key) or None
            for key, default in (("history", "[]"), ("factory", "[]")):
                try:
                    acct[key] = json.loads(entry.get_custom_property("iotguard_" + key) or default)
                except ValueError:
                    acct[key] = []
            accounts[entry.title] = acct
        try:
            meta = json.loads(grp.notes or "{}")
        except ValueError:
            meta = {}
        meta = meta if isinstance(meta, dict) else {}
        return {
            "version": 1,
            "accounts": accounts,
            "identity": meta.get("identity"),
            "policy": meta.get("policy"),
        }

    def _write(self, host, record):
        kp = self._cached or self._open(create=True)
        grp = self._host_group(kp, host, create=True)
        for user, acct in record["accounts"].items():
            entry = kp.find_entries(title=user, group=grp, recursive=False, first=True)
            if entry is None:
                entry = kp.add_entry(grp, user, user, acct.get("current") or "")
            elif entry.password != (acct.get("current") or ""):
                entry.save_history()
                entry.password = acct.get("current") or ""
            for key in _PROPS:
                value = acct.get(key)
                if value:
                    entry.set_custom_property("iotguard_" + key, str(value), protect=key == "pending")
                elif entry.get_custom_property("iotguard_" + key) is not None:
                    entry.delete_custom_property("iotguard_" + key)
            entry.set_custom_property("iotguard_history", json.dumps(acct.get("history") or []), protect=True)
            entry.set_custom_property("iotguard_factory", json.dumps(acct.get("factory") or []), protect=True)
        for entry in list(grp.entries):
            if entry.title not in record["accounts"]:
                kp.delete_entry(entry)  # the record moved to its device's new host
        grp.notes = json.dumps({"identity": record.get("identity"), "policy": record.get("policy")})
        tmp = self.path + ".%d.tmp" % os.getpid()
        try:
            kp.save(filename=tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.rename(tmp, self.path)
        except OSError as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise StoreError("cannot write %s: %s; make it writable and re-run" % (self.path, exc)) from exc

    def hosts(self):
        kp = self._open()
        if kp is None:
            return []
        root = kp.find_groups(name=ROOT_GROUP, group=kp.root_group, recursive=False, first=True)
        return sorted(g.name for g in root.subgroups) if root else []
