# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The risk register, the asset inventory, accepted risks and the action plan.

One register row per root cause: a finding on one device, or one router port mapping with
every device it exposes. Each row keeps a stable ID across runs (a hash of what it is, not
of when it was seen), its first and last sighting (carried from the client's previous
report), an owner, a priority and due date from the client's policy, and a status:

* ``open``: found in this run;
* ``fixed``: found before and re-checked closed this run (the comparison decides it);
* ``not re-checked``: found before, and this run could not look again (it still counts);
* ``accepted`` / ``compensated``: found, and a person named in the client's inventory
  accepted the residual risk (with a compensating control: compensated) until a review
  date. After that date the row is open again. Neither ever reads as fixed.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re
import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue, identity, kev, scoring

STATUSES = ("open", "not re-checked", "accepted", "compensated", "fixed")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ACCEPT_FIELDS = ("id", "rule", "devices", "accepted_by", "accepted_on", "review_by", "residual_risk")


class RegisterError(ValueError):
    """Bad policy or acceptance data; the message names the field, the value and the fix."""


# --- names -----------------------------------------------------------------------------------
def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def display_name(dev):
    """What a person calls the device: its reported name, else its product and address."""
    for key in ("reported_name", "hostname"):
        if dev.get(key):
            return dev[key]
    if dev.get("name") and not _is_ip(dev["name"]):
        return dev["name"]
    product = identity.vendor_model(dev.get("vendor"), dev.get("model")) or (
        "unidentified %s" % (dev.get("class") or "device").replace("_", " ")
    )
    return "%s (%s)" % (product, dev.get("address") or dev.get("name"))


def name_devices(devices):
    """Set ``display`` on every device; two devices never share one."""
    seen = {}
    for d in devices:
        d["display"] = display_name(d)
        seen.setdefault(d["display"], []).append(d)
    for name, same in seen.items():
        if len(same) > 1:
            for d in same:
                d["display"] = "%s (%s)" % (name, d.get("address") or d.get("name"))


# --- policy and acceptances ---------------------------------------------------------------------
def check_date(value, field):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise RegisterError("%s=%r is not a date; write it as YYYY-MM-DD" % (field, value))
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise RegisterError("%s=%r is not a valid date; write it as YYYY-MM-DD" % (field, value)) from None
    return value


def check_policy(policy):
    policy = dict(policy or {})
    due = dict(catalogue.DUE_DAYS)
    for prio, days in (policy.get("due_days") or {}).items():
        if prio not in due or not isinstance(days, int) or days < 0:
            raise RegisterError(
                "policy.due_days.%s=%r: use P1..P5 with a number of days (0 or more)" % (prio, days)
            )
        due[prio] = days
    ephi = policy.get("ephi_classes")
    if ephi is not None and not isinstance(ephi, (list, tuple)):
        raise RegisterError("policy.ephi_classes=%r must be a list of device classes" % (ephi,))
    contacts = dict(catalogue.VENDOR_CONTACTS)
    contacts.update({str(k): str(v)[:200] for k, v in (policy.get("vendor_contacts") or {}).items()})
    return {
        "due_days": due,
        "ephi_classes": sorted({"medical", "workstation"} | {str(c) for c in ephi or []}),
        "vendor_contacts": contacts,
    }


def check_acceptances(records):
    """The client's accepted risks, validated; RegisterError names the record and field."""
    out = []
    if records in (None, ""):
        return out
    if not isinstance(records, list):
        raise RegisterError("accepted_risks must be a list of records, got %s" % type(records).__name__)
    seen = set()
    for i, rec in enumerate(records):
        where = "accepted_risks[%d]" % i
        if not isinstance(rec, dict):
            raise RegisterError("%s must be a mapping with %s" % (where, ", ".join(ACCEPT_FIELDS)))
        missing = [k for k in ACCEPT_FIELDS if not rec.get(k)]
        if missing:
            raise RegisterError(
                "%s (id %r) lacks %s; every accepted risk names %s"
                % (where, rec.get("id"), ", ".join(missing), ", ".join(ACCEPT_FIELDS))
            )
        if rec["rule"] not in catalogue.BY_ID:
            raise RegisterError(
                "%s.rule=%r is not a finding rule; use one of %s"
                % (where, rec["rule"], ", ".join(sorted(catalogue.BY_ID)))
            )
        if rec["id"] in seen:
            raise RegisterError("%s.id=%r appears twice; give each record its own id" % (where, rec["id"]))
        seen.add(rec["id"])
        devices = rec["devices"]
        if isinstance(devices, str) or not isinstance(devices, list):
            raise RegisterError("%s.devices=%r must be a list of device names" % (where, devices))
        accepted_on = check_date(rec["accepted_on"], where + ".accepted_on")
        review_by = check_date(rec["review_by"], where + ".review_by")
        if review_by < accepted_on:
            raise RegisterError("%s.review_by=%s is before accepted_on=%s" % (where, review_by, accepted_on))
        out.append(
            {
                "id": str(rec["id"])[:64],
                "version": rec.get("version", 1),
                "rule": rec["rule"],
                "devices": [str(d)[:128] for d in devices],
                "accepted_by": str(rec["accepted_by"])[:128],
                "role": str(rec.get("role") or "")[:128],
                "accepted_on": accepted_on,
                "review_by": review_by,
                "residual_risk": str(rec["residual_risk"])[:500],
                "control": str(rec.get("control") or "")[:500],
            }
        )
    return out


