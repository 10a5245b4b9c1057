# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Action for iotguard.hardening.totp_enroll: runs on the controller only (it needs the
play's vault secrets to keep the TOTP secrets encrypted)."""

from __future__ import annotations

import contextlib
import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.iotguard.hardening.plugins.module_utils import totp
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (
    StoreError,
    atomic_write,
    file_lock,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.handover import qr_png, write_private

SPEC = {
    "names": {"type": "list", "elements": "str", "required": True},
    "store": {"type": "path", "required": True},
    "issuer": {"type": "str", "default": "iotguard"},
    "export_dir": {"type": "path"},
    "create": {"type": "bool", "default": True},
    "revoke": {"type": "list", "elements": "str", "default": []},
}


def load_secrets(path, codec):
    """The one place TOTP secrets are read: {name: base32 secret} from a vault-encrypted file."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(codec.decrypt(raw))
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(
            "cannot decrypt %s (%s); run with the vault password it was written with" % (path, exc)
        ) from exc
    return dict(data.get("totp_secrets") or {})


def export_sealed(path, codec, data):
    """Write ``data`` vault-encrypted (0600) unless ``path`` already holds it; True if written.

    The hand-over (otpauth URI, QR code) is a secret: it exists on the controller only
    inside the vault, and is opened with ``ansible-vault view`` / ``ansible-vault decrypt
    --output``.
    """
    return write_private(path, data, encode=codec.encrypt, decode=codec.decrypt)


def remove_clear(base, exts=(".uri", ".png")):
    """Plain-text URI/QR files an earlier release left beside the vault; True if any went."""
    gone = False
    for ext in exts:
        if os.path.exists(base + ext):
            os.unlink(base + ext)
            gone = True
    return gone


def save_secrets(path, codec, secrets):
    """The one place TOTP secrets are written: vault-encrypted, 0600, atomically."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    data = json.dumps({"version": 1, "totp_secrets": secrets}, sort_keys=True).encode("utf-8")
    atomic_write(path, codec.encrypt(data), 0o600)


def _no_lock():
    """Check mode writes nothing, so it takes no lock file either."""
    return contextlib.nullcontext()


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=SPEC)
        try:
            for i, n in enumerate(args["names"]):
                totp.check_name(n, "names[%d]" % i)
            for i, n in enumerate(args["revoke"]):
                totp.check_name(n, "revoke[%d]" % i)
        except totp.TotpError as exc:
            raise AnsibleActionFail(str(exc)) from None
        both = sorted(set(args["names"]) & set(args["revoke"]))
        if both:
            raise AnsibleActionFail(
                "names and revoke both list %s: an engineer is either enrolled or revoked" % ", ".join(both)
            )
        store = args["store"]
        revoked = []
        try:
            codec = VaultCodec(self._loader._vault.secrets)  # pylint: disable=protected-access
            lock = os.path.join(os.path.dirname(store) or ".", "." + os.path.basename(store) + ".lock")
            if not self._task.check_mode:
                os.makedirs(os.path.dirname(store) or ".", mode=0o700, exist_ok=True)
            with file_lock(lock) if not self._task.check_mode else _no_lock():
                secrets = load_secrets(store, codec)
                if not args["create"]:
                    totp.require_secrets(args["names"], secrets, store)
                created = [n for n in args["names"] if n not in secrets]
                for n in created:
                    secrets[n] = totp.new_secret()
                revoked = [n for n in args["revoke"] if n in secrets]
                for n in revoked:
                    del secrets[n]
                if (created or revoked) and not self._task.check_mode:
                    save_secrets(store, codec, secrets)
        except totp.TotpError as exc:
            raise AnsibleActionFail("store=%s: %s" % (store, exc)) from None
        except (StoreError, OSError) as exc:
            raise AnsibleActionFail("store=%s: %s" % (store, exc)) from None
        if args["export_dir"]:
            for n in args["revoke"]:
                base = os.path.join(args["export_dir"], "%s-totp" % n)
                if any(os.path.exists(base + e) for e in (".uri.vault", ".png.vault", ".uri", ".png")):
                    if n not in revoked:
                        revoked.append(n)
                    if not self._task.check_mode:
                        remove_clear(base, (".uri.vault", ".png.vault", ".uri", ".png"))
        exported = []
        if args["export_dir"] and not self._task.check_mode:
            try:
                for n in args["names"]:
                    uri = totp.otpauth_uri(secrets[n], n, args["issuer"])
                    base = os.path.join(args["export_dir"], "%s-totp" % n)
                    wrote = export_sealed(base + ".uri.vault", codec, (uri + "\n").encode("ascii"))
                    wrote = export_sealed(base + ".png.vault", codec, qr_png(uri)) or wrote
                    if remove_clear(base) or wrote:
                        exported.append(base + ".png.vault")
            except (StoreError, OSError) as exc:
                raise AnsibleActionFail("export_dir=%s: %s" % (args["export_dir"], exc)) from None
        result.update(
            changed=bool(created or exported or revoked),
            enrolled=created,
            revoked=revoked,
            exported=exported,
            secrets={n: secrets[n] for n in args["names"]},
            _ansible_no_log=True,
        )
        return result
