# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compensating controls on the register: a finding the device itself cannot close (it has
no lockout to turn on) with a control in front of it is "compensated: <control>", never
fixed, and counted apart like an accepted risk.

The controls come from the device hardening summary (``device-hardening.json``): a row's
``compensated_by`` is set only once the gateway firewall took the rate limit for that
device (contribution ``hardening``). A finding the after-assessment finds closed stays
fixed; only open rows become compensated.
"""

from __future__ import annotations

import json
import os

#: what the hardening summary says a device lacks -> the finding rule it leaves open
RULES = {"no_lockout": "IOTG-NO-LOCKOUT"}
MAX_SUMMARY = 4 * 1024 * 1024


def from_hardening(doc):
    """``[{"device", "rule", "control"}]`` from a device hardening summary document."""
    out = []
    rows = doc.get("devices") if isinstance(doc, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("compensated_by"), str):
            continue
        for lack in row.get("compensate") or []:
            if lack in RULES and isinstance(row.get("host"), str):
                out.append(
                    {"device": row["host"], "rule": RULES[lack], "control": row["compensated_by"][:300]}
                )
    return out


def load(path):
    """The controls in the summary at ``path``; [] when there is none (no hardening run)."""
    if not path or not os.path.isfile(path) or os.path.getsize(path) > MAX_SUMMARY:
        return []
    with open(path, encoding="utf-8") as fh:
        try:
            return from_hardening(json.load(fh))
        except ValueError:
            return []


def apply(rows, devices, controls):
    """Mark open register rows whose device has a control for their rule as compensated."""
    identity_of = {d.get("name"): d.get("identity") for d in devices}
    for row in rows:
        if row.get("status") != "open":
            continue
        for c in controls:
            if c["rule"] == row.get("rule") and identity_of.get(c["device"]) in (row.get("identities") or []):
                row["status"] = "compensated"
                row["status_reason"] = "compensated: %s" % c["control"]
                break
    return rows
