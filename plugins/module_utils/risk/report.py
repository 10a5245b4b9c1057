# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The client's report: one versioned document, rendered as JSON, CSV, SARIF and HTML.

``build()`` scores every device and the sites, joins the catalogue, and compares with the
previous run (``diff()``). ``write()`` puts all formats into a dated directory atomically:
files go into a hidden staging directory that is renamed into place only when every file
is complete, then the ``latest`` link moves. A failed run leaves no report that looks
complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue, scoring

SCHEMA = "iotguard.hardening/security-risk-assessment"
SCHEMA_VERSION = catalogue.SCHEMA_VERSION
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
        k: e[k] for k in ("id", "title", "severity", "description", "remediation", "fixed_by", "cwe", "hipaa")
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

    ``fixed``: in the previous run, not now, on a device assessed now. A finding of a
    device that could not be assessed this time, or whose rule this run could not decide
    for that device (``unknown``: identity -> rule ids), is ``not_rechecked``, never ``fixed``.
    """
    unknown = unknown or {}
    if not previous_doc:
        return None
    prev = {}
    for dev in previous_doc.get("devices", []):
        for f in dev.get("findings", []):
            prev[f["key"]] = dict(f, device=dev.get("name"), identity=dev.get("identity"))
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


def build(client, results, generated_at, previous=None):
    """The report document from the per-device results of ``risk_assess``."""
    check_client(client)
    if not isinstance(results, list):
        raise ReportError("results must be a list of risk_assess results, got %s" % type(results).__name__)
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
            not_assessed.append(
                {"name": name, "address": dev.get("address"), "errors": list(r.get("errors") or [])}
            )
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
                    "score": scoring.finding_score(entry["severity"]),
                    "location": f.get("location"),
                    "evidence": f.get("evidence"),
                    "fixed_by": list(entry["fixed_by"]),
                }
            )
        findings.sort(key=lambda f: (-catalogue.severity_rank(f["severity"]), f["rule"], f["location"] or ""))
        ds = scoring.device_score(dev.get("class"), findings)
        d = dict(dev)
        d.update(
            {
                "identity": identity,
                "findings": findings,
                "risk": ds,
                "undecided": unknown[identity],
                "notes": [str(n) for n in r.get("notes") or []],
            }
        )
        devices.append(d)
        for f in findings:
            all_findings.append(dict(f, device=name, site=dev.get("site") or ""))
    devices.sort(key=lambda d: (-d["risk"]["score"], d["name"]))

    by_sev = {s: 0 for s in catalogue.SEVERITY_ORDER}
    for f in all_findings:
        by_sev[f["severity"]] += 1
    by_class = {}
    for d in devices:
        c = by_class.setdefault(
            d.get("class") or "unknown", {"devices": 0, "findings": 0, "max_score": 0.0, "total_score": 0.0}
        )
        c["devices"] += 1
        c["findings"] += len(d["findings"])
        c["max_score"] = max(c["max_score"], d["risk"]["score"])
        c["total_score"] = round(c["total_score"] + d["risk"]["score"], 1)
    sites = {}
    for d in devices:
        sites.setdefault(d.get("site") or "default", []).append(d["risk"]["score"])
    site_scores = {s: dict(scoring.site_score(v), devices=len(v)) for s, v in sorted(sites.items())}
    used_rules = sorted({f["rule"] for f in all_findings})
    doc = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "client": client,
        "generated_at": generated_at,
        "complete": not not_assessed,
        "not_assessed": not_assessed,
        "scoring": {
            "finding": "severity base score: "
            + ", ".join("%s %.1f" % (s, catalogue.SEVERITIES[s][1]) for s in catalogue.SEVERITY_ORDER),
            "device": "(worst finding + %.2f x sum of the others) x class criticality x exposure x %.0f"
            ", capped at 100" % (scoring.OTHERS_WEIGHT, scoring.DEVICE_SCALE),
            "exposure": "1.0 + "
            + ", ".join("%s %+.2f" % (r, w) for r, w in catalogue.EXPOSURE_WEIGHTS.items())
            + ", capped at %.1f" % catalogue.MAX_EXPOSURE,
            "site": "%.1f x worst device + %.1f x mean device score"
            % (scoring.SITE_WORST, scoring.SITE_MEAN),
            "bands": ", ".join("%s >= %g" % (n, f) for f, n in scoring.BANDS),
            "criticality": dict(catalogue.CLASS_CRITICALITY),
        },
        "summary": {
            "devices": len(devices) + len(not_assessed),
            "assessed": len(devices),
            "findings": len(all_findings),
            "by_severity": by_sev,
            "by_class": dict(sorted(by_class.items())),
        },
        "client_score": scoring.site_score([d["risk"]["score"] for d in devices]),
        "sites": site_scores,
        "rules": {r: _catalogue_entry(r) for r in used_rules},
        "devices": devices,
        "diff": diff(all_findings, previous, assessed_ids, unknown),
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
    "client", "site", "device", "address", "class", "vendor", "model", "device_score", "device_band",
    "rule", "title", "severity", "finding_score", "location", "evidence", "remediation", "fixed_by",
    "cwe", "hipaa", "status",
)  # fmt: skip


def render_csv(doc):
    status = {}
    if doc.get("diff"):
        status.update({f["key"]: "new" for f in doc["diff"]["new"]})
        status.update({f["key"]: "unchanged" for f in doc["diff"]["unchanged"]})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for d, f in findings_of(doc):
        rule = catalogue.BY_ID[f["rule"]]
        row = (
            doc["client"], d.get("site"), d["name"], d.get("address"), d.get("class"), d.get("vendor"),
            d.get("model"), d["risk"]["score"], d["risk"]["band"], f["rule"], f["title"], f["severity"],
            f["score"], f["location"], f["evidence"], rule["remediation"], rule["fixed_by"], rule["cwe"],
            rule["hipaa"], status.get(f["key"], ""),
        )  # fmt: skip
        w.writerow([_cell(v) for v in row])
    return buf.getvalue()


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
    results = []
    for d, f in findings_of(doc):
        results.append(
            {
                "ruleId": f["rule"],
                "ruleIndex": index[f["rule"]],
                "level": catalogue.SEVERITIES[f["severity"]][2],
                "message": {"text": "%s: %s" % (d["name"], f["evidence"])},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": "devices/%s" % d["name"]}},
                        "logicalLocations": [
                            {
                                "name": d["name"],
                                "kind": "device",
                                "fullyQualifiedName": "%s/%s" % (d["name"], f["location"]),
                            }
                        ],
                    }
                ],
                "partialFingerprints": {"iotguardFinding/v1": f["key"]},
                "properties": {
                    "deviceScore": d["risk"]["score"],
                    "class": d.get("class"),
                    "address": d.get("address"),
                },
            }
        )
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
                                    "text": "%s not assessed: %s" % (n["name"], "; ".join(n["errors"]))
                                },
                            }
                            for n in doc["not_assessed"]
                        ],
                    }
                ],
                "results": results,
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
def client_dir(report_dir, client):
    return os.path.join(report_dir, check_client(client))


def load_previous(report_dir, client):
    """The JSON document of the latest complete run, or None."""
    path = os.path.join(client_dir(report_dir, client), "latest", FILENAMES["json"])
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ReportError(
            "previous report %s is unreadable (%s); move it away to start a new baseline" % (path, exc)
        ) from exc
    if (
        doc.get("schema") != SCHEMA
        or str(doc.get("schema_version", "")).split(".", 1)[0] != SCHEMA_VERSION.split(".", 1)[0]
    ):
        raise ReportError("previous report %s has schema %r version %r; this release reads %s %s" % (
            path, doc.get("schema"), doc.get("schema_version"), SCHEMA, SCHEMA_VERSION))  # fmt: skip
    return doc


def load_report(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ReportError(
            "previous=%s is unreadable (%s); give the report.json of an earlier run" % (path, exc)
        ) from exc


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
