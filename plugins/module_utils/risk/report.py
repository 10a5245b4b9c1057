# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# ruff: noqa: E501 - method and register prose stays one sentence per line
"""The client's report: one versioned document, rendered as JSON, CSV, SARIF and HTML.

``build()`` scores every device and the sites, joins the catalogue, and compares with the
previous run (``diff()``). ``write()`` puts all formats into a dated directory atomically:
files go into a hidden staging directory that is renamed into place only when every file
is complete, then the ``latest`` link moves. A failed run leaves no report that looks
complete.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
import tempfile

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import (
    catalogue,
    compensation,
    kev,
    localfile,
    register,
    scoring,
    site_picture,
)

SCHEMA = "iotguard.hardening/security-risk-assessment"
SCHEMA_VERSION = catalogue.SCHEMA_VERSION
#: major schema versions this release reads as the previous run (1.x: findings only, no register)
READS = ("1", "2")
FORMATS = ("json", "html", "csv", "sarif")
FILENAMES = {"json": "report.json", "html": "report.html", "csv": "findings.csv", "sarif": "findings.sarif"}
CLIENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
STAMP_RE = re.compile(r"^\d{8}T\d{6}Z$")
TOOL_NAME = "iotguard.hardening risk_assessment"


class ReportError(Exception):
    """The report cannot be built or written; the message names the field and the fix."""


def check_client(client):
    if not isinstance(client, str) or not CLIENT_RE.match(client):
        raise ReportError(
            "client=%r is not a usable client name; use 1-64 letters, digits, '.', '_' or '-' "
            "(it names the report directory)" % (client,)
        )
    return client


def _catalogue_entry(rule):
    e = catalogue.BY_ID[rule]
    return {
        k: e[k]
        for k in (
            "id",
            "title",
            "severity",
            "description",
            "remediation",
            "fixed_by",
            "cwe",
            "hipaa",
            "threat",
            "likelihood",
            "impact",
            "owner",
            "action",
        )
    }


def finding_status(previous, current_keys, assessed_identities, unknown):
    """The status of a finding of the previous report after this run: the one place that
    decides "fixed".

    ``open`` when this run found it again; ``fixed`` only when it was re-checked and found
    closed: its device was assessed this time (``assessed_identities``) and this run decided
    its rule for that device (not in ``unknown``: identity -> rule ids, which lists what a
    spent login budget, a missing stored credential or a factory account not re-checked
    left open); otherwise ``not re-checked``, never fixed.
    """
    if previous["key"] in current_keys:
        return "open"
    ident = previous.get("identity")
    if ident in assessed_identities and previous.get("rule") not in unknown.get(ident, ()):
        return "fixed"
    return "not re-checked"


def diff(current_findings, previous_doc, assessed_identities, unknown=None):
    """Compare finding keys with a previous report.

    ``fixed``: in the previous run (found, or carried there as not re-checked), not now, on
    a device assessed now. A finding of a device that could not be assessed this time, or whose rule this run could not decide
    for that device (``unknown``: identity -> rule ids), is ``not_rechecked``, never ``fixed``.
    """
    unknown = unknown or {}
    if not previous_doc:
        return None
    prev = {}
    for dev in previous_doc.get("devices", []):
        for f in dev.get("findings", []):
            prev[f["key"]] = dict(f, device=dev.get("name"), identity=dev.get("identity"))
    # what the previous run could not re-check still stands: a device silent two runs in a
    # row keeps its findings (the key is rule|identity|location), never loses them
    for f in (previous_doc.get("diff") or {}).get("not_rechecked") or []:
        parts = str((f or {}).get("key", "")).split("|")
        if len(parts) > 2 and f["key"] not in prev:
            prev[f["key"]] = dict(f, identity=parts[1])
    now = {f["key"]: f for f in current_findings}
    new = sorted(k for k in now if k not in prev)
    unchanged = sorted(k for k in now if k in prev)
    gone = [k for k in prev if k not in now]

    status = {k: finding_status(prev[k], now, assessed_identities, unknown) for k in gone}
    fixed = sorted(k for k in gone if status[k] == "fixed")
    not_rechecked = sorted(k for k in gone if status[k] == "not re-checked")

    def brief(f):
        return {k: f.get(k) for k in ("key", "rule", "severity", "device", "location", "evidence")}

    return {
        "previous_generated_at": previous_doc.get("generated_at"),
        "previous_score": (previous_doc.get("client_score") or {}).get("score"),
        "new": [brief(now[k]) for k in new],
        "fixed": [brief(prev[k]) for k in fixed],
        "unchanged": [brief(now[k]) for k in unchanged],
        "not_rechecked": [brief(prev[k]) for k in not_rechecked],
    }


SCOPE = (
    "Technical safeguards of the networked devices found on the practice's networks: what each "
    "device is, how it can be reached, and which of its settings an attacker could use. It is an "
    "input to the practice's full HIPAA risk analysis (45 CFR 164.308(a)(1)(ii)(A)), not the whole of it: "
    "administrative and physical safeguards, paper records, staff training and business associates "
    "are outside this assessment."
)
LIMITS = (
    "Technical safeguards of networked devices only; an input to the practice's full HIPAA risk analysis.",
    "A check that could not run on a device is listed as not checked: its risk is unknown, not zero.",
    "Findings come from what the devices answered during the assessment window; devices that were off "
    "or unreachable are listed as not assessed.",
    "Known exploited vulnerabilities are marked from the copy of CISA's KEV catalogue named in the method; "
    "a CVE is only attached where the device's own answers support it.",
)


def _method(kev_catalog, policy):
    return {
        "standard": "NIST SP 800-30 Rev. 1 (Guide for Conducting Risk Assessments), shaped like the HHS/ONC SRA Tool",
        "finding": "each finding is a threat event (catalogue 'threat') exploiting a vulnerability (its description) "
        "on one asset, or one root cause (a router port mapping) with every device it exposes",
        "likelihood": "rule base level; +1 published default; +1 reached from outside the VPN or +2 reachable "
        "from the internet (not for the findings that describe the reach); +1 when a CVE it carries is in CISA's "
        "KEV catalogue; capped at very high",
        "impact": "rule base level; +1 holds ePHI (classes %s); +1 clinical role; +1 availability (the practice "
        "stops without it); capped at very high" % ", ".join(policy["ephi_classes"]),
        "risk_table": {lk: {im: catalogue.risk_level(lk, im) for im in catalogue.LEVELS} for lk in catalogue.LEVELS},
        "risk_points": dict(catalogue.RISK_POINTS),
        "device_score": "sum of the risk points of the device's open and not re-checked findings",
        "client_score": "sum of the risk points of every open and not re-checked register row, each root cause "
        "once; accepted and compensated rows are totalled apart; fixing a row removes exactly its points",
        "priority": dict(catalogue.PRIORITY),
        "due_days": dict(policy["due_days"]),
        "kev_catalog": dict(
            {k: kev_catalog[k] for k in ("version", "released", "path")}, entries=len(kev_catalog["entries"])
        )
        if kev_catalog
        else None,
    }  # fmt: skip


def cannot_rotate(rotation, devices):
    """The accounts the credential rotation could not close (its summary's ``cannot_rotate``
    list), each with the reason, the manual step, and the device's name as the report shows
    it; ``rotation`` is the summary document (credential-rotation.json) or None."""
    if not isinstance(rotation, dict):
        return []
    names = {}
    for d in devices:
        for key in (d.get("name"), d.get("address")):
            if key:
                names[key] = d.get("display") or d.get("name")
    out = []
    for item in rotation.get("cannot_rotate") or []:
        if not isinstance(item, dict) or not item.get("host"):
            continue
        out.append(
            {
                "device": names.get(item["host"], item["host"]),
                "host": item["host"],
                "account": item.get("user"),
                "status": item.get("status"),
                "reason": item.get("reason") or "",
                "manual_step": item.get("manual_step") or "",
                "rotation_run": rotation.get("generated_at"),
            }
        )
    return out


def vantage_limit(results):
    """Where the assessment stood, in one sentence of the report's limits: outside the VPN, or
    inside it (the interfaces its routes went through) with or without the outside probe."""
    inside, probes, probed, assessed, routed = set(), set(), 0, 0, 0
    for r in results:
        obs = (r.get("observations") or {}) if isinstance(r, dict) and r.get("assessed") else {}
        assessed += bool(isinstance(r, dict) and r.get("assessed"))
        if obs.get("vpn_interface"):
            inside.add(hostile.text(obs["vpn_interface"], 32))
            routed += 1
        if isinstance(obs.get("outside"), dict):
            probes.add(hostile.text(obs["outside"].get("from"), 128))
            probed += 1
    if not inside:
        return (
            "Assessed from the controller's network, outside the VPN: a management port that answered "
            "is reachable from outside the VPN."
        )
    said = (
        "Assessed from inside the VPN: the controller's route to each device went through %s, read "
        "before any probe." % ", ".join(sorted(inside))
    )
    if routed < assessed:
        # assessed_from_vpn: auto, with some routes past the VPN: say which part stood where
        said = (
            "Assessed from inside the VPN for %d device(s), whose route from the controller went "
            "through %s (read before any probe), and from the controller's network, outside the VPN, "
            "for the other %d, where a management port that answered is reachable from outside the VPN."
            % (routed, ", ".join(sorted(inside)), assessed - routed)
        )
    if not probes:
        return said + " No probe from outside the VPN ran: management that answered stays a finding."
    return said + (
        " Management counts as closed outside the VPN only where the probe from %s, outside the VPN, "
        "tried it and it did not answer (%d device(s) probed)." % (", ".join(sorted(probes)), probed)
    )


def build(client, results, generated_at, previous=None, accepted_risks=None, policy=None, kev_catalog=None,
          branding=None, rotation=None, compensations=()):  # fmt: skip
    """The report document from the per-device results of ``risk_assess``; ``rotation``: the
    credential rotation's summary of this client (its can't-rotate list goes in the report);
    ``compensations``: the compensating controls re-checked on the gateway (hardening's rate
    limits, segmentation's zone isolation), never "fixed"."""
    check_client(client)
    if not isinstance(results, list):
        raise ReportError("results must be a list of risk_assess results, got %s" % type(results).__name__)
    try:
        policy = register.check_policy(policy)
        acceptances = register.check_acceptances(accepted_risks)
    except register.RegisterError as exc:
        raise ReportError(str(exc)) from exc
    devices, not_assessed, all_findings, assessed_ids, unknown = [], [], [], set(), {}
    seen = set()
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("device"), dict):
            raise ReportError(
                "results: every item must be a risk_assess result with a 'device' (got %r)"
                % (type(r).__name__,)
            )
        dev = r["device"]
        name = dev.get("name")
        if name in seen:
            raise ReportError("results: device %r appears twice; pass each host's result once" % name)
        seen.add(name)
        identity = dev.get("mac") or name
        if not r.get("assessed", False):
            na = dict(dev, identity=identity, errors=list(r.get("errors") or []))
            na["display"] = register.display_name(na)
            not_assessed.append(na)
            continue
        assessed_ids.add(identity)
        unknown[identity] = [u for u in r.get("unknown") or [] if u in catalogue.BY_ID]
        findings = []
        for f in r.get("findings") or []:
            if f.get("rule") not in catalogue.BY_ID:
                raise ReportError(
                    "results: device %r has a finding with unknown rule %r" % (name, f.get("rule"))
                )
            entry = catalogue.BY_ID[f["rule"]]
            findings.append(
                {
                    "key": f["key"],
                    "rule": f["rule"],
                    "title": entry["title"],
                    "severity": entry["severity"],
                    "location": f.get("location"),
                    "evidence": f.get("evidence"),
                    "fixed_by": list(entry["fixed_by"]),
                }
            )
        findings.sort(key=lambda f: (-catalogue.severity_rank(f["severity"]), f["rule"], f["location"] or ""))
        d = dict(dev)
        prof = catalogue.profile(dev.get("class"), policy["ephi_classes"])
        d.update(
            {
                "identity": identity,
                "findings": findings,
                "undecided": unknown[identity],
                "notes": [str(n) for n in r.get("notes") or []],
                "ephi": prof["ephi"],
                "clinical": prof["clinical"],
                "availability": prof["availability"],
                "internet_exposed": any(f["rule"] == "IOTG-INTERNET-EXPOSED" for f in findings),
                "vendor_contact": policy["vendor_contacts"].get(dev.get("vendor") or "", ""),
                "checks": register.device_checks(r, unknown[identity]),
            }
        )
        # reachable only through the VPN when a probe outside it tried every port the
        # assessment reached through it and none answered (vantage.outside_view)
        d["vpn_only"] = bool(((r.get("observations") or {}).get("outside") or {}).get("vpn_only"))
        d["through_vpn"] = bool((r.get("observations") or {}).get("vpn_interface"))
        d["reach"] = catalogue.REACH[catalogue.reach_of(d)][1]
        devices.append(d)
        for f in findings:
            all_findings.append(dict(f, device=name, site=dev.get("site") or ""))
    register.name_devices(devices + not_assessed)
    the_diff = diff(all_findings, previous, assessed_ids, unknown)
    rows = register.build(
        devices,
        the_diff,
        previous,
        acceptances,
        policy,
        kev_catalog,
        generated_at,
        not_assessed,
    )
    compensation.apply(rows, devices + not_assessed, compensations)
    row_of = {m: row for row in rows for m in row["members"]}
    for d in devices:
        for f in d["findings"]:
            f["id"] = row_of[f["key"]]["id"]
        mine = [row for row in rows if d["identity"] in row["identities"]]
        d["risk"] = scoring.summarise(mine, "device")
        if not d["risk"]["findings"] and d["checks"]["not_checked"]:
            # no finding is not "no risk" when a check could not run (a speaker nobody can log in to)
            d["risk"]["level"] = "not fully checked"
            d["risk"]["explanation"] = "no open finding; not checked: %s" % "; ".join(
                d["checks"]["not_checked"]
            )
        d["register"] = [row["id"] for row in mine]
    devices.sort(key=lambda d: (-d["risk"]["score"], d["display"]))

    counted = [row for row in rows if row["status"] in scoring.COUNTED]
    by_status = {s: sum(1 for row in rows if row["status"] == s) for s in register.STATUSES}
    by_level = {
        lv: sum(1 for row in counted if row["risk"]["level"] == lv) for lv in reversed(catalogue.LEVELS)
    }
    by_owner = {o: sum(1 for row in counted if row["owner"] == o) for o in ("msp", "practice", "vendor")}
    sites = {}
    for d in devices:
        sites.setdefault(d.get("site") or "default", set()).add(d["identity"])
    site_scores = {
        s: dict(
            scoring.summarise([row for row in rows if ids & set(row["identities"])], "site"), devices=len(ids)
        )
        for s, ids in sorted(sites.items())
    }
    client_score = scoring.summarise(rows, "client")
    client_score["band"] = client_score["level"]
    accepted_points = sum(
        row["risk"]["points"] for row in rows if row["status"] in ("accepted", "compensated")
    )
    used_rules = sorted({row["rule"] for row in rows})
    doc = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "client": client,
        "generated_at": generated_at,
        "complete": not not_assessed,
        "not_assessed": not_assessed,
        "branding": dict(branding or {}),
        "scope": SCOPE,
        "limits": [*LIMITS, vantage_limit(results)],
        "method": _method(kev_catalog, policy),
        "summary": {
            "devices": len(devices) + len(not_assessed),
            "assessed": len(devices),
            "not_assessed": len(not_assessed),
            "register_rows": len(rows),
            "findings": len(counted),
            "by_status": by_status,
            "by_level": by_level,
            "by_owner": by_owner,
            "open_points": client_score["score"],
            "accepted_points": accepted_points,
        },
        "client_score": client_score,
        "sites": site_scores,
        "site_picture": {
            "after": site_picture.picture(devices),
            "before": site_picture.picture(previous.get("devices")) if previous else None,
        },
        "register": rows,
        "actions": register.action_plan(rows),
        "accepted_risks": acceptances,
        "rules": {r: _catalogue_entry(r) for r in used_rules},
        "devices": devices,
        "diff": the_diff,
        "cannot_rotate": cannot_rotate(rotation, devices + not_assessed),
    }
    return doc


