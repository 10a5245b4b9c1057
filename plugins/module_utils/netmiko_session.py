# -*- coding: utf-8 -*-
# Copyright (c) 2026, iotguard.hardening maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One netmiko session to a managed switch: open, elevate, show, configure, save, close.

Every piece of the collection that talks to a switch goes through here: discovery's switch
source (MAC and ARP tables), the switch credential drivers and the VLAN resource modules.
What it adds to netmiko:

- one way to build the connection (no agent, no keys, no ``~/.ssh/config``, bounded
  timeouts) and one classification of failures: ``AuthFailed`` (the device said no),
  ``Unreachable`` (connection, timeout, session lost), ``CommandRejected`` (the device
  refused a command; which one), ``ParseError`` (output no template reads);
- ``elevate(secret)``: enter privileged mode and answer once; a wrong secret is
  ``False``, never a hang on IOS's second ``Password:``;
- ``config(commands)``: one config-mode entry, each command checked against the
  dialect's error text, the count of commands sent kept (``config_sent``);
- ``save()``: netmiko's own ``save_config()``, its answer checked;
- a session log (optional, file mode 0600) with the password, the enable secret and every
  secret passed to ``hide()`` replaced by ``********`` (netmiko's own no_log filter).

Device text is hostile: it is bounded and never templated here.
"""

from __future__ import annotations

import os
import re

try:
    from netmiko import ConnectHandler
    from netmiko.exceptions import (
        ConfigInvalidException,
        NetmikoAuthenticationException,
        NetmikoTimeoutException,
        ReadTimeout,
    )
    from netmiko.session_log import SessionLog
    from netmiko.utilities import get_structured_data

    HAS_NETMIKO = True
    NETMIKO_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the controller
    HAS_NETMIKO = False
    NETMIKO_IMPORT_ERROR = exc

    class ConfigInvalidException(Exception):
        pass

    class NetmikoAuthenticationException(Exception):
        pass

    class NetmikoTimeoutException(Exception):
        pass

    class ReadTimeout(Exception):
        pass


try:
    from paramiko.ssh_exception import SSHException
except ImportError:  # pragma: no cover - netmiko depends on paramiko

    class SSHException(Exception):
        pass


MAX_OUTPUT = 1024 * 1024
HIDDEN = "********"

#: what each dialect prints when it refuses a command (data, matched per line)
ERROR_PATTERNS = {
    "cisco_ios": r"^\s*% ?(Invalid input|Incomplete command|Ambiguous command|Error|Bad |Password)",
    "hp_procurve": r"^\s*(Invalid input|Module not present|Unable to|Incomplete input|.*does not meet)",
}
_ANY_ERROR = "|".join("(?:%s)" % p for p in ERROR_PATTERNS.values())
_LOST = (NetmikoTimeoutException, ReadTimeout, SSHException, OSError, EOFError)


class SessionError(Exception):
    """A switch session failed; the message is safe to show (no secret, bounded)."""


class AuthFailed(SessionError):
    """The switch refused the username or password."""


class Unreachable(SessionError):
    """Connection refused, timed out, or the session was lost."""


class CommandRejected(SessionError):
    """The switch refused a command; ``index`` is its place in the batch, ``applied`` the
    commands before it that the switch took."""

    def __init__(self, message, index=0, command="", applied=0):
        super().__init__(message)
        self.index = index
        self.command = command
        self.applied = applied


class ParseError(SessionError):
    """No ntc-template reads this output."""


def _clean(text, limit=200):
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", str(text))
    return " ".join(text.split())[:limit]


class SwitchAccess:
    """How to reach one switch. ``secret`` is the enable secret (Cisco); ``session_log``
    a path for a filtered session log, or None."""

    __slots__ = ("device_type", "host", "password", "port", "secret", "session_log", "timeout", "username")

    def __init__(
        self, device_type, host, username, password, port=22, secret=None, timeout=30, session_log=None
    ):
        self.device_type = device_type
        self.host = host
        self.port = int(port or 22)
        self.username = username
        self.password = password
        self.secret = secret
        self.timeout = float(timeout)
        self.session_log = session_log

    @classmethod
    def from_spec(cls, spec, device_type=None, timeout=30):
        """From a mapping with host, port, username, password, secret, session_log."""
        return cls(
            device_type or spec.get("device_type"),
            spec.get("host"),
            spec.get("username"),
            spec.get("password"),
            port=spec.get("port") or 22,
            secret=spec.get("secret") or spec.get("enable_secret"),
            timeout=spec.get("timeout") or timeout,
            session_log=spec.get("session_log"),
        )

    def __repr__(self):
        return "SwitchAccess(%s %s:%s user=%s)" % (self.device_type, self.host, self.port, self.username)


class Session:
    """An open netmiko session. Use ``connect()`` or ``open_session()`` to get one."""

    def __init__(self, conn, access):
        self.conn = conn
        self.access = access
        self.config_sent = []  # every config command sent, in order (for counts and reports)
        self.saved = 0
        self._hidden = [s for s in (access.password, access.secret) if s]

    # ---- secrets -------------------------------------------------------------------------
    def hide(self, secret):
        """Keep ``secret`` out of the session log and of every error message."""
        if not secret:
            return
        self._hidden.append(secret)
        log = getattr(self.conn, "session_log", None)
        if log is not None:
            log.no_log["hidden%d" % len(self._hidden)] = secret

    def redact(self, text):
        for secret in self._hidden:
            text = text.replace(secret, HIDDEN)
        return text

    # ---- privilege -----------------------------------------------------------------------
    def is_privileged(self):
        return bool(self.conn.check_enable_mode())

    def elevate(self, secret=None):
        """Enter privileged mode with ``secret`` (default: the access's). True when in it;
        False when the secret was refused. Answers the password prompt once and backs out
        of the device's further prompts rather than waiting on them."""
        secret = self.access.secret if secret is None else secret
        self.hide(secret)
        try:
            if self.conn.check_enable_mode():
                return True
            ask = r"(?i)(ssword:?\s*$|[>#]\s*$)"
            self.conn.write_channel("enable" + self.conn.RETURN)
            out = self.conn.read_until_pattern(pattern=ask, read_timeout=self.access.timeout)
            if "ssword" not in out[-40:]:
                return bool(self.conn.check_enable_mode())
            self.conn.write_channel((secret or "") + self.conn.RETURN)
            out = self.conn.read_until_pattern(pattern=ask, read_timeout=self.access.timeout)
            tries = 0
            while "ssword" in out[-40:] and tries < 3:
                tries += 1
                self.conn.write_channel(self.conn.RETURN)
                out = self.conn.read_until_pattern(pattern=ask, read_timeout=self.access.timeout)
            return out.rstrip().endswith("#")
        except Exception as exc:  # only a lost session becomes Unreachable
            if not isinstance(exc, _LOST):
                raise
            raise Unreachable(self._lost("entering privileged mode", exc)) from None

    # ---- commands ------------------------------------------------------------------------
    def show(self, command, parse=False):
        """Run an exec command. ``parse=True``: rows from netmiko's ntc-templates (a list of
        dicts); output no template reads raises ``ParseError``. A refused command raises
        ``CommandRejected``."""
        try:
            out = self.conn.send_command(command, read_timeout=self.access.timeout)[:MAX_OUTPUT]
        except Exception as exc:  # only a lost session becomes Unreachable
            if not isinstance(exc, _LOST):
                raise
            raise Unreachable(self._lost(command, exc)) from None
        if re.search(_ANY_ERROR, out, re.M):
            raise CommandRejected(
                "the switch refused %r: %s" % (command, _clean(self.redact(out))), command=command
            )
        if not parse:
            return out
        try:
            rows = get_structured_data(out, platform=self.access.device_type, command=command)
        except Exception as exc:  # noqa: BLE001 - textfsm raises its own and generic errors
            raise ParseError("no ntc-template reads the output of %r: %s" % (command, _clean(exc))) from None
        if not isinstance(rows, list):
            raise ParseError("no ntc-template for %s %r" % (self.access.device_type, command))
        return rows

    def config(self, commands, stop_on_error=True):
        """Send config commands in one config-mode visit, each checked for the dialect's
        error text. A refused command raises ``CommandRejected`` (``applied`` commands before
        it went through) after leaving config mode."""
        pattern = ERROR_PATTERNS.get(self.access.device_type, _ANY_ERROR)
        output = []
        applied = 0
        try:
            output.append(self.conn.config_mode())
            for index, command in enumerate(commands):
                self.config_sent.append(command)
                try:
                    output.append(
                        self.conn.send_config_set(
                            [command],
                            enter_config_mode=False,
                            exit_config_mode=False,
                            cmd_verify=True,
                            error_pattern=pattern,
                            read_timeout=self.access.timeout,
                        )
                    )
                except ConfigInvalidException as exc:
                    self._leave_config()
                    raise CommandRejected(
                        "the switch refused command %d (%r): %s"
                        % (index + 1, self.redact(command), _clean(self.redact(str(exc)))),
                        index=index,
                        command=self.redact(command),
                        applied=applied,
                    ) from None
                applied += 1
            self._leave_config()
        except Exception as exc:  # only a lost session becomes Unreachable
            if not isinstance(exc, _LOST):
                raise
            raise Unreachable(self._lost("configuration (%d commands applied)" % applied, exc)) from None
        return self.redact("".join(output))[:MAX_OUTPUT]

    def _leave_config(self):
        try:
            self.conn.exit_config_mode()
        except Exception as exc:  # already out of config mode, unless the session is lost
            if isinstance(exc, _LOST):
                raise

    def save(self):
        """Save running to startup with netmiko's own ``save_config()``; a refusal raises
        ``CommandRejected``."""
        try:
            out = self.conn.save_config()
        except Exception as exc:  # only a lost session becomes Unreachable
            if not isinstance(exc, _LOST):
                raise
            raise Unreachable(self._lost("saving the configuration", exc)) from None
        if re.search(_ANY_ERROR, out or "", re.M | re.I) or "error" in (out or "").lower():
            raise CommandRejected("the switch refused to save: %s" % _clean(self.redact(out)), command="save")
        self.saved += 1
        return out

    def close(self):
        try:
            self.conn.disconnect()
        except Exception:  # noqa: BLE001 S110 - the session may already be gone
            pass

    def _lost(self, what, exc):
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return "%s:%s: session lost during %s: %s" % (
            self.access.host,
            self.access.port,
            what,
            _clean(self.redact(first)),
        )


def _session_log(access):
    if not access.session_log:
        return None
    path = access.session_log
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
    no_log = {}
    if access.password:
        no_log["password"] = access.password
    if access.secret:
        no_log["secret"] = access.secret
    log = SessionLog(file_name=path, file_mode="append", no_log=no_log)
    log.open()
    return log


def connect(access):
    """Open a session (not yet privileged unless the login lands there)."""
    if not HAS_NETMIKO:
        raise SessionError("the Python library netmiko is missing on the controller (pip install netmiko)")
    params = {
        "device_type": access.device_type,
        "host": access.host,
        "port": access.port,
        "username": access.username,
        "password": access.password,
        "timeout": access.timeout,
        "conn_timeout": access.timeout,
        "auth_timeout": access.timeout,
        "banner_timeout": access.timeout,
        "read_timeout_override": access.timeout,
        "fast_cli": True,
        "allow_agent": False,
        "use_keys": False,
        "ssh_config_file": None,
    }
    if access.secret:
        params["secret"] = access.secret
    log = _session_log(access)
    if log is not None:
        params["session_log"] = log
    where = "%s:%s %s" % (access.host, access.port, access.device_type)
    try:
        conn = ConnectHandler(**params)
    except NetmikoAuthenticationException:
        raise AuthFailed("%s: the switch refused the login of user %r" % (where, access.username)) from None
    except ValueError as exc:
        raise SessionError("%s: %s" % (where, _clean(exc))) from None
    except Exception as exc:  # only a lost session becomes Unreachable
        if not isinstance(exc, _LOST):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unreachable("%s: %s" % (where, _clean(first))) from None
    return Session(conn, access)


class open_session:
    """``with open_session(access, enable=True) as s:``: connect, elevate (a refused
    secret raises ``AuthFailed``), yield, always close."""

    def __init__(self, access, enable=True):
        self.access = access
        self.enable = enable
        self.session = None

    def __enter__(self):
        self.session = connect(self.access)
        if self.enable and not self.session.elevate():
            self.session.close()
            raise AuthFailed(
                "%s: the switch refused the enable secret; give the right secret" % self.access.host
            )
        return self.session

    def __exit__(self, *exc):
        self.session.close()
        return False
