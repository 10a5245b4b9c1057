# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""pam_faillock on a Debian device reached through its shell: what the lockout reads and
writes, as plain text and shell lines (no Python needed on the device).

The pam-auth-update profiles are the ones the ``lockout_policy`` role installs on a host
(``iotguard-faillock-preauth`` before pam_unix, ``iotguard-faillock`` after it), so a device
hardened by the driver and a host hardened by the role end with the same PAM stack, and
either one recognises the other's work. ``faillock.conf(5)`` keys ``deny`` and
``unlock_time`` carry the threshold and the duration; its other keys are kept.
"""

from __future__ import annotations

import re
import shlex

CONF = "/etc/security/faillock.conf"
AUTH_STACK = "/etc/pam.d/common-auth"
PROFILE_DIR = "/usr/share/pam-configs"
#: faillock.conf(5) defaults, in force while the key is absent
DEFAULTS = {"deny": 3, "unlock_time": 600}
#: what pam_faillock takes: deny >= 1 (0 is refused), unlock_time 0 = never (refused here:
#: a permanent lock would lock the engineer out), else seconds
THRESHOLD_RANGE = (1, 100)
DURATION_RANGE = (1, 86400)

PROFILES = {
    "iotguard-faillock-preauth": (
        "Name: iotguard.hardening: refuse logins to locked accounts (pam_faillock preauth)\n"
        "Default: no\n"
        "Priority: 1024\n"
        "Auth-Type: Primary\n"
        "Auth:\n"
        "\trequisite\t\t\tpam_faillock.so preauth\n"
    ),
    "iotguard-faillock": (
        "Name: iotguard.hardening: count failed logins and lock accounts (pam_faillock)\n"
        "Default: no\n"
        "Priority: 0\n"
        "Auth-Type: Primary\n"
        "Auth:\n"
        "\t[default=die]\t\t\tpam_faillock.so authfail\n"
        "Account-Type: Additional\n"
        "Account:\n"
        "\trequired\t\t\tpam_faillock.so\n"
    ),
}

_KEY = re.compile(r"^\s*(deny|unlock_time)\s*=\s*(\d+)\s*$", re.M)


def parse(conf_text, auth_stack_text):
    """``{"enabled", "threshold", "duration", "evidence"}`` from faillock.conf and the PAM
    auth stack: enabled only when the stack runs pam_faillock both before (preauth) and after
    (authfail) the password check."""
    values = dict(DEFAULTS)
    for key, value in _KEY.findall(conf_text or ""):
        values[key] = int(value)
    lines = [ln.split("#", 1)[0] for ln in (auth_stack_text or "").splitlines()]
    preauth = any("pam_faillock.so" in ln and "preauth" in ln for ln in lines)
    authfail = any("pam_faillock.so" in ln and "authfail" in ln for ln in lines)
    enabled = preauth and authfail and values["deny"] > 0
    stack = {
        (True, True): "preauth and authfail",
        (True, False): "preauth only",
        (False, True): "authfail only",
    }
    evidence = "%s: pam_faillock %s; %s: deny = %d, unlock_time = %d" % (
        AUTH_STACK,
        stack.get((preauth, authfail), "absent"),
        CONF,
        values["deny"],
        values["unlock_time"],
    )
    return {
        "enabled": enabled,
        "threshold": values["deny"],
        "duration": values["unlock_time"] or None,
        "evidence": evidence,
    }


def set_keys_script(threshold, duration, conf=CONF):
    """A POSIX shell script (run as root) that sets ``deny`` and ``unlock_time`` in
    faillock.conf, keeping every other line, and writes the file in one rename."""
    for value in (threshold, duration):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("threshold and duration must be whole numbers of at least 1")
    return (
        'set -e; conf=%(conf)s; touch "$conf"; '
        "awk -v deny=%(deny)d -v unlock=%(unlock)d '"
        '/^[ \\t]*deny[ \\t]*=/ {if (!d) print "deny = " deny; d=1; next} '
        '/^[ \\t]*unlock_time[ \\t]*=/ {if (!u) print "unlock_time = " unlock; u=1; next} '
        "{print} "
        'END {if (!d) print "deny = " deny; if (!u) print "unlock_time = " unlock}\' '
        '"$conf" > "$conf.iotguard"; chmod 0644 "$conf.iotguard"; mv "$conf.iotguard" "$conf"'
    ) % {"conf": shlex.quote(conf), "deny": threshold, "unlock": duration}


def enable_script():
    """A shell script (run as root) that installs the profiles and enables them with
    pam-auth-update, which keeps the rest of the stack as the system and the admin set it."""
    parts = ["set -e", "command -v pam-auth-update >/dev/null", "test -d %s" % PROFILE_DIR]
    for name, text in PROFILES.items():
        parts.append("printf '%%s' '%s' > %s/%s" % (text.replace("'", ""), PROFILE_DIR, name))
    parts.append("DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable %s" % " ".join(PROFILES))
    return "; ".join(parts)
