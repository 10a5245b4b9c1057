# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""TOTP (RFC 6238) on the Python standard library: secrets, codes, otpauth URIs, and the
ledger of failures, lockouts and used time steps behind every second-factor check.

The collection's one TOTP implementation: enrolment (totp_enroll), the WireGuard
authenticator and the OpenVPN verifier all use it. The gateway services run where only
python3 is installed, so the roles install this file beside them; it imports nothing
but the standard library. Tested against pyotp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import time
from urllib.parse import quote, urlencode

DIGITS = 6
PERIOD = 30
SECRET_BYTES = 20  # 160 bits, what RFC 4226 recommends for HMAC-SHA1
# an account (engineer) name: also a file name on the controller, so no path characters
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
MAX_LOCKOUT = 86400


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


def check_name(name, field="names"):
    """Refuse an account name that is not a safe file and certificate name."""
    if not isinstance(name, str) or not NAME_RE.match(name) or ".." in name:
        raise TotpError(
            "%s has %r: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a"
            " letter or digit (no '/', no '..'): it names files on the controller" % (field, name)
        )
    return name


def require_secrets(names, secrets_by_name, store):
    """Refuse accounts that have no usable secret in ``store`` (nothing is created)."""
    missing = [n for n in names if not secrets_by_name.get(n)]
    if missing:
        raise TotpError(
            "names %s have no TOTP secret in %s: enrol them (create: true) or take them out"
            % (", ".join(missing), store)
        )
    for n in names:
        try:
            decode_secret(secrets_by_name[n])
        except TotpError as exc:
            raise TotpError("%s in %s: %s" % (n, store, exc)) from None


def policy(conf):
    """The ledger's settings from a gate's configuration (JSON) with the collection's defaults."""
    return {
        "max_failures": int(conf.get("max_failures", 3)),
        "failure_window": int(conf.get("failure_window", 86400)),
        "lockout_seconds": int(conf.get("lockout_seconds", 900)),
        "window": int(conf.get("window", 1)),
    }


class Ledger:
    """What a second-factor gate remembers per account: recent wrong codes, lockouts (each
    one within the failure window lasts twice as long as the last) and the last accepted
    time step (a code is never accepted twice). Kept in a JSON state file (0600) that
    survives restarts; holds no secret and no code.

    ``check`` returns one of ``("ok", step)``, ``("wrong", failures)``,
    ``("lockout", seconds, count)``, ``("locked", seconds_left)`` or ``("broken", None)``.
    """

    KEYS = ("failures", "locked_until", "lockouts", "last_step")

    def __init__(self, state_path=None, clock=time.time):
        self.state_path = state_path
        self.clock = clock
        self.state = {k: {} for k in self.KEYS}
        self.unreadable = False

    def load(self, names=(), lockout_seconds=900):
        """Read the state file; if it is damaged, lock every one of ``names`` for safety."""
        self.state = {k: {} for k in self.KEYS}
        self.unreadable = False
        if not self.state_path:
            return
        try:
            with open(self.state_path, encoding="utf-8") as fh:
                data = json.load(fh)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except FileNotFoundError:
            return
        except ValueError:
            self.unreadable = True
            now = self.clock()
            for name in names:
                self.state["locked_until"][name] = now + int(lockout_seconds)
            return
        for key in self.KEYS:
            value = data.get(key) or {}
            if isinstance(value, dict):
                self.state[key] = {k: v for k, v in value.items() if isinstance(k, str)}

    def save(self):
        if not self.state_path:
            return
        tmp = self.state_path + ".tmp"
        with os.fdopen(
            os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
        ) as fh:
            json.dump(self.state, fh, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)

    def check(self, name, secret, code, max_failures=3, failure_window=86400, lockout_seconds=900, window=1):
        now = self.clock()
        st = self.state
        until = st["locked_until"].get(name, 0)
        if until > now:
            return ("locked", until - now)
        try:
            step = verify(secret, code, now, int(window), st["last_step"].get(name))
        except TotpError:
            return ("broken", None)
        if step is None:
            fails = [t for t in st["failures"].get(name, []) if t > now - failure_window] + [now]
            st["failures"][name] = fails
            if len(fails) >= int(max_failures):
                count = st["lockouts"].get(name, [0, 0])
                n = count[0] + 1 if count[1] > now - failure_window else 1
                seconds = min(int(lockout_seconds) * 2 ** (n - 1), MAX_LOCKOUT)
                st["lockouts"][name] = [n, now]
                st["locked_until"][name] = now + seconds
                st["failures"][name] = []
                self.save()
                return ("lockout", seconds, n)
            self.save()
            return ("wrong", len(fails))
        st["last_step"][name] = step
        st["failures"][name] = []
        self.save()
        return ("ok", step)
