# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one interface every device driver speaks (shaped like netmiko's BaseConnection).

A driver knows how to reach one kind of device over its own protocol and offers four verbs:

* ``login(username, password) -> bool``: True when the device accepts the credential,
  False when it refuses it; ``Unreachable`` when the device cannot be asked at all.
* ``change_password(username, old, new)``: sets ``new``; ``PasswordRejected`` when the
  device's policy refuses it, ``DriverError`` for anything else.
* ``read_settings(username, password) -> dict``: the device's settings in the one shape
  of ``capabilities`` (lockout, services, port mappings, SNMP community, MQTT auth).
* ``lockout_policy(username, password)`` / ``read_lockout``: whether failed logins lock
  the account, as the device itself tells once the credential is accepted; ``None`` when
  the driver has no way to ask. What else a driver can read or change is declared by
  the capability mixins of ``capabilities``.
* ``identify(username, password) -> dict``: what the device says it is once logged in
  (``os``, ``busybox``, ``kernel``...); ``{}`` when the driver has no way to ask.
* ``password_policy``: the device's own rules, used to generate a password it accepts.
* ``warnings``: what the device warned about during the last change (a weak-password
  warning it gave and then carried on), for the result.

Timeouts: ``timeout`` bounds each wait for an answer; a login's verdict may come
``login_failure_delay`` seconds later than that, because real login programs pause after a
refused password (BusyBox ``login`` 3 s, PAM's ``pam_faildelay`` on Debian 3 s), and a
refusal must not be mistaken for silence.

Everything a device sends back is hostile: ``clean()`` bounds and strips it before it goes
into an error message or a result.
"""

from __future__ import annotations

import re
import socket

MAX_TEXT = 256
_CTRL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text, limit=MAX_TEXT):
    """Device text made safe to show: decoded, control characters removed, bounded."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = _CTRL.sub("", str(text)).replace("\r", " ").replace("\n", " ").strip()
    return text[:limit] + ("..." if len(text) > limit else "")


class DriverError(Exception):
    """The device did something we did not expect; the message is safe to show."""


class Unreachable(DriverError):
    """The device could not be reached (refused, reset, timed out)."""


class PasswordRejected(DriverError):
    """The device refused the new password (policy, length, characters)."""


class ChangeImpossible(PasswordRejected):
    """The device said it cannot make the change at all, whatever the password (its password
    file is on a read-only file system, a lock it cannot take); the message quotes it."""


class NotSupported(DriverError):
    """The driver cannot do that on this device kind."""


class ManualStep(NotSupported):
    """The product offers no API for the change: an engineer does it by hand on the device.
    ``instruction`` says where (menu path on the device's own screen); no failure of ours."""

    def __init__(self, reason, instruction):
        super().__init__(reason)
        self.instruction = instruction


class OpenAccess(ManualStep):
    """The interface asks for no credential at all, and only the device's own screen can turn
    authentication on: there is no account to log in to or rotate yet. ``instruction`` says
    where; ``set_on_screen(username)`` is the instruction to create ``username`` there."""

    def __init__(self, reason, instruction, set_on_screen=None):
        super().__init__(reason, instruction)
        self.set_on_screen = set_on_screen


class PasswordPolicy:
    """What a device accepts as a password.

    ``classes`` lists character classes each password must contain one of;
    ``alphabet`` is the full set of allowed characters.
    """

    LOWER = "abcdefghijkmnopqrstuvwxyz"  # no l: easier to read out over the phone
    UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
    DIGITS = "23456789"  # no 0, 1
    # No quotes, backslash, braces, % or #: safe in XML/URL-encoded bodies, device shells
    # and YAML, and never taken for a Jinja template.
    SYMBOLS = "!*+-.=@^_~"

    def __init__(self, min_length=8, max_length=64, length=20, classes=None, alphabet=None):
        self.min_length = int(min_length)
        self.max_length = int(max_length)
        self.length = int(length)
        self.classes = list(classes) if classes else [self.LOWER, self.UPPER, self.DIGITS, self.SYMBOLS]
        self.alphabet = alphabet or "".join(self.classes)
        if self.min_length > self.max_length:
            raise ValueError("min_length=%d is above max_length=%d" % (self.min_length, self.max_length))

    def target_length(self, wanted=None):
        n = int(wanted or self.length)
        return max(self.min_length, min(self.max_length, n, 255))

    def check(self, password):
        """Return None when the device would accept ``password``, else why not."""
        if len(password) < self.min_length or len(password) > self.max_length:
            return "length %d is outside %d..%d" % (len(password), self.min_length, self.max_length)
        bad = sorted({c for c in password if c not in self.alphabet})
        if bad:
            return "%d character(s) the device does not allow" % len(bad)
        for cls in self.classes:
            if not any(c in cls for c in password):
                return "a required character class is missing"
        return None

    @classmethod
    def typed(cls, min_length, max_length, length):
        """Letters and digits only: a password an engineer types in by hand (a touch screen,
        a web form, a config line), with no character any of them reads as syntax."""
        return cls(min_length, max_length, length, classes=[cls.LOWER, cls.UPPER, cls.DIGITS])

    @classmethod
    def from_dict(cls, data):
        """From fingerprint data: ``min_length``, ``max_length``, ``length``, and either
        ``classes`` (names lower/upper/digit/symbol or literal sets) or ``symbols`` (the
        symbols the device allows; our safe set is narrowed to them, none when empty)."""
        data = dict(data or {})
        classes = data.pop("classes", None)
        if classes:
            named = {"lower": cls.LOWER, "upper": cls.UPPER, "digit": cls.DIGITS, "symbol": cls.SYMBOLS}
            classes = [named.get(c, c) for c in classes]
        elif "symbols" in data:
            allowed = "".join(c for c in cls.SYMBOLS if c in (data.get("symbols") or ""))
            classes = [cls.LOWER, cls.UPPER, cls.DIGITS] + ([allowed] if allowed else [])
        return cls(
            classes=classes,
            **{k: v for k, v in data.items() if k in ("min_length", "max_length", "length", "alphabet")},
        )


class BaseDriver:
    """Base class: holds the target, the timeouts and the hooks subclasses override."""

    name = "base"
    #: True on bases that are no registry entry of their own (``drivers.DRIVERS``)
    abstract = True
    #: other names the fingerprint data uses for this driver
    aliases = ()
    default_port = None
    password_policy = PasswordPolicy()
    #: whether change_password can put the old password back after a later failure
    can_rollback = True
    #: how much longer than ``timeout`` a refused login may take to say so
    login_failure_delay = 5.0
    #: set on drivers of products whose password has no API: ``(reason, instruction)``;
    #: rotation then reports a manual step instead of changing anything
    manual_rotation = None
    #: set by the rotation for one change: called by ``_sending`` (the store records that the
    #: new password may have reached the device)
    on_send = None

    def __init__(self, host, port=None, timeout=10.0, username=None, **options):
        self.host = host
        self.port = int(port or self.default_port or 0)
        self.timeout = float(timeout)
        self.username = username
        self.options = options
        self.warnings = []
        if options.get("login_failure_delay") is not None:
            delay = float(options["login_failure_delay"])
            if not 0 <= delay <= 60:
                raise ValueError(
                    "login_failure_delay=%r must be between 0 and 60 seconds (login pauses ~3)" % delay
                )
            self.login_failure_delay = delay
        if options.get("password_policy"):
            self.password_policy = PasswordPolicy.from_dict(options["password_policy"])

    def __repr__(self):
        return "<%s %s:%s>" % (type(self).__name__, self.host, self.port)

    # --- the interface -------------------------------------------------------------------
    def login(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError

    def change_password(self, username, old_password, new_password):  # pragma: no cover
        """Set ``new_password``; call ``_sending()`` right before the request (or the line)
        that carries it leaves, after any sign-in, token or account lookup that precedes it."""
        raise NotImplementedError

    def _sending(self):
        """The new password is about to leave for the device. Until this is called, a run
        that dies leaves a pending password the device never saw: the next run does not
        spend a login on it (on a device whose budget is one failed login, that login is
        the one the password that works needs)."""
        if self.on_send is not None:
            self.on_send()

    def read_settings(self, username, password):
        """The device's settings in the one shape every driver reports
        (``capabilities.read_settings``): lockout, services, port mappings, SNMP, MQTT."""
        from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import capabilities

        return capabilities.read_settings(self, username, password)

    def lockout_policy(self, username, password):
        """``{"enabled", "threshold", "duration", "evidence"}`` as the device reports it (the
        login budget is sized on it), or None. Drivers with ``capabilities.LockoutRead``
        answer; the base has no way to ask."""
        return None

    def read_lockout(self, username, password):
        """``(enabled, evidence)`` after a login that works, or ``None`` (no way to ask)."""
        read = self.lockout_policy(username, password)
        if read is None:
            return None
        return bool(read["enabled"]), clean(read.get("evidence"))

    def identify(self, username, password):
        """What the device says it is once logged in; ``{}`` when the driver cannot ask."""
        return {}

    def login_accounts(self, username, password):
        """The names of the accounts that can log in, as the device lists them once logged
        in (a shell's ``/etc/passwd``); None when the driver cannot ask."""
        return None

    def close(self):
        """Drop any connection held open."""

    # --- helpers ---------------------------------------------------------------------------
    def _connect(self):
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except TimeoutError as exc:
            raise Unreachable("%s:%s timed out after %.0fs" % (self.host, self.port, self.timeout)) from exc
        except OSError as exc:
            raise Unreachable("%s:%s: %s" % (self.host, self.port, clean(exc.strerror or exc))) from exc


class ShellPasswdMixin:
    """For shells that change a password with ``passwd``: answers its prompts.

    The prompt table is data: (regex on what the device printed, what to answer).
    """

    passwd_command = "passwd {username}"  # noqa: S105 - a command, not a password
    passwd_prompts = (
        (re.compile(rb"(current|old)( unix)? password:\s*$", re.I), "old"),
        (re.compile(rb"(new|enter new)( unix)? password:\s*$", re.I), "new"),
        (re.compile(rb"(retype|re-enter|repeat|confirm)[^\n]*password:\s*$", re.I), "new"),
    )
    passwd_ok = re.compile(rb"(password (for \S+ )?(changed|updated)|updated successfully)", re.I)


class NoRollbackMixin:
    can_rollback = False
