# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""iotguard OpenVPN verifier: the TOTP second factor behind the client certificate.

OpenVPN runs it for each new login (``auth-user-pass-verify ... via-file``) as its
unprivileged user; renegotiations are answered by the server's session token
(``auth-gen-token``) and never reach it. The username must be the certificate's common
name and the password the current TOTP code. Wrong codes, lockouts (with backoff) and the
last accepted time step (no replay) are the collection's TOTP ledger (``totp.Ledger``, the
same one the WireGuard authenticator uses), kept in a state file under a lock. Codes and
secrets are never logged.

Usage: iotguard-ovpn-verify CONFIG.json CREDENTIALS_FILE   (exit 0 accepts, 1 refuses)
"""

import fcntl
import json
import os
import sys
import time

try:  # in the collection (tests)
    from ansible_collections.iotguard.hardening.plugins.module_utils import totp
except ImportError:  # on the server: totp.py is installed beside this program
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    import totp

MAX_FIELD = 128


def log(msg):
    sys.stderr.write("iotguard-ovpn-verify: %s\n" % msg)
    sys.stderr.flush()


def read_credentials(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read(2 * MAX_FIELD + 4).splitlines()
    if len(lines) < 2:
        return None, None
    return lines[0][:MAX_FIELD], lines[1][:MAX_FIELD]


def decide(conf, ledger, username, password, common_name):
    """Return (accepted, message for the log). The message never holds the code."""
    if not username or username != common_name:
        return False, "refused: username does not match the certificate %r" % (common_name or "")[:64]
    users = conf.get("users") or {}
    if username not in users:
        return False, "refused %s: not enrolled (revoked, or no TOTP secret)" % username
    outcome = ledger.check(username, users[username], (password or "").strip(), **totp.policy(conf))
    kind = outcome[0]
    if kind == "ok":
        return True, "accepted %s" % username
    if kind == "locked":
        return False, "refused %s: locked out for %ds more" % (username, outcome[1])
    if kind == "lockout":
        return False, "refused %s: wrong code, locked out for %ds (lockout %d)" % (
            username,
            outcome[1],
            outcome[2],
        )
    if kind == "broken":
        return False, "refused %s: its secret is unusable; re-enrol" % username
    return False, "refused %s: wrong or reused code (%d)" % (username, outcome[1])


def main(argv, environ=None, clock=time.time):
    environ = os.environ if environ is None else environ
    if len(argv) != 3:
        log("usage: iotguard-ovpn-verify CONFIG.json CREDENTIALS_FILE")
        return 2
    try:
        with open(argv[1], encoding="utf-8") as fh:
            conf = json.load(fh)
        username, password = read_credentials(argv[2])
        state = conf.get("state_file")
        lock_fd = os.open(state + ".lock", os.O_WRONLY | os.O_CREAT, 0o600) if state else None
        try:
            if lock_fd is not None:
                fcntl.flock(lock_fd, fcntl.LOCK_EX)
            ledger = totp.Ledger(state, clock)
            ledger.load(conf.get("users") or {}, int(conf.get("lockout_seconds", 900)))
            if ledger.unreadable:
                log("state file unreadable; every user locked out for safety")
            ok, message = decide(conf, ledger, username, password, environ.get("common_name"))
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
    except Exception as exc:  # noqa: BLE001 - any failure refuses the login
        log("refused: verifier error %s" % type(exc).__name__)
        return 1
    log("%s from %s" % (message, environ.get("untrusted_ip", "?")[:64]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
