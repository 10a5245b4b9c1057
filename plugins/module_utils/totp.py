# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""TOTP (RFC 6238) on the Python standard library: secrets, codes, otpauth URIs.

The authenticator service on a WireGuard hub carries its own copy of the same
algorithm (it runs where only python3 is installed); both are tested against pyotp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20  # 160 bits, what RFC 4226 recommends for HMAC-SHA1


class TotpError(ValueError):
    """A TOTP secret or code is not usable; the message names the field and the fix."""


def new_secret(nbytes=SECRET_BYTES):
    """A random base32 secret without padding (what authenticator apps expect)."""
    return base64.b32encode(secrets.token_bytes(nbytes)).decode("ascii").rstrip("=")


def decode_secret(secret):
    if not isinstance(secret, str) or not secret.strip():
        raise TotpError("totp secret is empty: enrol the engineer again to create one")
    cleaned = secret.replace(" ", "").upper()
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (ValueError, TypeError) as exc:
        raise TotpError("totp secret is not base32 (A-Z, 2-7): re-enrol to create a new one") from exc
    if len(raw) < 10:
        raise TotpError("totp secret is %d bytes, shorter than the 10 RFC 4226 requires: re-enrol" % len(raw))
    return raw


def hotp(key, counter, digits=DIGITS):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % (10**digits)).zfill(digits)


def counter_at(now=None, period=PERIOD):
    return int((time.time() if now is None else now) // period)


def totp(secret, now=None, period=PERIOD, digits=DIGITS):
    return hotp(decode_secret(secret), counter_at(now, period), digits)


def verify(secret, code, now=None, window=1, last_counter=None, period=PERIOD, digits=DIGITS):
    """Return the time step that ``code`` matches (within +-``window`` steps), else None.

    A step at or before ``last_counter`` (the last one accepted) is refused, so a code
    cannot be replayed.
    """
    if not isinstance(code, str) or len(code) != digits or not code.isdigit():
        return None
    key = decode_secret(secret)
    current = counter_at(now, period)
    for step in range(current - window, current + window + 1):
        if step < 0 or (last_counter is not None and step <= last_counter):
            continue
        if hmac.compare_digest(hotp(key, step, digits), code):
            return step
    return None


def otpauth_uri(secret, account, issuer, period=PERIOD, digits=DIGITS):
    """The ``otpauth://totp/...`` URI that authenticator apps read from a QR code."""
    decode_secret(secret)
    label = quote("%s:%s" % (issuer, account), safe=":@")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": digits, "period": period}
    )
    return "otpauth://totp/%s?%s" % (label, query)