def findings_of(doc):
    for d in doc["devices"]:
        for f in d["findings"]:
            yield d, f


def gate(doc, severity, mode="any"):
    """Findings that break the pipeline: at or above ``severity``; ``mode`` any or new."""
    if severity in (None, "", "none"):
        return []
    floor = catalogue.severity_rank(severity)
    if mode not in ("any", "new"):
        raise ReportError("fail_on=%r is not a gate mode; use 'any' or 'new'" % (mode,))
    new_keys = None
    if mode == "new":
        new_keys = {f["key"] for f in doc["diff"]["new"]} if doc.get("diff") else None
    out = []
    for d, f in findings_of(doc):
        if catalogue.severity_rank(f["severity"]) < floor:
            continue
        if new_keys is not None and f["key"] not in new_keys:
            continue
        out.append("%s %s on %s (%s)" % (f["severity"], f["rule"], d["name"], f["location"]))
    return out


# --- renderers ---------------------------------------------------------------------------------
def render_json(doc):
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _cell(value):
    """A CSV cell that no spreadsheet will run as a formula (device text is hostile)."""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    s = "" if value is None else str(value)
    return "'" + s if _FORMULA.match(s) else s


CSV_COLUMNS = (
    "client", "id", "status", "status_reason", "risk_level", "risk_points", "likelihood", "impact", "priority",
    "due", "owner", "rule", "title", "asset", "devices", "threat", "evidence", "cves", "kev", "action",
    "first_seen", "last_seen", "accepted_by", "control", "review_by", "closed_by",
)  # fmt: skip


