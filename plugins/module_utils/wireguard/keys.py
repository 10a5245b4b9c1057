# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""WireGuard key files: generate on the machine that uses the key, keep 0600, rotate in stages.

Two backends make keys: the ``wg`` tool (wireguard-tools, on hubs and peers) and the
``cryptography`` package (X25519, on a controller without wireguard-tools). The policy
(``regenerate``) and the rotation stages live in :func:`ensure_key`, shared by both.

Rotation is staged so that a tunnel is never cut by surprise: ``stage`` writes the new
key beside the old one (``<path>.next``), the caller makes the far end accept the new
public key and proves a handshake with it, then ``commit`` replaces the old key (or
``abort`` throws the new one away).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets

from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - depends on the host
    HAS_CRYPTOGRAPHY = False

REGENERATE = ("never", "invalid", "always")
ROTATION = ("none", "stage", "commit", "abort")
KINDS = ("private", "preshared")
NEXT_SUFFIX = ".next"
MAX_KEY_FILE = 4096


def check_key(value, field):
    """``value`` must be a base64 WireGuard key (32 bytes); return it stripped."""
    text = value.strip() if isinstance(value, str) else value
    try:
        ok = isinstance(text, str) and len(text) == 44 and len(base64.b64decode(text, validate=True)) == 32
    except (binascii.Error, ValueError):
        ok = False
    if not ok:
        shown = text if isinstance(text, str) and len(text) <= 60 else "(%d characters)" % len(str(text))
        raise WireGuardError(
            "%s=%r is not a WireGuard key: expected 44 base64 characters (32 bytes), as `wg pubkey` prints"
            % (field, shown)
        )
    return text


