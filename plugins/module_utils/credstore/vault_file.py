# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The embedded default store: one ansible-vault encrypted file per host under host_vars.

``<inventory_dir>/host_vars/<host>/iotguard_credentials.yml`` holds the variable
``iotguard_credentials`` (the record described in ``credstore``), so the next play sees the
rotated credentials with nothing else to configure, and a GitOps repository can hold them.
Every string is tagged ``!unsafe`` so a password is never templated. Writes are atomic
(temp file, fsync, rename) under a per-host ``flock`` so concurrent forks cannot lose one
another's updates.
"""

from __future__ import annotations

import json
import os

from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (
    CredentialStore,
    StoreError,
    atomic_write,
    file_lock,
    register,
)

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

try:
    # Controller only (action and lookup plugins), never shipped to a device: the store is
    # encrypted with the play's own vault secrets.
    from ansible.parsing.vault import (  # pylint: disable=ansible-bad-module-import
        VaultLib,
        is_encrypted,
        match_encrypt_secret,
    )

    HAS_VAULT = True
except ImportError:  # pragma: no cover - controller only
    HAS_VAULT = False

VAR_NAME = "iotguard_credentials"
FILE_NAME = "iotguard_credentials.yml"
HEADER = "# Written by iotguard.hardening credential rotation. Do not edit by hand.\n"


class VaultCodec:
    """Encrypts with ansible-vault using the secrets the play was given."""

    def __init__(self, secrets, encrypt_vault_id=None):
        if not HAS_VAULT:
            raise StoreError("ansible-core is needed on the controller for the vault_file store")
        if not secrets:
            raise StoreError(
                "store=vault_file needs a vault password: run with --vault-password-file (or "
                "--ask-vault-pass / ANSIBLE_VAULT_PASSWORD_FILE) so credentials are stored encrypted"
            )
        self._lib = VaultLib(secrets)
        self._secrets = secrets
        self._encrypt_vault_id = encrypt_vault_id

    def encrypt(self, data):
        vault_id, secret = match_encrypt_secret(self._secrets, encrypt_vault_id=self._encrypt_vault_id)
        return self._lib.encrypt(data, secret, vault_id=vault_id)

    def decrypt(self, data):
        if not is_encrypted(data):
            raise StoreError("credential file is not vault-encrypted; refusing to read plain-text secrets")
        return self._lib.decrypt(data)


def _emit(obj):
    """YAML flow text with every string tagged !unsafe (JSON quoting is valid YAML)."""
    if isinstance(obj, dict):
        return "{%s}" % ", ".join("%s: %s" % (json.dumps(str(k)), _emit(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return "[%s]" % ", ".join(_emit(v) for v in obj)
    if isinstance(obj, str):
        return "!unsafe %s" % json.dumps(obj)
    return json.dumps(obj)


if HAS_YAML:

    class _Loader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        pass

    def _unsafe(loader, node):
        return loader.construct_scalar(node)

    _Loader.add_constructor("!unsafe", _unsafe)


def dumps(record):
    return HEADER + "%s: %s\n" % (VAR_NAME, _emit(record))


def loads(text):
    if not HAS_YAML:  # pragma: no cover
        raise StoreError("PyYAML is needed to read the vault_file store")
    data = yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or VAR_NAME not in data:
        raise StoreError("credential file does not define %s" % VAR_NAME)
    return data[VAR_NAME]


@register
class VaultFileStore(CredentialStore):
    name = "vault_file"

    def __init__(self, inventory_dir, codec, **_ignored):
        if not inventory_dir:
            raise StoreError(
                "store option inventory_dir is empty: set credential_store_path (the client's "
                "inventory directory, where host_vars/ lives)"
            )
        self.inventory_dir = os.path.abspath(inventory_dir)
        self.codec = codec

    def path(self, host):
        return os.path.join(self.inventory_dir, "host_vars", host, FILE_NAME)

    def _lock_path(self, host):
        d = os.path.join(self.inventory_dir, ".iotguard", "locks")
        try:
            os.makedirs(d, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError("cannot create %s: %s; make the inventory writable" % (d, exc)) from exc
        return os.path.join(d, host + ".lock")

    def _lock(self, host):
        return file_lock(self._lock_path(host))

    def _read(self, host):
        path = self.path(host)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError("cannot read %s: %s" % (path, exc)) from exc
        try:
            text = self.codec.decrypt(raw)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(
                "cannot decrypt %s (%s); run with the vault password it was written with" % (path, exc)
            ) from exc
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return loads(text)

    def _write(self, host, record):
        path = self.path(host)
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError("cannot create %s: %s; make it writable" % (os.path.dirname(path), exc)) from exc
        data = self.codec.encrypt(dumps(record).encode("utf-8"))
        atomic_write(path, data, 0o600)

    def hosts(self):
        base = os.path.join(self.inventory_dir, "host_vars")
        try:
            names = sorted(os.listdir(base))
        except FileNotFoundError:
            return []
        return [n for n in names if os.path.exists(os.path.join(base, n, FILE_NAME))]
