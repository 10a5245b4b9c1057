# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH shell devices (embedded Linux, BusyBox over Dropbear): paramiko, password auth,
``passwd`` answered from the prompt table."""

from __future__ import annotations

import socket

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._expect import (
    SHELL_PROMPT,
    Session,
    passwd_dialog,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    ShellPasswdMixin,
    Unreachable,
    clean,
)

try:
    import paramiko

    HAS_PARAMIKO = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_PARAMIKO = False


class SshShellDriver(ShellPasswdMixin, BaseDriver):
    name = "ssh_shell"
    default_port = 22
    password_policy = PasswordPolicy(min_length=8, max_length=64, length=20)

    def _client(self, username, password):
        if not HAS_PARAMIKO:
            raise DriverError("driver ssh_shell needs the Python library paramiko on the controller")
        client = paramiko.SSHClient()
        # Devices are identified by discovery's fingerprint; host keys of factory-fresh IoT
        # gear are not known in advance. Pin them with known_hosts where that matters.
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507
        try:
            client.connect(
                self.host,
                port=self.port,
                username=username,
                password=password,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
                look_for_keys=False,
                allow_agent=False,
            )
        except paramiko.AuthenticationException:
            client.close()
            return None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            client.close()
            raise Unreachable("%s:%s ssh: %s" % (self.host, self.port, clean(exc))) from exc
        return client

    def login(self, username, password):
        client = self._client(username, password)
        if client is None:
            return False
        client.close()
        return True

    def change_password(self, username, old_password, new_password):
        client = self._client(username, old_password)
        if client is None:
            raise DriverError("ssh login as %r refused just before the change" % username)
        try:
            chan = client.invoke_shell(width=200)
            chan.settimeout(self.timeout)

            def recv(n, timeout):
                chan.settimeout(max(0.05, timeout))
                try:
                    data = chan.recv(n)
                except socket.timeout as exc:
                    raise TimeoutError() from exc
                return data

            sess = Session(recv, chan.sendall, self.timeout)
            sess.expect([SHELL_PROMPT])
            passwd_dialog(sess, self, username, old_password, new_password)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise Unreachable("ssh session lost during the change: %s" % clean(exc)) from exc
        finally:
            client.close()