class KeyBackend:
    name = "base"

    def private(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def public(self, private):  # pragma: no cover - abstract
        raise NotImplementedError

    def preshared(self):
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


class WgToolBackend(KeyBackend):
    """``wg genkey`` / ``wg pubkey`` / ``wg genpsk``; ``run(argv, data)`` returns (rc, out, err)."""

    name = "wg"

    def __init__(self, run, wg="wg"):
        self._run = run
        self._wg = wg

    def _call(self, args, data=None):
        rc, out, err = self._run([self._wg, *args], data)
        if rc != 0:
            raise WireGuardError(
                "`wg %s` failed (rc=%s): %s" % (" ".join(args), rc, (err or "").strip()[:300])
            )
        return out.strip()

    def private(self):
        return check_key(self._call(["genkey"]), "generated key")

    def public(self, private):
        return check_key(self._call(["pubkey"], private + "\n"), "derived public key")

    def preshared(self):
        return check_key(self._call(["genpsk"]), "generated preshared key")


class CryptographyBackend(KeyBackend):
    name = "cryptography"

    def __init__(self):
        if not HAS_CRYPTOGRAPHY:
            raise WireGuardError("backend=cryptography needs the Python package cryptography: install it")

    def private(self):
        raw = X25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return base64.b64encode(raw).decode("ascii")

    def public(self, private):
        key = X25519PrivateKey.from_private_bytes(base64.b64decode(private))
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")


def select_backend(name, run=None, wg_path=None):
    """``auto`` prefers the ``wg`` tool (what the interface itself will use)."""
    if name == "wg" or (name == "auto" and wg_path):
        if not wg_path:
            raise WireGuardError("backend=wg but the `wg` tool is not installed: install wireguard-tools")
        return WgToolBackend(run, wg_path)
    if name in ("cryptography", "auto"):
        if not HAS_CRYPTOGRAPHY:
            raise WireGuardError(
                "backend=%s: neither `wg` (wireguard-tools) nor the Python package cryptography is "
                "available: install one of them" % name
            )
        return CryptographyBackend()
    raise WireGuardError("backend=%r is unknown: use auto, wg or cryptography" % (name,))


def read_key(path):
    """(key or None, problem or None, mode or None) for the file at ``path``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None, None, None
    if st.st_size > MAX_KEY_FILE:
        return None, "%s is %d bytes, too big for a key" % (path, st.st_size), st.st_mode & 0o777
    with open(path, encoding="ascii", errors="replace") as fh:
        text = fh.read().strip()
    try:
        return check_key(text, "key file %s" % path), None, st.st_mode & 0o777
    except WireGuardError as exc:
        return None, str(exc), st.st_mode & 0o777


def write_key(path, key):
    """Atomically write ``key`` to ``path``, 0600 from the first byte."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def ensure_key(path, backend, kind="private", regenerate="never", rotation="none", check_mode=False):
    """Bring the key file at ``path`` to the wanted state; return a result without secrets.

    Result: ``changed``, ``public_key`` (private keys), ``pending_public_key`` (a staged
    key, else None), ``actions`` (what was or would be done) and a ``diff`` showing public
    keys only.
    """
    if kind not in KINDS:
        raise WireGuardError("type=%r is unknown: use private or preshared" % (kind,))
    if regenerate not in REGENERATE:
        raise WireGuardError("regenerate=%r is unknown: use one of %s" % (regenerate, ", ".join(REGENERATE)))
    if rotation not in ROTATION:
        raise WireGuardError("rotation=%r is unknown: use one of %s" % (rotation, ", ".join(ROTATION)))
    if kind == "preshared" and rotation != "none":
        raise WireGuardError(
            "rotation=%s applies to private keys only: rotate a preshared key with regenerate=always"
            % rotation
        )
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory) and not check_mode:
        raise WireGuardError(
            "path=%r: directory %s does not exist; create it (mode 0700) first" % (path, directory)
        )

    nxt = path + NEXT_SUFFIX
    key, problem, mode = read_key(path)
    pending, pending_problem, pending_mode = read_key(nxt)
    actions = []
    public = backend.public if kind == "private" else (lambda _k: None)
    before = {
        "public_key": public(key) if key else None,
        "pending_public_key": public(pending) if pending else None,
    }

    if problem and regenerate == "never":
        raise WireGuardError(
            "path=%r holds no valid key (%s): fix or remove the file, or set regenerate=invalid to replace it"
            % (path, problem)
        )
    new_key = None
    if key is None or regenerate == "always" or problem:
        new_key = backend.private() if kind == "private" else backend.preshared()
        actions.append("generate" if key is None and not problem else "regenerate")
        key = new_key
    elif mode != 0o600:
        actions.append("chmod 0600")

    new_pending = None
    drop_pending = False
    if rotation == "stage":
        if pending is None or pending_problem:
            new_pending = backend.private()
            actions.append("stage new key")
            pending = new_pending
        elif pending_mode != 0o600:
            actions.append("chmod 0600 staged key")
    elif rotation == "commit" and (pending or pending_problem):
        if pending_problem:
            raise WireGuardError(
                "rotation=commit but the staged key %s is not valid (%s): stage again"
                % (nxt, pending_problem)
            )
        actions.append("commit staged key")
        key, pending = pending, None
    elif rotation == "abort" and (pending or pending_problem):
        actions.append("discard staged key")
        pending = None
        drop_pending = True

    after = {"public_key": public(key), "pending_public_key": public(pending) if pending else None}
    if not check_mode:
        if new_key is not None:
            write_key(path, new_key)
        elif "chmod 0600" in actions:
            os.chmod(path, 0o600)
        if new_pending is not None:
            write_key(nxt, new_pending)
        elif "chmod 0600 staged key" in actions:
            os.chmod(nxt, 0o600)
        if "commit staged key" in actions:
            os.chmod(nxt, 0o600)
            os.rename(nxt, path)
        if drop_pending:
            os.unlink(nxt)
    result = {"changed": bool(actions), "actions": actions, "diff": {"before": before, "after": after}}
    if kind == "private":
        result["public_key"] = after["public_key"]
        result["pending_public_key"] = after["pending_public_key"]
    return result
