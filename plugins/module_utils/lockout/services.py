# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Password logins that PAM never sees, so pam_faillock never counts them.

Debian's dropbear is built without PAM, BusyBox ``login``/``telnetd`` read /etc/shadow
themselves, and telnet sends the password in clear. Each of them lets an attacker guess
past the lockout. ``find_services`` reads what runs (processes) and what starts at boot
(init links, systemd links, inetd.conf) and returns one finding per service, with the fix.
"""

from __future__ import annotations

import os

# id -> how to recognise it and how it is stopped for good.
SERVICES = {
    "dropbear": {
        "what": "dropbear SSH server (Debian builds it without PAM: failed logins are never counted)",
        "exe": ("dropbear",),
        "unit": "dropbear",
        "fix": "stop it and disable it at boot (systemctl disable --now dropbear"
        " / update-rc.d dropbear disable), "
        "or remove the dropbear package",
    },
    "busybox-telnetd": {
        "what": "BusyBox telnetd (cleartext passwords, BusyBox login reads /etc/shadow without PAM)",
        "applet": ("telnetd",),
        "fix": "stop it and remove it from the script that starts it at boot",
    },
    "busybox-login": {
        "what": "BusyBox login (checks passwords without PAM)",
        "applet": ("login", "getty"),
        "fix": "use util-linux/shadow login (PAM) on the console instead of BusyBox login",
    },
    "telnetd": {
        "what": "telnet server (cleartext passwords)",
        "exe": ("telnetd", "in.telnetd"),
        "inetd": ("telnet",),
        "unit": "inetutils-inetd",
        "fix": "comment the telnet line of /etc/inetd.conf and reload inetd, or remove the telnetd package",
    },
}

BUSYBOX = ("busybox", "busybox.static")


def classify(exe, argv):
    """The SERVICES id of one process, or None."""
    name = os.path.basename(exe or "")
    argv0 = os.path.basename(argv[0]) if argv else ""
    if name in BUSYBOX:
        applet = argv0 if argv0 not in BUSYBOX else (os.path.basename(argv[1]) if len(argv) > 1 else "")
        for sid, spec in SERVICES.items():
            if applet in spec.get("applet", ()):
                return sid
        return None
    for sid, spec in SERVICES.items():
        if name in spec.get("exe", ()) or argv0 in spec.get("exe", ()):
            return sid
    return None


def inetd_lines(text):
    """Active inetd.conf lines (index, service) of services we refuse."""
    found = []
    for index, line in enumerate((text or "").splitlines()):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        for sid, spec in SERVICES.items():
            if words[0] in spec.get("inetd", ()):
                found.append((index, sid))
    return found


def disable_inetd(text):
    """inetd.conf with the refused services commented out."""
    lines = (text or "").splitlines()
    for index, _sid in inetd_lines(text):
        lines[index] = "#<off by iotguard lockout_policy># " + lines[index]
    return "\n".join(lines) + ("\n" if lines else "")


def find_services(processes, boot_units, inetd_text):
    """processes: [{pid, exe, argv}], boot_units: names enabled at boot, inetd_text: the
    content of /etc/inetd.conf ('' when absent). -> {id: {what, fix, pids, boot, inetd}}."""
    found = {}

    def entry(sid):
        spec = SERVICES[sid]
        return found.setdefault(
            sid, {"what": spec["what"], "fix": spec["fix"], "pids": [], "boot": [], "inetd": 0}
        )

    for proc in processes:
        sid = classify(proc.get("exe"), proc.get("argv") or [])
        if sid:
            entry(sid)["pids"].append(proc["pid"])
    for sid, spec in SERVICES.items():
        if spec.get("unit") and spec["unit"] in boot_units and sid != "telnetd":
            entry(sid)["boot"].append(spec["unit"])
    for _index, sid in inetd_lines(inetd_text):
        entry(sid)["inetd"] += 1
    return found


def describe(found):
    """One line per finding: what, where, the fix."""
    lines = []
    for sid in sorted(found):
        item = found[sid]
        where = []
        if item["pids"]:
            where.append("running as pid %s" % ", ".join(str(p) for p in item["pids"]))
        if item["boot"]:
            where.append("enabled at boot (%s)" % ", ".join(item["boot"]))
        if item["inetd"]:
            where.append("in /etc/inetd.conf")
        lines.append("%s: %s, %s; fix: %s" % (sid, item["what"], " and ".join(where), item["fix"]))
    return lines