def render_csv(doc):
    """The register, one row per root cause (the same rows as the JSON's and the PDF's)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in doc["register"]:
        acc = r.get("acceptance") or {}
        row = (
            doc["client"], r["id"], r["status"], r["status_reason"], r["risk"]["level"], r["risk"]["points"],
            r["risk"]["likelihood"], r["risk"]["impact"], r["priority"], r["due"], r["owner"], r["rule"],
            r["title"], r["asset"], "; ".join(r["devices"]), r["threat"], " | ".join(r["evidence"]),
            " ".join(c["id"] for c in r["cves"]), " ".join(c["id"] for c in r["cves"] if c["kev"]), r["action"],
            r["first_seen"], r["last_seen"], acc.get("accepted_by"), acc.get("control"), acc.get("review_by"),
            " ".join(r["closed_by"]),
        )  # fmt: skip
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


#: register status -> SARIF baselineState
BASELINE = {"open": "unchanged", "accepted": "unchanged", "compensated": "unchanged",
            "not re-checked": "unchanged", "fixed": "absent"}  # fmt: skip
LEVEL_SARIF = {
    "very high": "error",
    "high": "error",
    "moderate": "warning",
    "low": "note",
    "very low": "note",
}


def render_sarif(doc, version="0"):
    rules = []
    index = {}
    for i, entry in enumerate(catalogue.FINDINGS):
        index[entry["id"]] = i
        rules.append(
            {
                "id": entry["id"],
                "name": re.sub(r"[^A-Za-z0-9]", "", entry["title"].title()),
                "shortDescription": {"text": entry["title"]},
                "fullDescription": {"text": entry["description"]},
                "help": {
                    "text": "%s Fixed by role(s): %s." % (entry["remediation"], ", ".join(entry["fixed_by"]))
                },
                "defaultConfiguration": {"level": catalogue.SEVERITIES[entry["severity"]][2]},
                "properties": {
                    "tags": ["security", *entry["cwe"]],
                    "security-severity": "%.1f" % catalogue.SEVERITIES[entry["severity"]][1],
                    "hipaa": list(entry["hipaa"]),
                },
            }
        )
    new_keys = {f["key"] for f in (doc.get("diff") or {}).get("new") or []}
    first_run = not doc.get("diff")
    results = []
    for r in doc["register"]:
        state = BASELINE[r["status"]]
        if r["status"] == "open" and (first_run or set(r["members"]) & new_keys):
            state = "new"
        result = {
            "ruleId": r["rule"],
            "ruleIndex": index[r["rule"]],
            "level": "none" if r["status"] == "fixed" else LEVEL_SARIF[r["risk"]["level"]],
            "kind": "pass" if r["status"] == "fixed" else "fail",
            "baselineState": state,
            "message": {
                "text": "%s %s on %s: %s"
                % (r["id"], r["title"], ", ".join(r["devices"]), r["evidence"][0] if r["evidence"] else "")
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "devices/%s" % (r["identities"][0] if r["identities"] else r["asset"])
                        }
                    },
                    "logicalLocations": [{"name": dev, "kind": "device"} for dev in r["devices"]],
                }
            ],
            "partialFingerprints": {"iotguardFinding/v2": r["id"]},
            "properties": {
                "findingId": r["id"],
                "status": r["status"],
                "statusReason": r["status_reason"],
                "riskLevel": r["risk"]["level"],
                "riskPoints": r["risk"]["points"],
                "likelihood": r["risk"]["likelihood"],
                "impact": r["risk"]["impact"],
                "priority": r["priority"],
                "due": r["due"],
                "owner": r["owner"],
                "firstSeen": r["first_seen"],
                "lastSeen": r["last_seen"],
                "cves": [c["id"] for c in r["cves"]],
                "kev": [c["id"] for c in r["cves"] if c["kev"]],
            },
        }
        if r["status"] == "compensated" and not r.get("acceptance"):
            # a control re-checked on the gateway, no person's acceptance
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": str(r.get("status_reason"))[:1000],
                }
            ]
        elif r["status"] in ("accepted", "compensated"):
            acc = r["acceptance"]
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": "%s: %s; control: %s; review by %s" % (
                    acc["id"], acc["residual_risk"], acc["control"] or "none", acc["review_by"])}
            ]  # fmt: skip
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "version": version, "rules": rules}},
                "automationDetails": {"id": "%s/%s" % (doc["client"], doc["generated_at"])},
                "invocations": [
                    {
                        "executionSuccessful": doc["complete"],
                        "toolExecutionNotifications": [
                            {
                                "level": "error",
                                "message": {
                                    "text": "%s not assessed: %s" % (n["display"], "; ".join(n["errors"]))
                                },
                            }
                            for n in doc["not_assessed"]
                        ],
                    }
                ],
                "results": results,
                "properties": {"clientScore": doc["client_score"], "schemaVersion": doc["schema_version"]},
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render(doc, formats, version="0"):
    from ansible_collections.iotguard.hardening.plugins.module_utils.risk import html_report

    out = {}
    for fmt in formats:
        if fmt not in FORMATS:
            raise ReportError("formats: %r is not a report format; use %s" % (fmt, ", ".join(FORMATS)))
        if fmt == "json":
            out[FILENAMES[fmt]] = render_json(doc)
        elif fmt == "csv":
            out[FILENAMES[fmt]] = render_csv(doc)
        elif fmt == "sarif":
            out[FILENAMES[fmt]] = render_sarif(doc, version)
        else:
            out[FILENAMES[fmt]] = html_report.render(doc)
    return out


# --- files ---------------------------------------------------------------------------------------
LOGO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
MAX_LOGO = 512 * 1024
BRANDING_TEXT = ("practice", "msp", "assessor", "security_official", "practice_signatory")


def check_branding(branding):
    """Cover and sign-off data; the logo file becomes a data URI (the page loads nothing)."""
    branding = dict(branding or {})
    unknown = sorted(set(branding) - set(BRANDING_TEXT) - {"logo"})
    if unknown:
        raise ReportError(
            "branding: %s unknown; use %s and logo" % (", ".join(unknown), ", ".join(BRANDING_TEXT))
        )
    out = {k: str(branding[k])[:200] for k in BRANDING_TEXT if branding.get(k)}
    logo = branding.get("logo")
    if logo:
        try:
            data = localfile.read_bounded(logo, MAX_LOGO)
        except OSError as exc:
            raise ReportError(
                "branding.logo=%s cannot be read (%s); give the path of the MSP's logo file"
                % (logo, exc.strerror or exc)
            ) from exc
        except localfile.TooLarge as exc:
            raise ReportError("branding.logo=%s %s; use a smaller image" % (logo, exc)) from exc
        mime = next((m for magic, m in LOGO_TYPES if data.startswith(magic)), None)
        if mime is None and b"<svg" in data[:2048]:
            mime = "image/svg+xml"
        if mime is None:
            raise ReportError("branding.logo=%s is not a PNG, JPEG or SVG image" % logo)
        out["logo_data_uri"] = "data:%s;base64,%s" % (mime, base64.b64encode(data).decode("ascii"))
    return out


def load_kev(path):
    try:
        return kev.load(path)
    except kev.KevError as exc:
        raise ReportError(str(exc)) from exc


def client_dir(report_dir, client):
    return os.path.join(report_dir, check_client(client))


def load_previous(report_dir, client):
    """The JSON document of the latest complete run, or None."""
    path = os.path.join(client_dir(report_dir, client), "latest", FILENAMES["json"])
    if not os.path.exists(path):
        return None
    doc = read_json(path, "previous report %s is unreadable (%s); move it away to start a new baseline")
    if doc.get("schema") != SCHEMA or str(doc.get("schema_version", "")).split(".", 1)[0] not in READS:
        raise ReportError("previous report %s has schema %r version %r; this release reads %s %s" % (
            path, doc.get("schema"), doc.get("schema_version"), SCHEMA, SCHEMA_VERSION))  # fmt: skip
    return doc


def load_rotation(report_dir, client):
    """The credential rotation's summary for the client (credential-rotation.json beside the
    reports), or None when there is none or it is not a real run's (check mode)."""
    path = os.path.join(client_dir(report_dir, client), "credential-rotation.json")
    if not os.path.isfile(path):
        return None
    return load_rotation_file(path)


