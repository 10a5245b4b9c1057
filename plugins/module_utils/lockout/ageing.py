# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Password ageing: login.defs for new accounts, the shadow ages of existing ones.

An existing account whose password is older than the new maximum age would be expired at
once by it (and an engineer locked out at the next login), so such accounts are left as
they are and reported instead."""

from __future__ import annotations

import re

KEYS = (("PASS_MAX_DAYS", "max"), ("PASS_MIN_DAYS", "min"), ("PASS_WARN_AGE", "warn"))


def login_defs(text, ages):
    """login.defs with the three PASS_* keys set (replaced where present, else appended)."""
    lines = text.splitlines()
    for key, field in KEYS:
        line = "%s\t%d" % (key, ages[field])
        pattern = re.compile(r"^\s*%s\s" % key)
        found = [i for i, old in enumerate(lines) if pattern.match(old)]
        if found:
            lines[found[0]] = line
            for extra in reversed(found[1:]):
                del lines[extra]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def parse_shadow(text):
    """/etc/shadow -> {name: {hash, last, min, max, warn}} (numbers None when empty)."""
    accounts = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) < 6:
            continue

        def num(value):
            return int(value) if value.strip().isdigit() else None

        accounts[fields[0]] = {
            "has_password": bool(fields[1]) and fields[1][0] not in "!*",
            "last": num(fields[2]),
            "min": num(fields[3]),
            "max": num(fields[4]),
            "warn": num(fields[5]),
        }
    return accounts


def plan(accounts, ages, today, exempt):
    """-> (changes {name: {field: (old, new)}}, stale [names]) for accounts with a password."""
    changes, stale = {}, []
    for name in sorted(accounts):
        entry = accounts[name]
        if not entry["has_password"] or name in exempt:
            continue
        if not entry["last"] or entry["last"] + ages["max"] <= today:
            stale.append(name)
            continue
        diff = {f: (entry[f], ages[f]) for f in ("max", "min", "warn") if entry[f] != ages[f]}
        if diff:
            changes[name] = diff
    return changes, stale
