# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ubiquiti EdgeRouter (EdgeOS) through its CLI over SSH, with netmiko's ``ubiquiti_edgerouter``.

Source: Ubiquiti Help Center, "EdgeRouter - How to Create a User" and "EdgeRouter -
Configuration and Operational Mode" (EdgeOS 1.x/2.x, the Vyatta CLI): in configuration mode
(``configure``) ``set system login user <u> authentication plaintext-password <p>``, then
``commit`` (applies it), ``save`` (writes ``/config/config.boot``, ``Done``) and ``exit``.
A ``passwd`` in the Linux shell underneath would be undone at the next boot, when EdgeOS
writes the accounts from ``config.boot``: only the configuration path lasts.

netmiko's ``ubiquiti_edge`` is the EdgeSwitch (FASTPATH) driver; the EdgeRouter's is
``ubiquiti_edgerouter`` (its VyOS driver). Sessions come from the one netmiko session
helper (``netmiko_session``); session logs are never written and the new password is
hidden from every message.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as _ns
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.switches import NetmikoSwitchDriver

#: what the EdgeOS CLI prints when it refuses a command or a commit
ERRORS = re.compile(r"(Invalid command|Set failed|Commit failed|is not valid|Failed to generate)", re.I)


class EdgeOsCliDriver(NetmikoSwitchDriver):
    """The session and ``login`` are the netmiko base's; the change is EdgeOS's own."""

    name = "edgeos_cli"
    abstract = False
    aliases = ("netmiko:ubiquiti_edgerouter", "netmiko:ubiquiti_edge")
    default_port = 22
    device_type = "ubiquiti_edgerouter"
    user_line = "set system login user {username} authentication plaintext-password '{secret}'"
    # the CLI is bash underneath: the password goes in single quotes, so none may hold one;
    # our symbols carry no quote, space or backslash
    password_policy = PasswordPolicy(min_length=10, max_length=64, length=20)

    def identify(self, username, password):
        session = self._connect_as(username, password)
        if session is None:
            return {}
        try:
            out = session.show("show version")
        finally:
            session.close()
        info = {"os": "EdgeOS"}
        for key, name in (("Version", "firmware"), ("HW model", "model")):
            m = re.search(r"^%s:\s*(.+)$" % key, out, re.M)
            if m:
                info[name] = clean(m.group(1), 64)
        return info

    def change_password(self, username, old_password, new_password):
        if any(c.isspace() or c in "'\\" for c in new_password):
            raise PasswordRejected("EdgeOS CLI passwords here cannot hold spaces, quotes or backslashes")
        session = self._connect_as(username, old_password)
        if session is None:
            raise DriverError("EdgeOS refused the login just before the change")
        session.hide(new_password)
        conn = session.conn
        line = self.user_line.format(username=username, secret=new_password)
        try:
            try:
                conn.config_mode()
                self._sending()
                out = conn.send_config_set(
                    [line], enter_config_mode=False, exit_config_mode=False, cmd_verify=False
                )
                if ERRORS.search(out):
                    raise PasswordRejected(
                        "EdgeOS refused the set command: %s" % clean(session.redact(out), 160)
                    )
                out = conn.commit()
                if ERRORS.search(out):
                    raise PasswordRejected("EdgeOS commit failed: %s" % clean(session.redact(out), 160))
            except ValueError as exc:  # netmiko's commit() raises it with the device's text
                raise PasswordRejected(
                    "EdgeOS commit failed: %s" % clean(session.redact(str(exc)), 160)
                ) from exc
            except PasswordRejected:
                # leave nothing staged: the running configuration keeps the old password
                conn.send_command_timing("exit discard")
                raise
            try:
                out = conn.save_config()
            except ValueError as exc:
                raise DriverError(
                    "EdgeOS took the new password but did not save it (it would be lost at the next "
                    "boot): %s" % clean(session.redact(str(exc)), 160)
                ) from exc
            conn.exit_config_mode()
        except Exception as exc:  # only a lost session (the helper's one list) becomes Unreachable
            if not isinstance(exc, _ns._LOST):
                raise
            raise Unreachable("%s:%s EdgeOS session lost during the change" % (self.host, self.port)) from exc
        finally:
            session.close()