def load_rotation_file(path):
    """A rotation summary from ``path`` (None for a check-mode one)."""
    data = read_json(path, "cannot read the rotation summary %s (%s); remove it or re-run the rotation")
    if not isinstance(data, dict) or data.get("check_mode"):
        return None
    return data


def read_json(path, message):
    """The JSON document at ``path``; ReportError ``message % (path, why)`` when unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ReportError(message % (path, exc)) from exc


def load_report(path):
    return read_json(path, "previous=%s is unreadable (%s); give the report.json of an earlier run")


def prepare_dir(report_dir, client):
    """Create the client's directory; ReportError that names report_dir when it cannot be written."""
    path = client_dir(report_dir, client)
    try:
        os.makedirs(path, mode=0o750, exist_ok=True)
    except OSError as exc:
        raise ReportError(
            "report_dir=%s cannot be used: %s; choose a directory the controller user can write"
            % (report_dir, exc.strerror or exc)
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise ReportError(
            "report_dir=%s is not writable (%s); choose a directory the controller user can write"
            % (report_dir, path)
        )
    return path


def write(report_dir, client, stamp, files):
    """Write ``files`` ({name: text}) as ``<report_dir>/<client>/<stamp>/`` and move ``latest``.

    Returns the final directory. On any error nothing is left that looks like a report.
    """
    if not STAMP_RE.match(stamp):
        raise ReportError("stamp=%r must look like 20260101T120000Z" % (stamp,))
    base = prepare_dir(report_dir, client)
    final = os.path.join(base, stamp)
    n = 1
    while os.path.lexists(final):  # two runs in one second: the second gets a suffix
        n += 1
        if n > 99:
            raise ReportError(
                "more than 99 reports for %s at %s in %s; wait a second" % (client, stamp, base)
            )
        final = os.path.join(base, "%s-%d" % (stamp, n))
    staging = None
    try:
        staging = tempfile.mkdtemp(prefix=".%s.partial-" % stamp, dir=base)
        for name, text in files.items():
            path = os.path.join(staging, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        os.rename(staging, final)
        staging = None
        link_tmp = os.path.join(base, ".latest.%d" % os.getpid())
        if os.path.lexists(link_tmp):
            os.unlink(link_tmp)
        os.symlink(os.path.basename(final), link_tmp)
        os.replace(link_tmp, os.path.join(base, "latest"))
    except OSError as exc:
        raise ReportError(
            "writing the report into %s failed: %s; nothing was published" % (base, exc)
        ) from exc
    finally:
        if staging and os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
    return final
