# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed switches through netmiko: the local user's secret and the enable secret.

The account name ``enable`` means the enable secret (Cisco) and is proven by entering
privileged mode with it; every other account is a local user proven by logging in. To
prove or change the enable secret the driver logs in as ``login_username`` /
``login_password`` (options). Sessions come from the one netmiko session helper
(``netmiko_session``); session logs are never written.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as _ns
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)

HAS_NETMIKO = _ns.HAS_NETMIKO

ENABLE = "enable"
MAX_CONFIG = 512 * 1024


class NetmikoSwitchDriver(BaseDriver):
    name = "netmiko"
    abstract = True
    enable_account = None
    default_port = 22
    device_type = None
    #: config lines, as data: account kind -> template
    user_line = None
    enable_line = None

    def _user_line(self, conn, username, secret):
        return self.user_line.format(username=username, secret=secret)

    # no spaces: IOS would take the rest of the line; no '?' (help key) or quotes
    password_policy = PasswordPolicy(
        min_length=10,
        max_length=25,
        length=20,
        classes=[PasswordPolicy.LOWER, PasswordPolicy.UPPER, PasswordPolicy.DIGITS, "!*+-.=@^_~"],
    )

    def _connect_as(self, username, password, secret=None):
        """A session (``netmiko_session.Session``) logged in as ``username``; None when the
        switch refuses the login."""
        if not HAS_NETMIKO:
            raise DriverError("driver %s needs the Python library netmiko on the controller" % self.name)
        access = _ns.SwitchAccess(
            self.device_type,
            self.host,
            username,
            password,
            port=self.port,
            secret=secret,
            timeout=self.timeout,
        )
        try:
            return _ns.connect(access)
        except _ns.AuthFailed:
            return None
        except _ns.SessionError as exc:
            raise Unreachable(clean(exc)) from exc

    def _login_creds(self):
        user = self.options.get("login_username")
        pw = self.options.get("login_password")
        if not user or not pw:
            raise DriverError(
                "the enable secret needs login_username and login_password (the local user's "
                "current credential) in driver_options"
            )
        return user, pw

    def login(self, username, password):
        if username == ENABLE:
            return self._enable_ok(password)
        conn = self._connect_as(username, password)
        if conn is None:
            return False
        conn.close()
        return True

    def _enable_ok(self, secret):
        user, pw = self._login_creds()
        conn = self._connect_as(user, pw)
        if conn is None:
            raise DriverError("switch refused login_username %r; rotate the local user first" % user)
        try:
            return conn.elevate(secret)
        except _ns.Unreachable as exc:
            raise Unreachable("switch session lost while entering privileged mode") from exc
        finally:
            conn.close()

    def _privileged(self, username, old_password):
        """A session in privileged mode, logged in as the account (or login_username for
        the enable secret)."""
        if username == ENABLE:
            user, pw = self._login_creds()
            conn = self._connect_as(user, pw)
            secret = old_password
        else:
            conn = self._connect_as(username, old_password)
            secret = self.options.get("enable_secret")
        if conn is None:
            raise DriverError("switch refused the login just before the change")
        try:
            ok = conn.elevate(secret)
        except _ns.Unreachable as exc:
            conn.close()
            raise Unreachable("switch session lost while entering privileged mode") from exc
        if not ok:
            conn.close()
            raise DriverError(
                "cannot enter privileged mode: the enable secret was refused (set it in the store "
                "as account 'enable' or pass driver_options.enable_secret)"
            )
        return conn

    def change_password(self, username, old_password, new_password):
        if any(c.isspace() or c == "?" for c in new_password):
            raise PasswordRejected("switch CLI passwords cannot hold spaces or '?'")
        if username == ENABLE and not self.enable_line:
            raise DriverError("%s has no enable secret; rotate the manager user instead" % self.name)
        conn = self._privileged(username, old_password)
        conn.hide(new_password)
        try:
            if username == ENABLE:
                line = self.enable_line.format(secret=new_password)
            else:
                line = self._user_line(conn, username, new_password)
            self._sending()
            try:
                conn.config([line])
            except _ns.CommandRejected as exc:
                # the echo of the line holds the secret: only say which command failed
                raise PasswordRejected("switch refused the %s command" % line.split()[0]) from exc
            try:
                conn.save()
            except _ns.CommandRejected as exc:
                raise DriverError("switch took the new password but refused to save it: %s" % exc) from exc
        except _ns.Unreachable as exc:
            raise Unreachable("switch session lost during the change") from exc
        finally:
            conn.close()


class CiscoIosDriver(NetmikoSwitchDriver):
    name = "cisco_ios"
    abstract = False
    aliases = ("netmiko:cisco_ios",)
    device_type = "cisco_ios"
    user_line = "username {username} secret {secret}"
    user_line_privilege = "username {username} privilege {level} secret {secret}"
    enable_line = "enable secret {secret}"
    #: the account whose password is the enable secret (the action fills in what it needs)
    enable_account = ENABLE

    def _user_line(self, conn, username, secret):
        """Keep the user's privilege level: IOS resets it to 1 when the line omits it."""
        running = conn.show("show running-config")[:MAX_CONFIG]
        for m in re.finditer(r"^username (\S+) privilege (\d+) ", running, re.M):
            if m.group(1) == username:
                return self.user_line_privilege.format(username=username, level=m.group(2), secret=secret)
        return self.user_line.format(username=username, secret=secret)


class HpProcurveDriver(NetmikoSwitchDriver):
    name = "hp_procurve"
    abstract = False
    aliases = ("netmiko:hp_procurve",)
    device_type = "hp_procurve"
    user_line = "password manager user-name {username} plaintext {secret}"
    enable_line = None
