# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The sshd drop-in of the lockout policy, merged with what the host already enforces.

sshd takes the first value it reads for a keyword, so a drop-in that sorts early wins over
the main sshd_config. That power must never loosen the host: for each keyword the host's
effective value (``sshd -T`` of the configuration *without* our drop-in) is compared with
the wanted one by the rule in ``RULES`` and the stricter is written. The whole effective
configuration (with the new drop-in in its place) is then validated with ``sshd -t`` and its
host keys checked against ``HostKeyAlgorithms`` before anything is written.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re

from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError

# keyword (lower case, as `sshd -T` prints it) -> how two values compare.
#   min:     a smaller number is stricter; "none"/0 where noted means unlimited
#   no:      "no" is stricter than "yes"
#   yes:     "yes" is stricter than "no"
#   order:   the earlier in ORDERS[keyword] is stricter
#   startups: MaxStartups start:rate:full, each part compared on its own
#   subset:  algorithm lists: the host's order, only what both allow
#   force:   the policy needs this value whatever the host has (e.g. UsePAM yes)
#   groups:  AllowGroups: only groups both allow
RULES = {
    "maxauthtries": ("min", ()),
    "logingracetime": ("min", ("0",)),
    "maxsessions": ("min", ()),
    "clientaliveinterval": ("min", ("0",)),
    "clientalivecountmax": ("min", ("0",)),
    "persourcemaxstartups": ("min", ("none",)),
    "maxstartups": ("startups", ()),
    "permitemptypasswords": ("no", ()),
    "passwordauthentication": ("no", ()),
    "kbdinteractiveauthentication": ("no", ()),
    "x11forwarding": ("no", ()),
    "allowtcpforwarding": ("no", ()),
    "disableforwarding": ("yes", ()),
    "ignorerhosts": ("yes", ()),
    "hostbasedauthentication": ("no", ()),
    "permituserenvironment": ("no", ()),
    "permitrootlogin": ("order", ()),
    "loglevel": ("order", ()),
    "kexalgorithms": ("subset", ()),
    "ciphers": ("subset", ()),
    "macs": ("subset", ()),
    "hostkeyalgorithms": ("subset", ()),
    "allowgroups": ("groups", ()),
    "usepam": ("force", ()),
    "persourcenetblocksize": ("force", ()),
    "persourcepenalties": ("force", ()),
}

ORDERS = {
    "permitrootlogin": ["no", "forced-commands-only", "without-password", "yes"],
    # more logging is stricter (CIS asks for VERBOSE or INFO; DEBUG is kept if the host has it)
    "loglevel": ["debug3", "debug2", "debug1", "debug", "verbose", "info", "error", "fatal", "quiet"],
}

# How sshd -T spells a value that sshd_config may spell differently.
ALIASES = {"permitrootlogin": {"prohibit-password": "without-password"}}

# Keywords that an OpenSSH release before this one rejects.
MIN_VERSION = {
    "persourcemaxstartups": (8, 5),
    "persourcenetblocksize": (8, 5),
    "persourcepenalties": (9, 8),
}

# The spelling written to the drop-in.
CANONICAL = {
    "maxauthtries": "MaxAuthTries",
    "logingracetime": "LoginGraceTime",
    "maxsessions": "MaxSessions",
    "clientaliveinterval": "ClientAliveInterval",
    "clientalivecountmax": "ClientAliveCountMax",
    "persourcemaxstartups": "PerSourceMaxStartups",
    "persourcenetblocksize": "PerSourceNetBlockSize",
    "persourcepenalties": "PerSourcePenalties",
    "maxstartups": "MaxStartups",
    "permitemptypasswords": "PermitEmptyPasswords",
    "passwordauthentication": "PasswordAuthentication",
    "kbdinteractiveauthentication": "KbdInteractiveAuthentication",
    "x11forwarding": "X11Forwarding",
    "allowtcpforwarding": "AllowTcpForwarding",
    "disableforwarding": "DisableForwarding",
    "ignorerhosts": "IgnoreRhosts",
    "hostbasedauthentication": "HostbasedAuthentication",
    "permituserenvironment": "PermitUserEnvironment",
    "permitrootlogin": "PermitRootLogin",
    "loglevel": "LogLevel",
    "kexalgorithms": "KexAlgorithms",
    "ciphers": "Ciphers",
    "macs": "MACs",
    "hostkeyalgorithms": "HostKeyAlgorithms",
    "allowgroups": "AllowGroups",
    "usepam": "UsePAM",
}

