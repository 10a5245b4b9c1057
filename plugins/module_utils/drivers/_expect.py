# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny expect loop shared by the shell drivers (SSH and telnet).

``Session`` wraps a ``recv(n) -> bytes`` / ``send(bytes)`` pair; ``expect`` reads until one
of the patterns matches the tail of the buffer or the timeout runs out. Output kept for
error messages is bounded; what is sent is never kept.

Real firmware talks to a terminal, not to a program. What arrives passes through
``TerminalFilter`` first: ANSI/VT100 escape sequences (ECMA-48 CSI and OSC strings, the
two- and three-byte ESC forms) are removed, and the cursor-position and status queries are
answered as a VT100 would (``ESC[6n`` -> ``ESC[row;colR``, ``ESC[5n`` -> ``ESC[0n``). BusyBox
ash built with ``FEATURE_EDITING_ASK_TERMINAL`` (Debian's busybox-static, much firmware)
prints ``ESC[6n`` right after every prompt, so a prompt is only recognisable once the
query is taken out.

``passwd_dialog`` answers ``passwd`` from the driver's prompt table and reads the
device's own words: a weak-password warning that BusyBox and pam_pwquality give root and
then carry on is a warning (kept in ``driver.warnings``), a refusal is
``PasswordRejected`` with the device's reason, and a device that cannot write its
password file (read-only firmware, a lock it cannot take) is ``ChangeImpossible`` with
the device's line, at once rather than after the verification logins time out.
"""

from __future__ import annotations

import re
import socket
import time

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    ChangeImpossible,
    DriverError,
    PasswordRejected,
    Unreachable,
    clean,
)

MAX_BUFFER = 64 * 1024
SHELL_PROMPT = re.compile(rb"[\w@\-\.~/:\[\] ]{0,80}[#$>%] ?$")

END_MARK = "IOTG-END"
_END = re.compile(re.escape(END_MARK.encode()) + rb"[\r\n]+[^\r\n]*[#$>%] ?$")

ESC = 0x1B
#: what a VT100 answers to the queries firmware shells send (row;col of an 80x24 screen)
QUERY_ANSWERS = {b"6n": b"\x1b[24;1R", b"5n": b"\x1b[0n"}
_MAX_ESCAPE = 64  # an unterminated "escape" longer than this is data, not a sequence


class TerminalFilter:
    """Removes terminal escape sequences from a byte stream split at arbitrary points and
    answers the queries among them through ``send``."""

    def __init__(self, send=None):
        self.send = send
        self._pending = b""
        self.queries = 0

    def feed(self, data):
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        i, n = 0, len(data)
        while i < n:
            b = data[i]
            if b != ESC:
                out.append(b)
                i += 1
                continue
            end = self._sequence_end(data, i)
            if end is None and n - i <= _MAX_ESCAPE:  # incomplete: wait for the rest
                self._pending = data[i:]
                break
            if end is None or end is False:  # not a sequence after all: plain data
                out.append(b)
                i += 1
                continue
            self._answer(data[i:end])
            i = end
        return bytes(out)

    @staticmethod
    def _sequence_end(data, i):
        """Index just past the escape sequence starting at ``data[i]``; None when incomplete,
        False when what follows the ESC is too long to be a sequence."""
        n = len(data)
        if i + 1 >= n:
            return None
        kind = data[i + 1]
        if kind == 0x5B:  # CSI: ESC [ parameters intermediates final(0x40-0x7e)
            j = i + 2
            while j < n and j - i <= _MAX_ESCAPE:
                if 0x40 <= data[j] <= 0x7E:
                    return j + 1
                j += 1
            return None if j >= n else False
        if kind in (0x5D, 0x50, 0x5F, 0x5E):  # OSC, DCS, APC, PM: up to BEL or ESC \
            j = i + 2
            while j < n:
                if data[j] == 0x07:
                    return j + 1
                if data[j] == ESC and j + 1 < n and data[j + 1] == 0x5C:
                    return j + 2
                j += 1
            return None
        if kind in (0x28, 0x29, 0x2A, 0x2B, 0x23, 0x25):  # charset / line size: ESC ( B etc.
            return i + 3 if i + 2 < n else None
        return i + 2  # ESC 7, ESC 8, ESC =, ESC >, ESC M, ...

    def _answer(self, seq):
        if len(seq) < 3 or seq[1] != 0x5B:
            return
        reply = QUERY_ANSWERS.get(seq[2:])
        if reply is not None:
            self.queries += 1
            if self.send is not None:
                self.send(reply)


def strip_terminal(data):
    """``data`` with every escape sequence removed (no answers sent)."""
    return TerminalFilter().feed(data)


class Session:
    def __init__(self, recv, send, timeout, filter_input=None):
        self._recv = recv
        self._send = send
        self.timeout = timeout
        self.filter_input = filter_input
        self.terminal = TerminalFilter(send)
        self.buffer = b""

    def send_line(self, text):
        if isinstance(text, str):
            text = text.encode("utf-8")
        self._send(text + b"\r\n" if getattr(self, "crlf", False) else text + b"\n")

    def send_raw(self, data):
        self._send(data)

    def expect(self, patterns, timeout=None):
        """Index of the first pattern found in what arrived, and the text up to it."""
        wait = timeout or self.timeout
        deadline = time.monotonic() + wait
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
                    "no answer matching the expected prompt within %.0fs (last output: %r)"
                    % (wait, clean(self.buffer[-80:]))
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
            chunk = self.terminal.feed(chunk)
            self.buffer = (self.buffer + chunk)[-MAX_BUFFER:]

    def command(self, line, timeout=None):
        """Run one shell command and return what it printed (echo and prompt included).

        The end is a marker the shell prints after the command, spelt differently in the
        echoed command line, so neither a ``>`` in the echo nor output that looks like a
        prompt ends the wait early."""
        self.buffer = b""
        self.send_line('%s; echo %s""%s' % (line, END_MARK[:4], END_MARK[4:]))
        return self.expect([_END], timeout)[1]


# --- passwd ----------------------------------------------------------------------------------
#: the device's own lines that end a passwd dialog without a change no other password would
#: avoid: the password file cannot be written (read-only firmware image, full flash, a lock)
DEVICE_ERRORS = re.compile(
    rb"[^\r\n]*(read-only file system|no space left on device|can't (?:create|update|open|lock)[^\r\n]*"
    rb"(?:passwd|shadow)|cannot (?:lock|open|update)[^\r\n]*(?:passwd|shadow)|"
    rb"authentication token lock busy|permission denied|operation not permitted|must be suid)[^\r\n]*",
    re.I,
)
#: a policy's complaint about the new password (a refusal for a user, only a warning for
#: root on BusyBox and pam_pwquality without enforce_for_root)
POLICY_WORDS = re.compile(
    rb"[^\r\n]*(bad password|too (?:short|simple|weak|similar)|dictionary|palindrome|"
    rb"must (?:choose|contain|be)|is shorter than|fewer than|not enough|based on|"
    rb"similar to|password (?:history|has been already used)|does not meet|not allowed)[^\r\n]*",
    re.I,
)
#: the dialog ended and the password is unchanged
PASSWD_FAILED = re.compile(
    rb"(unchanged|password not changed|not changed|authentication token manipulation error|"
    rb"incorrect password|authentication failure|don't match|do not match|mismatch|"
    rb"maximum number of retries|try again later|can't update password file)",
    re.I,
)


def _device_lines(rx, transcript, limit=3):
    lines = []
    for m in rx.finditer(transcript):
        line = clean(m.group(0), 160)
        if line and line not in lines:
            lines.append(line)
    return lines[:limit]


def passwd_dialog(session, driver, username, old, new):
    """Run ``passwd`` in a logged-in shell and answer its prompts from the driver's table.

    Returns the device's warnings (also kept in ``driver.warnings``)."""
    session.buffer = b""
    session.send_line(driver.passwd_command.format(username=username))
    prompts = [prompt[0] for prompt in driver.passwd_prompts]
    ok, failed, ended = len(prompts), len(prompts) + 1, len(prompts) + 2
    patterns = [*prompts, driver.passwd_ok, PASSWD_FAILED, SHELL_PROMPT]
    transcript = b""
    answered_new = 0
    answers = 0
    while True:
        try:
            idx, seen = session.expect(patterns)
        except Unreachable as exc:
            transcript += session.buffer
            if _device_lines(DEVICE_ERRORS, transcript):
                _raise_refusal(transcript, b"")
            raise DriverError("passwd did not finish: %s" % exc) from exc
        transcript = (transcript + seen)[-MAX_BUFFER:]
        if idx == ok:
            warnings = _device_lines(POLICY_WORDS, transcript)
            driver.warnings = ["device warned: %s" % w for w in warnings]
            return driver.warnings
        if idx == ended:
            # back at the prompt without a verdict: the device's own lines say why, if any
            if _device_lines(DEVICE_ERRORS, transcript) or _device_lines(POLICY_WORDS, transcript):
                _raise_refusal(transcript, seen)
            raise DriverError("passwd ended without a verdict; last output: %s" % clean(seen[-160:]))
        if idx == failed:
            # the rest of the device's explanation may still be arriving
            try:
                session.expect([SHELL_PROMPT], timeout=min(2.0, session.timeout))
            except Unreachable:
                pass
            transcript += session.buffer
            _raise_refusal(transcript, seen)
        what = driver.passwd_prompts[idx][1]
        if what == "new":
            answered_new += 1
            if answered_new > 2:
                # asked for a new password again: the last one was refused; stop the retries
                session.send_raw(b"\x03")
                _raise_refusal(transcript, seen)
        answers += 1
        if answers > 6:
            raise DriverError("passwd keeps prompting; last output: %s" % clean(seen[-120:]))
        if what == "new":
            driver._sending()
        session.send_line(old if what == "old" else new)


def _raise_refusal(transcript, seen):
    errors = _device_lines(DEVICE_ERRORS, transcript)
    if errors:
        raise ChangeImpossible("passwd cannot change it on this device: %s" % "; ".join(errors))
    policy = _device_lines(POLICY_WORDS, transcript)
    if policy:
        raise PasswordRejected("passwd refused it: %s" % "; ".join(policy))
    raise PasswordRejected("passwd refused it: %s" % clean(seen[-120:]))


# --- identity ----------------------------------------------------------------------------------
#: one command that makes a Linux/BusyBox shell say what it is; every part may be missing
IDENTIFY_COMMAND = "cat /etc/os-release; busybox | head -n 1; uname -srm"
_OS_RELEASE = re.compile(rb'^(ID|NAME|VERSION_ID|PRETTY_NAME)="?([^"\r\n]{1,80})"?$', re.M)
_BUSYBOX = re.compile(rb"BusyBox v(\d+\.\d+(?:\.\d+)?)[^\r\n]*")
_UNAME = re.compile(rb"^(Linux \S+ \S+)\s*$", re.M)


def parse_identity(output, banner=b""):
    """What a logged-in Linux/BusyBox shell said about itself (``IDENTIFY_COMMAND``'s
    output plus the login banner) as plain, cleaned facts; ``{}`` when it said nothing."""
    facts = {}
    output = (output or b"").replace(b"\r", b"\n")
    fields = {k.decode(): clean(v, 80) for k, v in _OS_RELEASE.findall(output)}
    if fields.get("PRETTY_NAME") or fields.get("NAME"):
        facts["os"] = fields.get("PRETTY_NAME") or fields.get("NAME")
        facts["os_id"] = fields.get("ID")
        if fields.get("VERSION_ID"):
            facts["os_version"] = fields["VERSION_ID"]
    bb = _BUSYBOX.search(output) or _BUSYBOX.search(banner or b"")
    if bb:
        facts["busybox"] = clean(bb.group(1), 20)
    kernel = _UNAME.search(output)
    if kernel:
        facts["kernel"] = clean(kernel.group(1), 80)
    if not facts:
        return {}
    if "os" not in facts:
        facts["os"] = "Linux (BusyBox %s)" % facts["busybox"] if "busybox" in facts else "Linux"
    return facts


PASSWD_COMMAND = "cat /etc/passwd"  # noqa: S105 - a command, not a password
_PASSWD_LINE = re.compile(
    rb"^([A-Za-z0-9._][A-Za-z0-9._-]{0,31}):([^:\n]*):\d+:\d*:[^:\n]*:[^:\n]*:([^:\n]*)$", re.M
)
_NO_LOGIN = re.compile(rb"(nologin|/false|/sync|/shutdown|/halt)\s*$")


def parse_passwd(output, limit=32):
    """Account names that can log in, from ``/etc/passwd`` as a shell printed it: a login
    shell, and a password field that is not locked (``*``, ``!``). Device data: names are
    checked against a strict pattern, at most ``limit`` of them."""
    names = []
    for name, pw, shell in _PASSWD_LINE.findall((output or b"").replace(b"\r", b"")):
        if pw[:1] in (b"*", b"!") or _NO_LOGIN.search(shell) or not shell.strip():
            continue
        name = name.decode("ascii")
        if name not in names:
            names.append(name)
        if len(names) >= limit:
            break
    return names


def socket_recv(sock):
    def recv(n, timeout):
        sock.settimeout(max(0.05, timeout))
        try:
            return sock.recv(n)
        except socket.timeout as exc:
            raise TimeoutError() from exc

    return recv
