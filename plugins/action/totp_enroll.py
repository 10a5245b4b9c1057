# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Action for iotguard.hardening.totp_enroll: runs on the controller only (it needs the
play's vault secrets to keep the TOTP secrets encrypted)."""

from __future__ import annotations

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
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.export import qr_png, write_private
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.plan import NAME_RE

SPEC = {
    "names": {"type": "list", "elements": "str", "required": True},
    "store": {"type": "path", "required": True},
    "issuer": {"type": "str", "default": "iotguard"},
    "export_dir": {"type": "path"},
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


def remove_clear(base):
    """Plain-text URI/QR files an earlier release left beside the vault; True if any went."""
    gone = False
    for ext in (".uri", ".png"):
        if os.path.exists(base + ext):
            os.unlink(base + ext)
            gone = True
    return gone


def save_secrets(path, codec, secrets):
    """The one place TOTP secrets are written: vault-encrypted, 0600, atomically."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    data = json.dumps({"version": 1, "totp_secrets": secrets}, sort_keys=True).encode("utf-8")
    atomic_write(path, codec.encrypt(data), 0o600)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=SPEC)
        for n in args["names"]:
            if not isinstance(n, str) or not NAME_RE.match(n):
                raise AnsibleActionFail(
                    "names has %r: use 1-63 lower-case letters, digits, '.', '_' or '-' (the peer's name)"
                    % (n,)
                )
        store = args["store"]
        try:
            codec = VaultCodec(self._loader._vault.secrets)  # pylint: disable=protected-access
            lock = os.path.join(os.path.dirname(store) or ".", "." + os.path.basename(store) + ".lock")
            os.makedirs(os.path.dirname(store) or ".", mode=0o700, exist_ok=True)
            with file_lock(lock):
                secrets = load_secrets(store, codec)
                created = [n for n in args["names"] if n not in secrets]
                for n in created:
                    secrets[n] = totp.new_secret()
                if created and not self._task.check_mode:
                    save_secrets(store, codec, secrets)
        except (StoreError, OSError) as exc:
            raise AnsibleActionFail("store=%s: %s" % (store, exc)) from None
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
            changed=bool(created or exported),
            enrolled=created,
            exported=exported,
            secrets={n: secrets[n] for n in args["names"]},
            _ansible_no_log=True,
        )
        return result
