# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compensating controls on the register: a finding the device itself cannot close (it has
no lockout to turn on) with a control in front of it is "compensated: <control>", never
fixed, and counted apart like an accepted risk.

The controls come from two summaries beside the reports, each written only after the
control was re-checked in the gateway's live table:

* the device hardening summary (``device-hardening.json``): a row's ``compensated_by`` is
  set once the gateway firewall took the rate limit for that device (contribution
  ``hardening``); it compensates the device's missing lockout; with ``management_only``
  (new connections to the device's management ports only from the management zones: the
  VPN's, each with its TOTP session) it also compensates a telnet or FTP the driver cannot
  switch off (``CLEARTEXT``), when the assessment's probe outside the VPN showed the device
  reachable only through it; the control states its residual: the devices of its own VLAN
  still reach the service without the gateway, and the session crosses that VLAN in clear;
* the segmentation summary (``segmentation.json``): its ``isolation`` rows, one per device
  on an end-of-life zone or on quarantine (where an end-of-life device goes whose class has
  no end-of-life zone), present once the live table shows the zone reachable only from the
  zones segmentation gave it; they compensate what such a device cannot fix itself
  (``ISOLATION_RULES``: DICOM without authentication, SMBv1, an end-of-life system).

A finding the after-assessment finds closed stays fixed; open and not re-checked rows (a
device the zone's policy now hides from the controller) become compensated.
"""

from __future__ import annotations

import ipaddress
import json
import os

#: what the hardening summary says a device lacks -> the finding rule it leaves open
RULES = {
    "no_lockout": "IOTG-NO-LOCKOUT",
    "cleartext_telnet": "IOTG-CLEARTEXT-MGMT",
    "cleartext_ftp": "IOTG-CLEARTEXT-MGMT",
}
#: the lacks only the management-only part of the control compensates, and only on a device
#: the probe outside the VPN showed reachable only through it (``apply``: ``vpn_only``)
CLEARTEXT = ("cleartext_telnet", "cleartext_ftp")
CLEARTEXT_RESIDUAL = (
    "residual: the devices on its own VLAN reach %s without the gateway, and the session "
    "crosses that VLAN in clear text"
)
#: what ``apply`` adds to a ``vpn_only`` control: the outside probe's part of the evidence
SHOWN_VPN_ONLY = "the assessment's probe outside the VPN reached none of its ports"
#: the findings of a device on an end-of-life zone that the zone's isolation compensates: the
#: device cannot be patched or reconfigured, so who can open a connection to it is the control
ISOLATION_RULES = ("IOTG-DICOM-NOAUTH", "IOTG-SMBV1", "IOTG-EOL")
MAX_SUMMARY = 4 * 1024 * 1024
#: the port a cleartext service's control must cover
SERVICE_PORT = {"telnet": 23, "ftp": 21}


def from_hardening(doc):
    """``[{"device", "rule", "control"}]`` from a device hardening summary document."""
    out = []
    rows = doc.get("devices") if isinstance(doc, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("compensated_by"), str):
            continue
        control = row.get("compensating_control") if isinstance(row.get("compensating_control"), dict) else {}
        fenced = control.get("management_only") is True
        for lack in row.get("compensate") or []:
            if lack not in RULES or not isinstance(row.get("host"), str):
                continue
            if lack in CLEARTEXT:
                service = lack.split("_", 1)[1]
                if not fenced or SERVICE_PORT[service] not in (control.get("ports") or []):
                    continue  # a rate limit alone does not keep a password off the network
                out.append(
                    {
                        "device": row["host"],
                        "rule": RULES[lack],
                        "control": "%s only through the VPN: %s" % (service, row["compensated_by"][:700]),
                        "requires": "vpn_only",
                        "residual": CLEARTEXT_RESIDUAL % service,
                    }
                )
                continue
            out.append({"device": row["host"], "rule": RULES[lack], "control": row["compensated_by"][:300]})
    return out


#: the live table is read with ``nft -j list table inet iotguard``; bounded like device data
MAX_RULESET = 8 * 1024 * 1024
#: the comments the gateway firewall gives these rules (firewall.render: rate_comment,
#: management_comment and management_rate_comment)
RATE_COMMENT = "rate limit "
MANAGEMENT_COMMENT = "management only "
MANAGEMENT_RATE_COMMENT = "management rate limit "


def _rules(nft_json):
    return _items(nft_json, "rule")


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


def _items(nft_json, kind):
    if isinstance(nft_json, str):
        if len(nft_json) > MAX_RULESET:
            return []
        try:
            nft_json = json.loads(nft_json)
        except ValueError:
            return []
    items = nft_json.get("nftables") if isinstance(nft_json, dict) else None
    return [i[kind] for i in items or [] if isinstance(i, dict) and isinstance(i.get(kind), dict)]


def _networks(elements):
    out = []
    for v in elements if isinstance(elements, list) else []:
        if isinstance(v, dict) and isinstance(v.get("prefix"), dict):
            v = "%s/%s" % (v["prefix"].get("addr"), v["prefix"].get("len"))
        elif isinstance(v, dict) and isinstance(v.get("range"), list) and len(v["range"]) == 2:
            try:
                first, last = (ipaddress.ip_address(str(x)) for x in v["range"])
                out.extend(ipaddress.summarize_address_range(first, last))
            except (TypeError, ValueError):
                pass
            continue
        try:
            out.append(ipaddress.ip_network(str(v), strict=False))
        except ValueError:
            continue
    return out


def _address_matches(rule, field):
    """The ``==`` matches of a rule on an address field, and whether it has any other kind."""
    eq, other = [], False
    for e in rule.get("expr") or []:
        m = e.get("match") if isinstance(e, dict) else None
        if not isinstance(m, dict) or not isinstance(m.get("left"), dict):
            continue
        if (m["left"].get("payload") or {}).get("field") != field:
            continue
        if m.get("op") == "==":
            eq.append(m.get("right"))
        else:
            other = True
    return eq, other


def _only_established(rule):
    """A rule gated on conntrack states none of which is "new" admits no new connection."""
    for e in rule.get("expr") or []:
        m = e.get("match") if isinstance(e, dict) else None
        if isinstance(m, dict) and (m.get("left") or {}).get("ct", {}).get("key") == "state":
            states = m.get("right")
            states = states if isinstance(states, list) else [states]
            if m.get("op") in ("==", "in") and "new" not in states and "untracked" not in states:
                return True
    return False


def _verdict(rule):
    for e in rule.get("expr") or []:
        if isinstance(e, dict):
            for key in ("accept", "drop", "reject", "jump", "goto", "return"):
                if key in e:
                    return key
    return None


def isolation_recheck(nft_json, control):
    """Re-check a zone's isolation in the gateway's LIVE table: ``(True, evidence)`` when its
    forward chain drops by default and every rule there that can accept a new connection
    into the zone ``control["zone"]`` takes it only from the zones in
    ``control["allowed_zones"]`` (the flows segmentation gave the zone), else ``(False, what
    admits more)``. Traffic between devices of the zone's own VLAN never crosses the gateway;
    the evidence says so."""
    zone = str(control.get("zone") or "")
    allowed = {str(z) for z in control.get("allowed_zones") or []}
    sets = {s.get("name"): _networks(s.get("elem")) for s in _items(nft_json, "set")}
    own = {"@z_%s_%d" % (zone, v) for v in (4, 6) if "z_%s_%d" % (zone, v) in sets}
    nets = [n for name in own for n in sets[name[1:]]]
    if not zone or not nets:
        return False, "zone %r has no address set with networks in the live table" % zone
    forward = [c for c in _items(nft_json, "chain") if c.get("hook") == "forward"]
    if not forward or any(c.get("policy") != "drop" for c in forward):
        return False, "the forward chain does not drop by default in the live table"
    chains = {c.get("name") for c in forward}
    admitted = []
    for rule in _items(nft_json, "rule"):
        if rule.get("chain") not in chains or _only_established(rule):
            continue
        verdict = _verdict(rule)
        if verdict not in ("accept", "jump", "goto"):
            continue
        dst, dst_other = _address_matches(rule, "daddr")
        into = dst_other or not dst
        for right in dst:
            if isinstance(right, str) and right.startswith("@"):
                into = (
                    into or right in own or any(n.overlaps(z) for n in sets.get(right[1:], []) for z in nets)
                )
            else:
                targets = _networks(
                    right.get("set") if isinstance(right, dict) and "set" in right else [right]
                )
                into = into or any(n.overlaps(z) for n in targets for z in nets)
        if not into:
            continue
        where = "rule %r (handle %s)" % (str(rule.get("comment") or "")[:80], rule.get("handle"))
        if verdict != "accept":
            return False, "%s %ss to another chain for the zone's traffic: not followed" % (where, verdict)
        src, src_other = _address_matches(rule, "saddr")
        zones = [r[3:].rsplit("_", 1)[0] for r in src if isinstance(r, str) and r.startswith("@z_")]
        if src_other or not zones:
            return False, "%s accepts new connections into zone %s from any source" % (where, zone)
        stray = sorted(set(zones) - allowed)
        if stray:
            return False, "%s accepts new connections into zone %s from zone(s) %s" % (
                where,
                zone,
                ", ".join(stray),
            )
        admitted.append("%s from %s" % (where, ", ".join(sorted(set(zones)))))
    return True, (
        "live table: the forward chain drops by default; new connections into zone %s (%s) are accepted "
        "only by %s; every other source is dropped (devices on the zone's own VLAN reach each other "
        "without the gateway)"
        % (zone, ", ".join(str(n) for n in nets[:4]), "; ".join(admitted[:12]) or "no rule: from no source")
    )


def load(path):
    """The controls in the summary at ``path``; [] when there is none (no hardening run)."""
    if not path or not os.path.isfile(path) or os.path.getsize(path) > MAX_SUMMARY:
        return []
    with open(path, encoding="utf-8") as fh:
        try:
            doc = json.load(fh)
        except ValueError:
            return []
    return from_hardening(doc) + from_segmentation(doc)


def from_segmentation(doc):
    """``[{"device", "rule", "control"}]`` from the segmentation summary's re-checked zone
    isolations (``isolation``: one row per device on an end-of-life zone or quarantine)."""
    out = []
    rows = doc.get("isolation") if isinstance(doc, dict) else None
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("device"), str):
            continue
        check = row.get("recheck") if isinstance(row.get("recheck"), dict) else {}
        if check.get("present") is not True or not isinstance(check.get("evidence"), str):
            continue
        text = "zone %s isolated by the gateway firewall; re-checked: %s" % (
            str(row.get("zone"))[:40],
            check["evidence"][:600],
        )
        for rule in ISOLATION_RULES:
            out.append({"device": row["device"], "rule": rule, "control": text})
    return out


def apply(rows, devices, controls):
    """Mark open (or not re-checked) register rows whose device has a control for their rule
    as compensated: the control is what was re-checked, whether or not the device answered.
    A control that ``requires: vpn_only`` (management only through the VPN) counts only on a
    device the probe outside the VPN showed reachable only through it: where that probe
    reached it, the control does not do what it says."""
    identity_of = {d.get("name"): d.get("identity") for d in devices}
    shown = {d.get("name") for d in devices if d.get("vpn_only") is True}
    for row in rows:
        if row.get("status") not in ("open", "not re-checked"):
            continue
        for c in controls:
            if c.get("requires") == "vpn_only" and c["device"] not in shown:
                continue
            if c["rule"] == row.get("rule") and identity_of.get(c["device"]) in (row.get("identities") or []):
                row["status"] = "compensated"
                row["status_reason"] = "compensated: %s" % c["control"][:900]
                if c.get("requires") == "vpn_only":
                    row["status_reason"] += "; %s" % SHOWN_VPN_ONLY
                if c.get("residual"):
                    row["status_reason"] += "; %s" % c["residual"]
                break
    return rows
