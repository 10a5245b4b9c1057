# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Managed switches through netmiko: the local user's secret and the enable secret.

The account name ``enable`` means the enable secret (Cisco) and is proven by entering
privileged mode with it; every other account is a local user proven by logging in. To
prove or change the enable secret the driver logs in as ``login_username`` /
``login_password`` (options). Session logs are never written.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)

try:
    from netmiko import ConnectHandler
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException, ReadTimeout

    HAS_NETMIKO = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_NETMIKO = False

ENABLE = "enable"
MAX_CONFIG = 512 * 1024
_REJECT = ("% invalid", "% incomplete", "% ambiguous", "error", "not allowed", "too short", "rejected")


class NetmikoSwitchDriver(BaseDriver):
    name = "netmiko"
    enable_account = None
    default_port = 22
    device_type = None
    #: config lines, as data: account kind -> template
    user_line = None
    enable_line = None
    save_command = "write memory"

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
        if not HAS_NETMIKO:
            raise DriverError("driver %s needs the Python library netmiko on the controller" % self.name)
        params = {
            "device_type": self.device_type,
            "host": self.host,
            "port": self.port,
            "username": username,
            "password": password,
            "timeout": self.timeout,
            "conn_timeout": self.timeout,
            "auth_timeout": self.timeout,
            "banner_timeout": self.timeout,
            "fast_cli": True,
            "allow_agent": False,
            "use_keys": False,
            "ssh_config_file": None,
        }
        if secret is not None:
            params["secret"] = secret
        try:
            return ConnectHandler(**params)
        except NetmikoAuthenticationException:
            return None
        except (NetmikoTimeoutException, ReadTimeout, OSError, EOFError) as exc:
            raise Unreachable("%s:%s %s: %s" % (self.host, self.port, self.device_type, clean(exc))) from exc
        except Exception as exc:
            raise Unreachable("%s:%s %s: %s" % (self.host, self.port, self.device_type, clean(exc))) from exc

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
        conn.disconnect()
        return True

    def _try_enable(self, conn, secret):
        """Enter privileged mode with ``secret``; False when refused. netmiko's own enable()
        waits for a prompt while IOS re-asks for the password, so this answers once and
        backs out of the remaining tries."""
        if conn.check_enable_mode():
            return True
        prompt_or_ask = r"(?i)(ssword:?\s*$|[>#]\s*$)"
        conn.write_channel("enable" + conn.RETURN)
        out = conn.read_until_pattern(pattern=prompt_or_ask, read_timeout=self.timeout)
        if "ssword" not in out[-40:]:
            return conn.check_enable_mode()
        conn.write_channel((secret or "") + conn.RETURN)
        out = conn.read_until_pattern(pattern=prompt_or_ask, read_timeout=self.timeout)
        tries = 0
        while "ssword" in out[-40:] and tries < 3:
            tries += 1
            conn.write_channel(conn.RETURN)
            out = conn.read_until_pattern(pattern=prompt_or_ask, read_timeout=self.timeout)
        return out.rstrip().endswith("#")

    def _enable_ok(self, secret):
        user, pw = self._login_creds()
        conn = self._connect_as(user, pw)
        if conn is None:
            raise DriverError("switch refused login_username %r; rotate the local user first" % user)
        try:
            return self._try_enable(conn, secret)
        except (ReadTimeout, OSError, EOFError) as exc:
            raise Unreachable(
                "switch session lost while entering privileged mode: %s" % type(exc).__name__
            ) from exc
        finally:
            conn.disconnect()

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
            ok = self._try_enable(conn, secret)
        except (ReadTimeout, OSError, EOFError) as exc:
            conn.disconnect()
            raise Unreachable(
                "switch session lost while entering privileged mode: %s" % type(exc).__name__
            ) from exc
        if not ok:
            conn.disconnect()
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
        try:
            if username == ENABLE:
                line = self.enable_line.format(secret=new_password)
            else:
                line = self._user_line(conn, username, new_password)
            out = conn.send_config_set([line], cmd_verify=False)
            low = out.lower()
            if any(marker in low for marker in _REJECT):
                # echo of the line holds the secret: only say which command failed
                raise PasswordRejected("switch refused the %s command" % line.split()[0])
            conn.send_command_timing(self.save_command, read_timeout=self.timeout)
        except (ReadTimeout, OSError, EOFError) as exc:
            raise Unreachable("switch session lost during the change: %s" % type(exc).__name__) from exc
        finally:
            try:
                conn.disconnect()
            except Exception:  # noqa: BLE001 S110 - the session may already be gone
                pass


class CiscoIosDriver(NetmikoSwitchDriver):
    name = "cisco_ios"
    device_type = "cisco_ios"
    user_line = "username {username} secret {secret}"
    user_line_privilege = "username {username} privilege {level} secret {secret}"
    enable_line = "enable secret {secret}"
    #: the account whose password is the enable secret (the action fills in what it needs)
    enable_account = ENABLE

    def _user_line(self, conn, username, secret):
        """Keep the user's privilege level: IOS resets it to 1 when the line omits it."""
        running = conn.send_command("show running-config", read_timeout=self.timeout)[:MAX_CONFIG]
        for m in re.finditer(r"^username (\S+) privilege (\d+) ", running, re.M):
            if m.group(1) == username:
                return self.user_line_privilege.format(username=username, level=m.group(2), secret=secret)
        return self.user_line.format(username=username, secret=secret)


class HpProcurveDriver(NetmikoSwitchDriver):
    name = "hp_procurve"
    device_type = "hp_procurve"
    user_line = "password manager user-name {username} plaintext {secret}"
    enable_line = None