# --- rows ------------------------------------------------------------------------------------------
def finding_id(key):
    return "F-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8].upper()


_ROUTER = re.compile(r"^router (\S+) maps")


def root_key(rule, identity_, evidence, by_address):
    """The key of the row a finding belongs to: one router port mapping is one root cause."""
    if rule not in catalogue.ROOT_CAUSE_ROUTER:
        return None
    router = identity_
    if rule == "IOTG-INTERNET-EXPOSED":
        m = _ROUTER.match(evidence or "")
        token = m.group(1) if m else "gateway"
        host = urllib.parse.urlsplit(token).hostname if "://" in token else token
        router = by_address.get(host, {}).get("identity") or host or "gateway"
    return "PORT-MAPPING|%s" % router


def cves_for(rule, dev):
    """CVE ids the device's own answers support for this rule."""
    out = []
    for cve_rule, field, pattern, ids, _what in catalogue.CVES:
        if cve_rule != rule:
            continue
        values = [dev.get(field) or ""]
        values += [s.get("banner") or "" for s in dev.get("services") or []]
        if field == "server":
            values += [s.get("banner") or "" for s in dev.get("services") or []]
        if any(re.search(pattern, hostile.text(v, 256)) for v in values):
            out.extend(ids)
    return out


def _due(first_seen, priority, policy):
    day = datetime.date.fromisoformat(first_seen[:10])
    return (day + datetime.timedelta(days=policy["due_days"][priority])).isoformat()


def _acceptance_for(rule, devs, acceptances):
    names = set()
    for d in devs:
        names |= {
            d.get(k)
            for k in ("display", "reported_name", "hostname", "name", "identity", "address")
            if d.get(k)
        }
    for a in acceptances:
        if a["rule"] == rule and names & set(a["devices"]):
            return a
    return None


