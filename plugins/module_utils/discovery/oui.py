# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""MAC vendor lookup from the IEEE registry as Debian's ``ieee-data`` package ships it."""

from __future__ import annotations

import csv
import os

DEFAULT_PATHS = ("/usr/share/ieee-data/oui.csv", "/usr/share/ieee-data/oui.txt")
_CACHE = {}


class OuiMissing(Exception):
    pass


def load(path=None):
    """``{"AABBCC": "Vendor"}``; ``path`` None tries the ieee-data locations."""
    paths = [path] if path else list(DEFAULT_PATHS)
    for p in paths:
        if p in _CACHE:
            return _CACHE[p]
        if not os.path.exists(p):
            continue
        table = {}
        if p.endswith(".csv"):
            with open(p, newline="", encoding="utf-8", errors="replace") as fh:
                for row in csv.reader(fh):
                    if len(row) >= 3 and len(row[1]) == 6:
                        table[row[1].upper()] = row[2].strip()
        else:
            with open(p, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if "(base 16)" in line:
                        prefix, _sep, name = line.partition("(base 16)")
                        table[prefix.strip().upper()] = name.strip()
        _CACHE[p] = table
        return table
    raise OuiMissing(
        "oui_file: no IEEE OUI registry at %s; install Debian's ieee-data package "
        "(apt-get install ieee-data) or point oui_file at oui.csv/oui.txt" % " or ".join(paths)
    )


def vendor(table, mac):
    if not mac or not table:
        return None
    key = mac.replace(":", "").replace("-", "").upper()[:6]
    return table.get(key)
