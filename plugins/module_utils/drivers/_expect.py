# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny expect loop shared by the shell drivers (SSH and telnet).

``Session`` wraps a ``recv(n) -> bytes`` / ``send(bytes)`` pair; ``expect`` reads until one
of the patterns matches the tail of the buffer or the timeout runs out. Output kept for
error messages is bounded; what is sent is never kept.
"""

from __future__ import annotations

import re
import socket
import time

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordRejected,
    Unreachable,
    clean,
)

MAX_BUFFER = 64 * 1024
SHELL_PROMPT = re.compile(rb"[\w@\-\.~/:\[\] ]{0,80}[#$>%] ?$")


class Session:
    def __init__(self, recv, send, timeout, filter_input=None):
        self._recv = recv
        self._send = send
        self.timeout = timeout
        self.filter_input = filter_input
        self.buffer = b""

    def send_line(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self._send(text + b"\r\n" if getattr(self, "crlf", False) else text + b"\n")

    def expect(self, patterns, timeout=None):
        """Index of the first pattern found in what arrived, and the text up to it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, pat in enumerate(patterns):
                m = pat.search(self.buffer)
                if m:
                    seen = self.buffer[: m.end()]
                    self.buffer = self.buffer[m.end() :]
                    return i, seen
            left = deadline - time.monotonic()
            if left <= 0:
                raise Unreachable(
                    "no answer matching the expected prompt within %.0fs" % (timeout or self.timeout)
                )
            try:
                chunk = self._recv(4096, left)
            except TimeoutError:
                continue
            except (OSError, EOFError) as exc:
                raise Unreachable("connection lost: %s" % clean(exc)) from exc
            if not chunk:
                raise Unreachable("connection closed by the device (after: %r)" % clean(self.buffer[-80:]))
            if self.filter_input:
                chunk = self.filter_input(chunk)
            self.buffer = (self.buffer + chunk)[-MAX_BUFFER:]


def passwd_dialog(session, driver, username, old, new):
    """Run ``passwd`` in a logged-in shell and answer its prompts from the driver's table."""
    session.buffer = b""
    session.send_line(driver.passwd_command.format(username=username))
    patterns = [prompt[0] for prompt in driver.passwd_prompts] + [driver.passwd_ok, driver.passwd_bad]
    answers = 0
    while True:
        try:
            idx, seen = session.expect(patterns)
        except Unreachable as exc:
            raise DriverError("passwd did not finish: %s" % exc) from exc
        if idx == len(patterns) - 2:
            return
        if idx == len(patterns) - 1:
            raise PasswordRejected("passwd refused it: %s" % clean(seen[-120:]))
        answers += 1
        if answers > 6:
            raise DriverError("passwd keeps prompting; last output: %s" % clean(seen[-120:]))
        what = driver.passwd_prompts[idx][1]
        session.send_line(old if what == "old" else new)


def socket_recv(sock):
    def recv(n, timeout):
        sock.settimeout(max(0.05, timeout))
        try:
            return sock.recv(n)
        except socket.timeout as exc:
            raise TimeoutError() from exc

    return recv