def build(
    devices,
    diff,
    previous_doc,
    acceptances,
    policy,
    catalog,
    generated_at,
    others=(),
):
    """The register rows (sorted: counted risk first) from the scored devices and the diff;
    ``others``: the devices this run could not assess (their earlier rows keep their names)."""
    today = generated_at[:10]
    prev_rows = {
        r["id"]: r for r in (previous_doc or {}).get("register") or [] if isinstance(r, dict) and r.get("id")
    }
    by_identity = {d["identity"]: d for d in list(others) + list(devices)}
    by_address = {d.get("address"): d for d in devices}
    groups = {}

    def add(key, f, dev, listed):
        rk = root_key(
            f["rule"], dev.get("identity") if dev else key.split("|")[1], f.get("evidence"), by_address
        )
        gk = rk or key
        g = groups.setdefault(gk, {"key": gk, "rule": f["rule"], "members": [], "root": bool(rk)})
        g["members"].append((listed, f, dev))
        if f["rule"] == "IOTG-UPNP-IGD":
            g["rule"] = "IOTG-UPNP-IGD"

    for d in devices:
        for f in d["findings"]:
            add(f["key"], f, d, "open")
    for listed, part in (("fixed", "fixed"), ("not re-checked", "not_rechecked")):
        for f in (diff or {}).get(part) or []:
            parts = str(f.get("key", "")).split("|")
            ident = parts[1] if len(parts) > 2 else None
            add(
                f["key"], f, by_identity.get(ident) or {"display": f.get("device"), "identity": ident}, listed
            )

    rows = []
    for g in groups.values():
        statuses = {m[0] for m in g["members"]}
        status = (
            "open" if "open" in statuses else ("not re-checked" if "not re-checked" in statuses else "fixed")
        )
        entry = catalogue.BY_ID[g["rule"]]
        devs = []
        for _l, _f, dev in g["members"]:
            if dev and dev not in devs:
                devs.append(dev)
        if g["root"]:
            # the router first: the fix is made there
            devs.sort(key=lambda d: d.get("class") != "router")
        cves = []
        for _l, f, dev in g["members"]:
            for c in cves_for(f["rule"], dev or {}):
                if c not in cves:
                    cves.append(c)
        marked = kev.mark(cves, catalog)
        known = any(c["kev"] for c in marked)
        policy_ephi = policy["ephi_classes"]
        worst = None
        for dev in devs:
            prof = catalogue.profile(dev.get("class"), policy_ephi)
            r = scoring.finding_risk(g["rule"], prof, catalogue.reach_of(dev), known)
            if worst is None or r["points"] > worst["points"]:
                worst = r
        rid = finding_id(g["key"])
        prev = prev_rows.get(rid) or {}
        if status != "open" and prev.get("risk") and not any(d.get("class") for d in devs):
            worst = prev["risk"]  # a device this run knows nothing about keeps its last assessment
        if worst is None:
            worst = scoring.finding_risk(g["rule"], catalogue.NO_PROFILE, "outside_vpn", known)
        first_seen = prev.get("first_seen") or (
            generated_at if status == "open" else (previous_doc or {}).get("generated_at") or generated_at
        )
        row = {
            "id": rid,
            "key": g["key"],
            "rule": g["rule"],
            "title": entry["title"],
            "threat": entry["threat"],
            "vulnerability": entry["description"],
            "asset": devs[0].get("display") if devs else "",
            "asset_class": devs[0].get("class") if devs else None,
            "devices": [d.get("display") for d in devs],
            "identities": [d.get("identity") for d in devs],
            "evidence": [hostile.text(f.get("evidence"), 512) for _l, f, _d in g["members"]][:16],
            "locations": sorted({str(f.get("location")) for _l, f, _d in g["members"]}),
            "members": sorted(f["key"] for _l, f, _d in g["members"]),
            "cves": marked,
            "risk": worst,
            "owner": entry["owner"],
            "priority": worst["priority"],
            "first_seen": first_seen,
            "last_seen": generated_at if status == "open" else prev.get("last_seen") or first_seen,
            "due": _due(first_seen, worst["priority"], policy),
            "status": status,
            "status_reason": _reason(status, g["members"]),
            "action": entry["action"],
            "closed_by": list(entry["fixed_by"]),
            "acceptance": None,
            "fixed_on": generated_at if status == "fixed" else None,
        }
        if status == "open":
            acc = _acceptance_for(g["rule"], devs, acceptances)
            if acc and acc["review_by"] >= today:
                row["status"] = "compensated" if acc["control"] else "accepted"
                row["status_reason"] = "accepted by %s on %s until the review of %s (%s)" % (
                    acc["accepted_by"],
                    acc["accepted_on"],
                    acc["review_by"],
                    acc["id"],
                )
                row["acceptance"] = dict(acc, expired=False)
            elif acc:
                row["status_reason"] = (
                    "the acceptance %s expired on %s: the risk is open again until it is reviewed"
                    % (acc["id"], acc["review_by"])
                )
                row["acceptance"] = dict(acc, expired=True)
        rows.append(row)
    # a row fixed in an earlier run stays in the register as fixed (with the date it was proven)
    ids = {r["id"] for r in rows}
    for rid, prev in prev_rows.items():
        if rid not in ids and prev.get("status") == "fixed":
            rows.append(dict(prev))
    order = {s: i for i, s in enumerate(STATUSES)}
    rows.sort(key=lambda r: (order[r["status"]], -r["risk"]["points"], r["rule"], r["asset"] or ""))
    return rows


def _reason(status, members):
    if status == "open":
        return "found in this run"
    if status == "fixed":
        return "re-checked and found closed"
    reasons = []
    for listed, f, dev in members:
        if listed != "not re-checked":
            continue
        if f.get("reason"):  # the comparison's own words, when it gives them
            why = str(f["reason"])
        elif dev and dev.get("errors"):
            why = "the device could not be assessed this time (%s)" % "; ".join(dev["errors"])[:200]
        elif dev and "checks" in dev:
            title = catalogue.BY_ID[f["rule"]]["title"] if f.get("rule") in catalogue.BY_ID else f.get("rule")
            told = [
                c.split(": ", 1)[1] for c in dev["checks"]["not_checked"] if c.startswith(str(title) + ": ")
            ]
            why = "the device was assessed, but this check could not run: %s" % (
                told[0] if told else "the run could not decide it"
            )
        else:
            why = "the device was not part of this run"
        if why not in reasons:
            reasons.append(why)
    return "; ".join(reasons) or "found before; this run could not look again"