# Host key file type -> the HostKeyAlgorithms names that can use it.
HOSTKEY_ALGORITHMS = {
    "ssh-ed25519": ("ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"),
    "ssh-rsa": (
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-rsa",
        "rsa-sha2-512-cert-v01@openssh.com",
        "rsa-sha2-256-cert-v01@openssh.com",
    ),
    "ecdsa-sha2-nistp256": ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256-cert-v01@openssh.com"),
    "ecdsa-sha2-nistp384": ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384-cert-v01@openssh.com"),
    "ecdsa-sha2-nistp521": ("ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521-cert-v01@openssh.com"),
}


def keyword(name):
    key = str(name).lower()
    if key not in RULES:
        raise LockoutError(
            "sshd settings",
            name,
            "is not a keyword this policy knows how to compare with the host's value",
            "use one of: %s" % ", ".join(sorted(CANONICAL.get(k, k) for k in RULES)),
        )
    return key


def normalise(key, value):
    """A wanted value as sshd -T prints it (lower-case keywords, comma lists)."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        text = (" " if key == "allowgroups" else ",").join(str(v) for v in value)
    else:
        text = str(value).strip()
    if key in ("permitrootlogin", "loglevel", "usepam") or RULES[key][0] in ("no", "yes"):
        text = text.lower()
    return ALIASES.get(key, {}).get(text, text)


def parse_version(text):
    """`sshd -V` / `ssh -V` output -> (major, minor)."""
    match = re.search(r"OpenSSH_(\d+)\.(\d+)", text or "")
    if not match:
        raise LockoutError(
            "sshd version",
            (text or "")[:80],
            "is not an OpenSSH version string",
            "run the role against OpenSSH's sshd",
        )
    return int(match.group(1)), int(match.group(2))


def parse_effective(text):
    """`sshd -T` output -> {keyword: value}; repeated keywords (hostkey, ...) -> list."""
    result = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or " " not in line:
            continue
        key, value = line.split(" ", 1)
        key = key.lower()
        if key in result:
            if not isinstance(result[key], list):
                result[key] = [result[key]]
            result[key].append(value)
        else:
            result[key] = value
    return result


def _number(value, unlimited):
    return None if value in unlimited else int(value)


def stricter(key, wanted, host):
    """The stricter of two values of ``key`` (both as sshd -T prints them)."""
    rule, unlimited = RULES[key]
    if host is None or rule == "force":
        return wanted
    if rule == "min":
        w, h = _number(wanted, unlimited), _number(host, unlimited)
        if w is None:
            return host
        if h is None:
            return wanted
        return host if h < w else wanted
    if rule == "no":
        return "no" if "no" in (wanted, host) else wanted
    if rule == "yes":
        return "yes" if "yes" in (wanted, host) else wanted
    if rule == "order":
        order = ORDERS[key]
        if host not in order:
            return wanted
        return host if order.index(host) < order.index(wanted) else wanted
    if rule == "startups":
        w = [int(x) for x in wanted.split(":")]
        h = [int(x) for x in host.split(":")]
        if len(w) == 1:
            w = [w[0], 100, w[0]]
        if len(h) == 1:
            h = [h[0], 100, h[0]]
        merged = [min(w[0], h[0]), max(w[1], h[1]), min(w[2], h[2])]
        return "%d:%d:%d" % tuple(merged)
    if rule == "subset":
        offered = host.split(",")
        kept = [alg for alg in wanted.split(",") if alg in offered]
        if not kept:
            raise LockoutError(
                CANONICAL[key],
                wanted,
                "has nothing in common with the host's own list (%s)" % host,
                "add at least one of the host's algorithms to the policy's list",
            )
        return ",".join(kept)
    if rule == "groups":
        mine, theirs = wanted.split(), host.split()
        both = [g for g in theirs if g in mine]
        if not both:
            raise LockoutError(
                "AllowGroups",
                wanted,
                "has no group in common with the host's AllowGroups (%s), so nobody could log in" % host,
                "include one of the host's groups or drop the policy's AllowGroups",
            )
        return " ".join(both)
    raise AssertionError(key)  # pragma: no cover - RULES and this function agree


def merge(wanted, host, version):
    """Settings to write: {keyword: value}, the keywords where the host's stricter value
    was kept, and the keywords this sshd release does not know (left out)."""
    result, kept, unsupported = {}, [], []
    for name, value in wanted.items():
        key = keyword(name)
        if value is None:
            continue
        if version < MIN_VERSION.get(key, (0, 0)):
            unsupported.append(CANONICAL.get(key, key))
            continue
        want = normalise(key, value)
        have = host.get(key)
        if isinstance(have, list):
            have = " ".join(have)
        chosen = stricter(key, want, have)
        if chosen != want:
            kept.append({"keyword": CANONICAL.get(key, key), "host": have, "policy": want})
        result[key] = chosen
    return result, kept, unsupported


def render(settings, match_blocks, header):
    """The drop-in: global settings, then one Match block per entry."""
    lines = ["# %s" % line for line in header.splitlines()]
    for key in sorted(settings, key=lambda k: list(CANONICAL).index(k) if k in CANONICAL else 99):
        value = settings[key].upper() if key == "loglevel" else settings[key]
        lines.append("%s %s" % (CANONICAL.get(key, key), value))
    for block in match_blocks:
        lines.append("")
        lines.append("Match %s" % block["criteria"])
        for name, value in block["settings"].items():
            key = keyword(name)
            lines.append("    %s %s" % (CANONICAL.get(key, key), normalise(key, value)))
    return "\n".join(lines) + "\n"


def expand_includes(main_text, main_dir, ours, replacement):
    """The main sshd_config with each ``Include`` glob expanded to explicit files, our
    drop-in left out (``replacement`` None) or replaced by ``replacement``. Raises when
    no Include reaches our drop-in (sshd would never read it)."""
    out, reached = [], False
    for line in main_text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].lower() == "include":
            for pattern in words[1:]:
                if not os.path.isabs(pattern):
                    pattern = os.path.join(main_dir, pattern)
                files = sorted(glob.glob(pattern))
                if ours not in files and fnmatch.fnmatch(ours, pattern):
                    files = sorted([*files, ours])
                for path in files:
                    if path == ours:
                        reached = True
                        if replacement is not None:
                            out.append("Include %s" % replacement)
                    else:
                        out.append("Include %s" % path)
            continue
        out.append(line)
    if not reached:
        raise LockoutError(
            "lockout_policy_sshd_dropin",
            ours,
            "is not read by sshd: no Include line of the main sshd_config matches it",
            "put the drop-in where an Include reaches it (Debian: /etc/ssh/sshd_config.d/NN-name.conf)",
        )
    return "\n".join(out) + "\n"


def check_host_keys(effective, key_types):
    """Fail unless a host key sshd loads can be offered under its HostKeyAlgorithms."""
    allowed = set(str(effective.get("hostkeyalgorithms", "")).split(","))
    usable = [t for t in key_types if allowed & set(HOSTKEY_ALGORITHMS.get(t, (t,)))]
    if not usable:
        raise LockoutError(
            "HostKeyAlgorithms",
            effective.get("hostkeyalgorithms"),
            "matches none of the host keys sshd loads (%s): clients could not connect"
            % (", ".join(key_types) or "none"),
            "generate a matching host key (ssh-keygen -A makes ed25519 and RSA)"
            " or allow the host key's algorithm",
        )
    return usable
