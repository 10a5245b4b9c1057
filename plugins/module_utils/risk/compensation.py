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

import ipaddress
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


#: the live table is read with ``nft -j list table inet iotguard``; bounded like device data
MAX_RULESET = 8 * 1024 * 1024
#: the comments the gateway firewall gives these rules (firewall.render: rate_comment,
#: management_comment and management_rate_comment)
RATE_COMMENT = "rate limit "
MANAGEMENT_COMMENT = "management only "
MANAGEMENT_RATE_COMMENT = "management rate limit "


def _rules(nft_json):
    if isinstance(nft_json, str):
        if len(nft_json) > MAX_RULESET:
            return []
        try:
            nft_json = json.loads(nft_json)
        except ValueError:
            return []
    items = nft_json.get("nftables") if isinstance(nft_json, dict) else None
    return [i["rule"] for i in items or [] if isinstance(i, dict) and isinstance(i.get("rule"), dict)]


def _covers(right, address):
    """Whether a match's right side (an address, a prefix, or a set of them) holds ``address``."""
    values = right.get("set") if isinstance(right, dict) and "set" in right else [right]
    for v in values if isinstance(values, list) else []:
        if isinstance(v, dict) and isinstance(v.get("prefix"), dict):
            v = "%s/%s" % (v["prefix"].get("addr"), v["prefix"].get("len"))
        try:
            if isinstance(v, str) and address in ipaddress.ip_network(v, strict=False):
                return True
        except ValueError:
            continue
    return False


def _matches(rule, field, op="=="):
    return [
        e["match"]["right"]
        for e in rule.get("expr") or []
        if isinstance(e, dict)
        and isinstance(e.get("match"), dict)
        and e["match"].get("op") == op
        and isinstance(e["match"].get("left"), dict)
        and (e["match"]["left"].get("payload") or {}).get("field") == field
    ]


def _ports(rule):
    found = _matches(rule, "dport")
    if not found:
        return []
    right = found[0]
    return sorted(right.get("set") if isinstance(right, dict) else [right])


def _limit(rule):
    for e in rule.get("expr") or []:
        stmts = (e.get("set") or {}).get("stmt") if isinstance(e, dict) else None
        for st in stmts if isinstance(stmts, list) else []:
            if isinstance(st, dict) and isinstance(st.get("limit"), dict):
                return st["limit"]
    return None


def _limit_is(rule, rate, per, burst):
    lim = _limit(rule)
    return (
        lim is not None
        and bool(lim.get("inv"))
        and str(lim.get("rate")) == rate
        and lim.get("per") == per
        and lim.get("burst") == burst
    )


def _drops(rule):
    return any(isinstance(e, dict) and "drop" in e for e in rule.get("expr") or [])


def recheck(nft_json, control):
    """Re-check one compensating control in the gateway's LIVE table (the JSON of
    ``nft -j list table inet iotguard``), not in what was rendered: ``(True, evidence)`` when
    a drop rule there takes new connections from one source to the device's ports over the
    rate and burst (and, with ``management_only``, a drop rule for every source outside the
    management zones; with ``management_per_source``, the management zones' own limit), else
    ``(False, what is missing)``."""
    try:
        address = ipaddress.ip_network(control["to"][0], strict=False).network_address
    except (KeyError, IndexError, TypeError, ValueError):
        return False, "the control names no address"
    rate, _sep, per = str(control.get("per_source", "")).partition("/")
    ports = sorted(control.get("ports") or [])
    rules = [
        r for r in _rules(nft_json) if _drops(r) and any(_covers(x, address) for x in _matches(r, "daddr"))
    ]
    rules = [r for r in rules if not ports or _ports(r) == ports]
    limited = [
        r
        for r in rules
        if str(r.get("comment", "")).startswith(RATE_COMMENT)
        and _limit_is(r, rate, per, control.get("burst"))
    ]
    if not limited:
        return False, "no rate limit of %s to %s in the live table" % (control.get("per_source"), address)
    evidence = "rule %r (handle %s) in the live table" % (limited[0].get("comment"), limited[0].get("handle"))
    if control.get("management_per_source"):
        mrate, _sep, mper = str(control["management_per_source"]).partition("/")
        own = [
            r
            for r in rules
            if str(r.get("comment", "")).startswith(MANAGEMENT_RATE_COMMENT)
            and _limit_is(r, mrate, mper, control.get("management_burst"))
        ]
        if not own:
            return False, "no rate limit of %s for the management zones to %s in the live table" % (
                control["management_per_source"],
                address,
            )
        evidence += "; rule %r (handle %s): the management zones at %s" % (
            own[0].get("comment"),
            own[0].get("handle"),
            control["management_per_source"],
        )
    if control.get("management_only"):
        fenced = [r for r in rules if str(r.get("comment", "")).startswith(MANAGEMENT_COMMENT)]
        if not fenced:
            return False, "no management-only rule to %s in the live table" % address
        outside = [str(z) for z in _matches(fenced[0], "saddr", "!=")]
        evidence += "; rule %r (handle %s): new connections dropped from %s" % (
            fenced[0].get("comment"),
            fenced[0].get("handle"),
            "outside " + ", ".join(outside) if outside else "every source",
        )
    return True, evidence


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
