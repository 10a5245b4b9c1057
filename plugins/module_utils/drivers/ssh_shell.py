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

import re
import shlex
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
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    LockoutRange,
    LockoutSet,
    MqttAuthSet,
    ServiceSwitch,
    SettingRejected,
    SnmpCommunitySet,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import faillock

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


#: how much of a command's output the driver reads (device data is hostile: bounded)
MAX_OUTPUT = 65536
#: a telnet listener on port 23 (0x0017) in /proc/net/tcp{,6}: state 0A is LISTEN
TELNET_LISTENING = "grep -Eqs ':0017 +[0-9A-F]+:[0-9A-F]+ +0A ' /proc/net/tcp /proc/net/tcp6"
SNMPD_CONFS = "/etc/snmp/snmpd.conf /etc/snmp/snmpd.conf.d/*.conf"
MOSQUITTO_CONFS = "/etc/mosquitto/mosquitto.conf /etc/mosquitto/conf.d/*.conf"
_COMMUNITY = re.compile(r"^\s*rocommunity6?\s+(\S+)", re.M)
_ANONYMOUS = re.compile(r"^\s*allow_anonymous\s+true\b", re.M)


def restart(service):
    """Shell: restart ``service`` through its init script, quietly (a daemon that kept the
    channel's output open would hold the session), failing with a line that names it."""
    return 'service %s restart >/dev/null 2>&1 || { echo "service %s restart failed" >&2; exit 1; }' % (
        service,
        service,
    )


class DebianShellDriver(LockoutSet, ServiceSwitch, SnmpCommunitySet, MqttAuthSet, SshShellDriver):
    """A Debian-based device over SSH whose account runs root commands (root itself, or
    ``sudo`` without a password): each setting through the device's own files and tools.

    Lockout: pam_faillock (``lockout.faillock``: faillock.conf and the pam-auth-update
    profiles the lockout_policy role uses). Telnet: the inetd service (``update-inetd``) and
    nothing listening on port 23 after it. SNMP: snmpd's ``rocommunity`` lines (the
    community goes in on stdin, never on a command line). MQTT: mosquitto's
    ``allow_anonymous``. Daemons restart through their init scripts (``service``).
    """

    name = "debian_shell"
    abstract = False
    aliases = ()
    lockout_range = LockoutRange(faillock.THRESHOLD_RANGE, faillock.DURATION_RANGE)
    switchable_services = ("telnet",)

    def _run(self, username, password, script, what, stdin=b"", root=True):
        """Run ``script`` with ``sh`` (as root when ``root``) on one exec channel; its output,
        or ``DriverError`` naming ``what`` with the device's own error line."""
        client = self._client(username, password)
        if client is None:
            raise DriverError("ssh login as %r refused (%s)" % (username, what))
        command = "sh -c %s" % shlex.quote(script)
        if root and username != "root":
            command = "sudo -n " + command
        try:
            chan_in, chan_out, chan_err = client.exec_command(command, timeout=self.timeout * 3)
            if stdin:
                chan_in.write(stdin)
            chan_in.channel.shutdown_write()
            out = chan_out.read(MAX_OUTPUT)
            err = chan_err.read(MAX_OUTPUT)
            status = chan_out.channel.recv_exit_status()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise Unreachable("ssh session lost (%s): %s" % (what, clean(exc))) from exc
        finally:
            client.close()
        if status != 0:
            raise DriverError(
                "%s failed on the device (exit %d): %s"
                % (what, status, clean(err.strip().splitlines()[-1:] or b"no message"))
            )
        return out.decode("utf-8", "replace")

    # -- lockout -------------------------------------------------------------------------------
    def lockout_policy(self, username, password):
        out = self._run(
            username,
            password,
            "cat %s 2>/dev/null; echo @@iotguard@@; cat %s" % (faillock.CONF, faillock.AUTH_STACK),
            "reading the lockout",
            root=False,
        )
        conf, _sep, stack = out.partition("@@iotguard@@")
        return faillock.parse(conf, stack)

    def _write_lockout(self, username, password, lockout):
        self._run(
            username,
            password,
            faillock.set_keys_script(lockout["threshold"], lockout["duration"]),
            "writing faillock.conf",
        )
        self._run(username, password, faillock.enable_script(), "enabling pam_faillock")

    # -- services ------------------------------------------------------------------------------
    def read_services(self, username, password):
        out = self._run(
            username,
            password,
            "grep -Eqs '^[[:space:]]*telnet[[:space:]]' /etc/inetd.conf && echo inetd; "
            "%s && echo listening; true" % TELNET_LISTENING,
            "reading the telnet service",
            root=False,
        )
        return {"telnet": bool(out.split())}

    def _write_service(self, username, password, service, enabled):
        # inetd's own tool comments or restores the line; the init script makes inetd reread
        self._run(
            username,
            password,
            "set -e; update-inetd --%s telnet; "
            "for s in inetutils-inetd openbsd-inetd; do "
            "if [ -x /etc/init.d/$s ]; then %s; fi; done"
            % ("enable" if enabled else "disable", restart("$s")),
            "switching telnet %s" % ("on" if enabled else "off"),
        )

    # -- SNMP ----------------------------------------------------------------------------------
    def read_snmp_community(self, username, password):
        out = self._run(
            username, password, "cat %s 2>/dev/null; true" % SNMPD_CONFS, "reading snmpd's community"
        )
        found = _COMMUNITY.findall(out)
        return "default" if set(found) & set(self.default_communities) else "custom"

    def set_snmp_community(self, username, password, community):
        if not community or not re.match(r"^[A-Za-z0-9]{8,64}$", community):
            raise SettingRejected("snmp_community", "<hidden>", "8..64 letters and digits")
        script = (
            'set -e; read -r c; export c; n=0; for f in %s; do [ -f "$f" ] || continue; '
            "grep -Eq '^[[:space:]]*rocommunity6?[[:space:]]' \"$f\" || continue; "
            'awk \'$1 ~ /^rocommunity6?$/ {$2 = ENVIRON["c"]} {print}\' "$f" > "$f.iotguard"; '
            'cat "$f.iotguard" > "$f"; rm -f "$f.iotguard"; n=$((n+1)); done; '
            "[ \"$n\" -gt 0 ] || { echo 'no rocommunity line in snmpd.conf' >&2; exit 1; }; "
            "service snmpd restart >/dev/null 2>&1 || { echo 'service snmpd restart failed' >&2; exit 1; }"
            % SNMPD_CONFS
        )
        self._run(username, password, script, "setting snmpd's community", stdin=community.encode() + b"\n")

    # -- MQTT ----------------------------------------------------------------------------------
    def read_mqtt_auth(self, username, password):
        out = self._run(
            username, password, "cat %s 2>/dev/null; true" % MOSQUITTO_CONFS, "reading mosquitto's settings"
        )
        return not _ANONYMOUS.search(out)

    def set_mqtt_auth(self, username, password, required):
        old, new = ("true", "false") if required else ("false", "true")
        self._run(
            username,
            password,
            'set -e; for f in %s; do [ -f "$f" ] || continue; '
            "sed -i 's/^\\([[:space:]]*allow_anonymous[[:space:]]\\{1,\\}\\)%s/\\1%s/' \"$f\"; done; "
            "%s" % (MOSQUITTO_CONFS, old, new, restart("mosquitto")),
            "setting mosquitto's allow_anonymous",
        )
