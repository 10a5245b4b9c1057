# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""BusyBox telnetd devices: raw socket with real telnet option negotiation (RFC 854/855).

Sources: RFC 854/855 (telnet, option negotiation), RFC 857 (ECHO), RFC 858 (SUPPRESS-GO-
AHEAD), RFC 1073 (NAWS, window size); BusyBox ``networking/telnetd.c`` (it opens with
``DO ECHO, DO NAWS, WILL ECHO, WILL SGA``), ``loginutils/login.c`` (a refused password
costs a ~3 s pause, ``Login incorrect``, three tries per connection) and
``loginutils/passwd.c`` with ``libbb/obscure.c`` (``Bad password: ...`` refuses a weak
password for a user, only warns root). The same dialogue works with inetutils' telnetd in
front of a PAM ``login`` (Debian).

We agree to SUPPRESS-GO-AHEAD and to NAWS (a window of 200x50, so long commands never
wrap into terminal redraws), let the server ECHO and refuse every other option;
subnegotiations are skipped. The text stream then passes the terminal filter (escape
sequences removed, ``ESC[6n`` cursor queries answered), and ``login:`` / ``Password:`` /
``passwd`` follow as on any BusyBox shell.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._expect import (
    IDENTIFY_COMMAND,
    PASSWD_COMMAND,
    SHELL_PROMPT,
    Session,
    parse_identity,
    parse_passwd,
    passwd_dialog,
    socket_recv,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    ShellPasswdMixin,
    Unreachable,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import LockoutRead

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
OPT_ECHO, OPT_SGA, OPT_NAWS = 1, 3, 31
WINDOW = (200, 50)  # columns, rows we tell the server (NAWS)

LOGIN_PROMPT = re.compile(rb"(login|username)\s*:\s*$", re.I)
PASSWORD_PROMPT = re.compile(rb"password\s*:\s*$", re.I)
LOGIN_FAILED = re.compile(rb"(login incorrect|authentication failed|access denied|invalid)", re.I)


class TelnetNegotiator:
    """Strips telnet commands from the stream and answers them on ``send``."""

    def __init__(self, send):
        self.send = send
        self._state = 0  # 0 data, 1 after IAC, 2 after IAC verb, 3 in SB, 4 IAC in SB
        self._verb = 0

    def feed(self, data):
        out = bytearray()
        for b in data:
            if self._state == 0:
                if b == IAC:
                    self._state = 1
                else:
                    out.append(b)
            elif self._state == 1:
                if b == IAC:
                    out.append(IAC)
                    self._state = 0
                elif b in (DO, DONT, WILL, WONT):
                    self._verb = b
                    self._state = 2
                elif b == SB:
                    self._state = 3
                else:
                    self._state = 0
            elif self._state == 2:
                self._answer(self._verb, b)
                self._state = 0
            elif self._state == 3:
                if b == IAC:
                    self._state = 4
            elif self._state == 4:
                self._state = 0 if b == SE else 3
        return bytes(out)

    def _answer(self, verb, opt):
        if verb == DO and opt == OPT_NAWS:
            cols, rows = WINDOW
            self.send(bytes([IAC, WILL, OPT_NAWS, IAC, SB, OPT_NAWS, 0, cols, 0, rows, IAC, SE]))
        elif verb == DO:
            self.send(bytes([IAC, WILL if opt == OPT_SGA else WONT, opt]))
        elif verb == WILL:
            self.send(bytes([IAC, DO if opt in (OPT_ECHO, OPT_SGA) else DONT, opt]))
        # DONT / WONT need no answer from a client that never asked


class TelnetBusyboxDriver(LockoutRead, ShellPasswdMixin, BaseDriver):
    name = "telnet_busybox"
    abstract = False
    default_port = 23
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=16)
    banner = b""

    def _session(self, username, password):
        sock = self._connect()
        neg = TelnetNegotiator(sock.sendall)
        sess = Session(socket_recv(sock), sock.sendall, self.timeout, filter_input=neg.feed)
        sess.crlf = True
        try:
            sess.expect([LOGIN_PROMPT])
            sess.send_line(username)
            idx = sess.expect([PASSWORD_PROMPT, SHELL_PROMPT])[0]
            if idx == 0:
                sess.send_line(password)
                # a refusal comes after login(1)'s failure pause, not within the usual timeout
                verdict = [LOGIN_FAILED, LOGIN_PROMPT, SHELL_PROMPT]
                idx, seen = sess.expect(verdict, timeout=self.timeout + self.login_failure_delay)
                if idx in (0, 1):
                    sock.close()
                    return None, None
                self.banner = seen
            else:
                self.banner = b""
        except Unreachable:
            sock.close()
            raise
        return sock, sess

    def login(self, username, password):
        sock = self._session(username, password)[0]
        if sock is None:
            return False
        sock.close()
        return True

    # BusyBox's own login(1) has no account lockout (it only pauses after a failure and drops
    # the connection after three); only a build with PAM could add one (pam_tally/faillock).
    LOCKOUT_PROBE = "busybox; cat /etc/pam.d/login"
    NO_PAM = re.compile(rb"can't open '/etc/pam\.d/login'|/etc/pam\.d/login: No such file", re.I)
    BUSYBOX = re.compile(rb"BusyBox v\d+\.\d+")

    def _run_logged_in(self, username, password, command):
        sock, sess = self._session(username, password)
        if sock is None:
            raise DriverError("telnet login as %r refused" % username)
        try:
            return sess.command(command)
        finally:
            sock.close()

    def identify(self, username, password):
        return parse_identity(self._run_logged_in(username, password, IDENTIFY_COMMAND), self.banner)

    def login_accounts(self, username, password):
        return parse_passwd(self._run_logged_in(username, password, PASSWD_COMMAND))

    def lockout_policy(self, username, password):
        seen = self._run_logged_in(username, password, self.LOCKOUT_PROBE)
        if self.BUSYBOX.search(seen) and self.NO_PAM.search(seen):
            return {
                "enabled": False,
                "threshold": None,
                "duration": None,
                "evidence": "BusyBox login without PAM (no /etc/pam.d/login): no account lockout",
            }
        return None

    def change_password(self, username, old_password, new_password):
        sock, sess = self._session(username, old_password)
        if sock is None:
            raise DriverError("telnet login as %r refused just before the change" % username)
        try:
            passwd_dialog(sess, self, username, old_password, new_password)
        finally:
            sock.close()
