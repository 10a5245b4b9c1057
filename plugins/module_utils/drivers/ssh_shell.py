# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSH shell devices (embedded Linux, BusyBox over Dropbear, OpenSSH appliances): paramiko,
password auth, an interactive shell, ``passwd`` answered from the prompt table.

Sources: RFC 4252 (password authentication), RFC 4254 (pty and shell requests), paramiko's
``SSHClient``; the shell side as for telnet (BusyBox ``loginutils/passwd.c``, shadow-utils'
``passwd`` with PAM on Debian: ``Current password:``, ``BAD PASSWORD: ...``, ``passwd:
Authentication token manipulation error``). Escape sequences and ``ESC[6n`` queries from
the shell are handled by ``_expect.Session``. A refused password may take PAM's failure
delay (``pam_unix``'s 2 s, ``pam_faildelay``) on top of ``timeout`` to be said.
"""

from __future__ import annotations

import socket

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._expect import (
    IDENTIFY_COMMAND,
    SHELL_PROMPT,
    Session,
    parse_identity,
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
    abstract = False
    aliases = ("linux_ssh",)
    default_port = 22
    password_policy = PasswordPolicy(min_length=8, max_length=64, length=20)
    banner = b""

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
                # the verdict on a wrong password comes after the server's failure delay
                auth_timeout=self.timeout + self.login_failure_delay,
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

    def _shell(self, client):
        """A ``Session`` on an interactive shell, once its first prompt has arrived."""
        chan = client.invoke_shell(width=200, height=50)
        chan.settimeout(self.timeout)

        def recv(n, timeout):
            chan.settimeout(max(0.05, timeout))
            try:
                data = chan.recv(n)
            except socket.timeout as exc:
                raise TimeoutError() from exc
            return data

        sess = Session(recv, chan.sendall, self.timeout)
        self.banner = sess.expect([SHELL_PROMPT])[1]
        return sess

    def _logged_in(self, username, password, work, refused):
        client = self._client(username, password)
        if client is None:
            raise DriverError("ssh login as %r refused%s" % (username, refused))
        try:
            return work(self._shell(client))
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise Unreachable("ssh session lost: %s" % clean(exc)) from exc
        finally:
            client.close()

    def identify(self, username, password):
        out = self._logged_in(username, password, lambda sess: sess.command(IDENTIFY_COMMAND), "")
        return parse_identity(out, self.banner)

    def change_password(self, username, old_password, new_password):
        self._logged_in(
            username,
            old_password,
            lambda sess: passwd_dialog(sess, self, username, old_password, new_password),
            " just before the change",
        )