def action_plan(rows):
    """The actions that close counted rows, with the points each would remove, largest first."""
    plan = {}
    for r in rows:
        if r["status"] not in scoring.COUNTED:
            continue
        a = plan.setdefault(
            r["action"],
            {
                "action": r["action"],
                "owner": r["owner"],
                "closed_by": r["closed_by"],
                "findings": [],
                "points": 0,
                "priority": r["priority"],
                "due": r["due"],
            },
        )
        a["findings"].append(r["id"])
        a["points"] += r["risk"]["points"]
        a["priority"] = min(a["priority"], r["priority"])
        a["due"] = min(a["due"], r["due"])
    return sorted(plan.values(), key=lambda a: (-a["points"], a["priority"], a["action"]))


def device_checks(result, undecided):
    """What was and was not checked on one device, in words."""
    obs = result.get("observations") or {}
    done, not_done = [], []
    if obs.get("answered"):
        done.append("answered on %s" % ", ".join(obs["answered"][:8]))
    if obs.get("refused"):
        done.append("closed since discovery (connection refused) on %s" % ", ".join(obs["refused"][:8]))
    if "management_reachable" in obs:
        done.append("management ports tested from the assessment's network")
    creds = obs.get("credentials")
    if isinstance(creds, dict) and creds.get("open"):
        done.append("the management API asked for no credential: %s" % creds["open"][:120])
    elif isinstance(creds, dict) and creds.get("credentialed"):
        done.append(
            "logged in with the stored credential(s) of %s; factory passwords re-checked: %s tried, %s"
            % (
                ", ".join(creds.get("stored_accepted") or []) or "?",
                creds.get("tried", "?"),
                "one accepted" if creds.get("accepted") else "none accepted",
            )
        )
    elif isinstance(creds, dict):
        done.append(
            "factory and known-weak passwords: %s tried, %s"
            % (creds.get("tried", "?"), "one accepted" if creds.get("accepted") else "none accepted")
        )
    if "lockout_enabled" in obs:
        done.append("lockout setting read from the device")
    for key, what in (
        ("mqtt", "MQTT login without password"),
        ("rtsp", "video stream without password"),
        ("snmp", "SNMP community 'public'"),
    ):
        if key in obs:
            done.append(what)
    done.append("end of life, SMBv1, DICOM, cleartext and web TLS from the device's own answers")
    notes = " ".join(str(n) for n in result.get("notes") or [])
    if "lockout threshold" in notes:
        why = "some factory passwords were not tried, to stay below the device's lockout threshold"
    elif "no way to log in" in notes or "no driver" in notes:
        why = "this assessment has no way to log in to this product"
    elif "no known default" in notes:
        why = "no factory or known-weak password is known for this product"
    elif isinstance(creds, dict) and creds.get("credentialed") and creds.get("not_rechecked"):
        why = "the login budget left factory account(s) %s not re-checked" % ", ".join(creds["not_rechecked"])
    elif isinstance(creds, dict) and creds.get("guessed_only"):
        why = "only common guesses are known for this product, and a refused guess proves nothing"
    else:
        why = "no login worked, so the setting could not be read"
    logged_in = isinstance(creds, dict) and (creds.get("credentialed") or creds.get("accepted"))
    silent = ", ".join(str(p) for p in (obs.get("silent") or [])[:8])
    for rule in undecided:
        title = catalogue.BY_ID[rule]["title"] if rule in catalogue.BY_ID else rule
        reason = why
        if silent and rule in (obs.get("silent_rules") or ()):
            reason = (
                "%s answered the previous run and stayed silent in this one (a firewall on the path?)"
                % silent
            )
        elif rule == "IOTG-EOL" and obs.get("refused"):
            reason = (
                "a port whose answer named the operating system now refuses connections; closing it "
                "does not change the system, and nothing else identified it"
            )
        elif rule == "IOTG-NO-LOCKOUT" and logged_in and "lockout_enabled" not in obs:
            reason = "logged in, but this device's driver does not read a lockout setting"
        not_done.append("%s: %s" % (title, reason))
    return {"checked": done, "not_checked": not_done}
