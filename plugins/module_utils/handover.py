# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Files handed out from the controller (VPN profiles, TOTP enrolments): written atomically
with mode 0600, unchanged when their content is; QR codes for authenticator apps."""

from __future__ import annotations

import contextlib
import io
import os

try:
    import qrcode

    HAS_QRCODE = True
except ImportError:  # pragma: no cover - controller dependency
    HAS_QRCODE = False


class HandoverError(ValueError):
    """A hand-over file cannot be made; the message names the fix."""


def qr_png(text):
    if not HAS_QRCODE:
        raise HandoverError(
            "the Python package qrcode (with pillow) is needed on the controller: pip install 'qrcode[pil]'"
        )
    buf = io.BytesIO()
    qrcode.make(text, border=2).save(buf, format="PNG")
    return buf.getvalue()


def write_private(path, data, encode=None, decode=None):
    """Write bytes atomically with mode 0600; return True when the content changed.

    With ``encode``/``decode`` (e.g. vault encryption, which is salted) the file holds
    ``encode(data)`` and is unchanged when ``decode`` of it gives ``data`` back.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            same = (decode(raw) if decode else raw) == data
        except Exception:  # noqa: BLE001 - unreadable (another password, damaged): write anew
            same = False
        if same:
            if os.stat(path).st_mode & 0o777 != 0o600:
                os.chmod(path, 0o600)
                return True
            return False
    except FileNotFoundError:
        pass
    if encode:
        data = encode(data)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.rename(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


def differs(path, data):
    try:
        with open(path, "rb") as fh:
            return fh.read() != data or os.stat(path).st_mode & 0o777 != 0o600
    except FileNotFoundError:
        return True
