# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# ruff: noqa: E501 - CSS and HTML row templates stay one line each so the markup reads as it renders
"""The client's report as one self-contained HTML page that also prints as the PDF deliverable.

Sections follow the HHS/ONC SRA Tool and NIST SP 800-30 Rev. 1: cover, scope and method,
limits, executive summary with the action plan, asset inventory, risk register, accepted
risks, details per device, before/after, sign-off, and a technical appendix (the only
place that names drivers and roles). A print stylesheet gives each part its own pages.

Every value that came from a device (names, banners, evidence) is escaped with
``html.escape`` and the page carries a Content-Security-Policy that forbids scripts, so
a device that calls itself ``<script>...`` shows up as text.
"""

from __future__ import annotations

from html import escape

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue, identity, site_picture

COLORS = {
    "very high": "#8b0000",
    "high": "#d9480f",
    "moderate": "#b08800",
    "low": "#2b8a3e",
    "very low": "#868e96",
    "none": "#868e96",
    "not fully checked": "#6f42c1",
}
STATUS_COLORS = {
    "open": "#d9480f",
    "not re-checked": "#6f42c1",
    "accepted": "#1c7ed6",
    "compensated": "#1098ad",
    "fixed": "#2b8a3e",
}
STATUS_WORDS = {"fixed": "fixed and proven"}
OWNER_WORDS = {"msp": "MSP", "practice": "Practice", "vendor": "Vendor"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:0;color:#212529;background:#f8f9fa;font-size:13px}
header.top{background:#1f2d3d;color:#fff;padding:20px 32px}header.top h1{margin:0 0 4px;font-size:22px}
main{padding:8px 32px;max-width:1200px}section{background:#fff;border-radius:6px;padding:14px 20px;margin:14px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h2{margin-top:0;font-size:18px}h3{font-size:15px;margin:12px 0 6px}table{border-collapse:collapse;width:100%;font-size:12px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e9ecef;vertical-align:top}th{background:#f1f3f5}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:11px;font-weight:600;white-space:nowrap}
.charts{display:flex;gap:24px;flex-wrap:wrap;margin:8px 0}.cards{display:flex;gap:12px;flex-wrap:wrap}.card{flex:1;min-width:140px;
border:1px solid #dee2e6;border-radius:6px;padding:10px}
.card .n{font-size:26px;font-weight:700}.muted{color:#5c636a;font-size:12px}.warn{background:#fff3cd;border:1px solid #e0a800}
code{font-size:11px;word-break:break-all}.nw{white-space:nowrap}.id{font-family:"DejaVu Sans Mono",monospace;white-space:nowrap}
.cover{min-height:880px;display:flex;flex-direction:column;justify-content:space-between}
.cover h1{font-size:30px;margin:8px 0}.cover .who td{border:0;padding:3px 12px 3px 0;font-size:14px}.logo{max-height:80px;max-width:260px}
.sign td{height:42px;border-bottom:1px solid #495057}.apart{border-left:4px solid #1c7ed6}
@media print{
 @page{size:A4 landscape;margin:12mm 10mm 14mm}
 body{background:#fff;font-size:10.5px}main{padding:0;max-width:none}header.top{display:none}
 section{box-shadow:none;border-radius:0;padding:0;margin:0 0 10px}
 section.page{break-before:page}table{font-size:9.5px}.muted{font-size:8.5px}.card .n{font-size:20px}tr,.dev{break-inside:avoid}
thead{display:table-header-group}
 .cover{min-height:170mm}a{color:inherit;text-decoration:none}
}
"""


def e(value):
    return escape("" if value is None else str(value), quote=True)


def badge(level, colors=None, words=None):
    text = (words or {}).get(level, level)
    return '<span class="badge" style="background:%s">%s</span>' % (
        (colors or COLORS).get(level, "#868e96"),
        e(text),
    )


def status_badge(status):
    return badge(status, STATUS_COLORS, STATUS_WORDS)


def bar_chart(title, items, width=460, unit=""):
    """Horizontal bars: ``items`` is a list of (label, value, colour)."""
    row, left = 26, 130
    height = 30 + row * max(1, len(items))
    top = max([item[1] for item in items] + [1])
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">'
        % (width, height, e(title)),
        '<text x="0" y="16" font-size="14" font-weight="600">%s</text>' % e(title),
    ]
    for i, (label, value, colour) in enumerate(items):
        y = 26 + i * row
        w = 0 if not value else max(2, int((width - left - 60) * value / top))
        parts.append('<text x="0" y="%d" font-size="12">%s</text>' % (y + 14, e(label)))
        parts.append('<rect x="%d" y="%d" width="%d" height="18" fill="%s"/>' % (left, y + 2, w, colour))
        parts.append(
            '<text x="%d" y="%d" font-size="12">%s%s</text>' % (left + w + 6, y + 15, e(value), e(unit))
        )
    if not items:
        parts.append('<text x="0" y="44" font-size="12">nothing to show</text>')
    parts.append("</svg>")
    return "".join(parts)


def _charts(doc):
    s = doc["summary"]
    levels = [(lv, n, COLORS[lv]) for lv, n in s["by_level"].items()]
    per_class = {}
    for r in doc["register"]:
        if r["status"] in ("open", "not re-checked"):
            cls = r.get("asset_class") or "unknown"
            per_class[cls] = per_class.get(cls, 0) + r["risk"]["points"]
    classes = [
        (c.replace("_", " "), n, "#1f6feb") for c, n in sorted(per_class.items(), key=lambda kv: -kv[1])
    ]
    return '<div class="charts">%s%s</div>' % (
        bar_chart("Open findings by risk level", levels),
        bar_chart("Open risk points by device class", classes),
    )


def _cover(doc):
    b = doc.get("branding") or {}
    logo = b.get("logo_data_uri") or ""
    practice = b.get("practice") or doc["client"]
    rows = [
        ("Practice", practice),
        ("Prepared by", b.get("msp") or "—"),
        ("Assessor", b.get("assessor") or "—"),
        ("Date of assessment", doc["generated_at"][:10]),
        ("Report", "%s, schema %s" % (doc["generated_at"], doc["schema_version"])),
    ]
    return (
        '<section class="cover" id="cover"><div>%s<p class="muted">Security risk assessment</p>'
        "<h1>Security risk assessment of networked devices</h1><h2>%s</h2></div>"
        '<table class="who">%s</table>'
        '<p class="muted">Technical safeguards of networked devices; an input to the practice\'s full HIPAA risk analysis. '
        "Confidential: describes weaknesses of the practice's systems.</p></section>"
        % (
            '<img class="logo" alt="%s logo" src="%s">' % (e(b.get("msp") or "MSP"), e(logo)) if logo else "",
            e(practice),
            "".join("<tr><td><b>%s</b></td><td>%s</td></tr>" % (e(k), e(v)) for k, v in rows),
        )
    )


def _scope(doc):
    m = doc["method"]
    table = "".join(
        "<tr><th>%s</th>%s</tr>"
        % (e(lk), "".join("<td>%s</td>" % badge(m["risk_table"][lk][im]) for im in catalogue.LEVELS))
        for lk in reversed(catalogue.LEVELS)
    )
    kev = m.get("kev_catalog")
    kev_text = (
        "CISA Known Exploited Vulnerabilities catalogue version %s (released %s, %d entries), read from the copy the assessor provided"
        % (kev["version"] or "?", kev["released"] or "?", kev["entries"])
        if kev
        else "no copy of CISA's Known Exploited Vulnerabilities catalogue was provided: CVEs are listed, none is marked as known exploited"
    )
    return (
        '<section class="page" id="scope"><h2>Scope and method</h2><p>%s</p>'
        "<h3>Method</h3><p>%s. %s.</p><ul>"
        "<li><b>Likelihood</b>: %s.</li><li><b>Impact</b>: %s.</li>"
        "<li><b>Risk level</b>: NIST SP 800-30 Table I-2 (below); <b>risk points</b>: Table I-3 values %s.</li>"
        "<li><b>Device score</b>: %s. <b>Client score</b>: %s.</li>"
        "<li><b>Priority and due date</b>: %s; due %s days after first seen.</li><li><b>Known exploited vulnerabilities</b>: %s.</li></ul>"
        '<table style="width:auto"><tr><th>Likelihood \\ impact</th>%s</tr>%s</table>'
        '<h3 id="limits">Limits</h3><ul>%s</ul></section>'
        % (
            e(doc["scope"]),
            e(m["standard"]),
            e(m["finding"]),
            e(m["likelihood"]),
            e(m["impact"]),
            e(", ".join("%s %d" % (k, v) for k, v in m["risk_points"].items())),
            e(m["device_score"]),
            e(m["client_score"]),
            e(", ".join("%s %s" % (k, v) for k, v in m["priority"].items())),
            e(", ".join("%s %d" % (k, v) for k, v in m["due_days"].items())),
            e(kev_text),
            "".join("<th>%s</th>" % e(im) for im in catalogue.LEVELS),
            table,
            "".join("<li>%s</li>" % e(x) for x in doc["limits"]),
        )
    )


def _summary(doc):
    s = doc["summary"]
    cs = doc["client_score"]
    cards = [
        ("Client risk score (points)", str(cs["score"]), badge(cs["level"])),
        ("Devices assessed", "%d / %d" % (s["assessed"], s["devices"]), ""),
        ("Open findings", str(s["by_status"]["open"]), ""),
        ("Not re-checked", str(s["by_status"]["not re-checked"]), ""),
        (
            "Accepted / compensated",
            "%d (%d points)"
            % (s["by_status"]["accepted"] + s["by_status"]["compensated"], s["accepted_points"]),
            "",
        ),
        ("Fixed and proven", str(s["by_status"]["fixed"]), ""),
    ]
    out = ['<section class="page" id="summary"><h2>Executive summary</h2><div class="cards">']
    for label, value, extra in cards:
        out.append(
            '<div class="card"><div class="muted">%s</div><div class="n">%s</div>%s</div>'
            % (e(label), e(value), extra)
        )
    out.append("</div>")
    out.append("<p>%s</p>" % e(_plain(doc)))
    out.append('<p class="muted">%s.</p>' % e(cs["explanation"]))
    out.append(_charts(doc))
    levels = ", ".join("%d %s" % (n, lv) for lv, n in s["by_level"].items() if n)
    owners = ", ".join("%s %d" % (OWNER_WORDS[o], n) for o, n in s["by_owner"].items() if n)
    out.append(
        "<p>The register has %d rows: %s. Open and not re-checked rows by risk level: %s; by owner: %s.</p>"
        % (
            s["register_rows"],
            e(", ".join("%d %s" % (n, STATUS_WORDS.get(st, st)) for st, n in s["by_status"].items())),
            e(levels or "none"),
            e(owners or "none"),
        )
    )
    d = doc.get("diff")
    if d and d.get("previous_score") is not None:
        out.append(
            "<p>Since the assessment of %s the client score went from %s to %d.</p>"
            % (e(d.get("previous_generated_at")), e(d["previous_score"]), cs["score"])
        )
    out.append(
        "<h3>Top actions</h3><table><tr><th>#</th><th style='width:34%'>Action</th><th>Owner</th><th>Priority</th><th>Due</th><th "
        "style='width:30%'>Findings it closes</th><th>Score it removes</th></tr>"
    )
    for i, a in enumerate(doc["actions"][:8], 1):
        out.append(
            '<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class="id">%s</td><td><b>-%d</b> points</td></tr>'
            % (
                i,
                e(a["action"]),
                e(OWNER_WORDS[a["owner"]]),
                e(a["priority"]),
                e(a["due"]),
                e(
                    "%d: %s"
                    % (
                        len(a["findings"]),
                        " ".join(a["findings"][:6]) + (" ..." if len(a["findings"]) > 6 else ""),
                    )
                ),
                a["points"],
            )
        )
    if not doc["actions"]:
        out.append('<tr><td colspan="7">No open finding.</td></tr>')
    out.append("</table>")
    if not doc["complete"]:
        out.append(
            '<p class="warn">%d device(s) could not be assessed; their risk is unknown, not zero: %s.</p>'
            % (len(doc["not_assessed"]), e(", ".join(n["display"] for n in doc["not_assessed"])))
        )
    out.append("</section>")
    return "".join(out)


def _plain(doc):
    """The summary in plain words, from the same numbers as the register."""
    s, cs = doc["summary"], doc["client_score"]
    top = doc["actions"][:3]
    removed = sum(a["points"] for a in top)
    parts = [
        "%d of %d devices were assessed." % (s["assessed"], s["devices"]),
        "%d findings are open or could not be re-checked (%s), worth %d risk points."
        % (
            s["findings"],
            ", ".join("%d %s" % (n, lv) for lv, n in s["by_level"].items() if n) or "none",
            cs["score"],
        ),
    ]
    if top and cs["score"]:
        parts.append(
            "The first %d actions below would remove %d of those points (%d%%)."
            % (len(top), removed, round(100.0 * removed / cs["score"]))
        )
    if s["by_status"]["accepted"] + s["by_status"]["compensated"]:
        parts.append(
            "%d risks are accepted by the practice (%d with a compensating control) and counted apart: %d points."
            % (
                s["by_status"]["accepted"] + s["by_status"]["compensated"],
                s["by_status"]["compensated"],
                s["accepted_points"],
            )
        )
    if s["by_status"]["not re-checked"]:
        parts.append(
            "%d earlier findings could not be re-checked this time; they still count."
            % s["by_status"]["not re-checked"]
        )
    if s["by_status"]["fixed"]:
        parts.append("%d findings were fixed and proven closed by a later check." % s["by_status"]["fixed"])
    return " ".join(parts)


def _yes(v):
    return "yes" if v else "no"


def _inventory(doc):
    out = [
        '<section class="page" id="inventory"><h2>Asset inventory</h2><table><thead><tr><th>Device</th><th>Class (confidence)</th>'
        "<th>Vendor / model</th><th>Firmware / OS</th><th>MAC</th><th>Location</th><th>ePHI</th><th>Reach</th><th>Score</th><th>Vendor support</th>"
        "</tr></thead>"
    ]
    for d in doc["devices"]:
        loc = ", ".join(
            p
            for p in (
                d.get("switch"),
                d.get("switch_port") and "port %s" % d["switch_port"],
                d.get("vlan") and "VLAN %s" % d["vlan"],
            )
            if p
        )
        out.append(
            '<tr><td><a href="#dev-%s"><b>%s</b></a><br><span class="muted">%s%s</span></td><td>%s (%d%%)</td><td>%s</td><td>%s%s</td><td>%s</td>'
            "<td>%s</td><td>%s</td><td>%s</td><td>%d %s</td><td>%s</td></tr>"
            % (
                e(d["identity"]),
                e(d["display"]),
                e(d.get("address")),
                e(" · name from %s" % d["name_source"]) if d.get("name_source") else "",
                e((d.get("class") or "unknown").replace("_", " ")),
                round(100 * float(d.get("confidence") or 0)),
                e(identity.vendor_model(d.get("vendor"), d.get("model")) or "not identified"),
                e(d.get("firmware") or "not reported"),
                e(" / " + d["os"]) if d.get("os") else "",
                e(d.get("mac") or "not recorded"),
                e(loc or "not recorded"),
                _yes(d.get("ephi")),
                e(d.get("reach")),
                d["risk"]["score"],
                badge(d["risk"]["level"]),
                e(d.get("vendor_contact") or "—"),
            )
        )
    for n in doc["not_assessed"]:
        out.append(
            '<tr class="warn"><td><b>%s</b><br><span class="muted">%s</span></td><td colspan="9">not assessed: %s</td></tr>'
            % (e(n["display"]), e(n.get("address")), e("; ".join(n["errors"])))
        )
    out.append("</table>")
    out.append(
        "<h3>What was and was not checked</h3><table><thead><tr><th>Device</th><th>Checked</th><th>Not checked (risk unknown, not zero)</th></tr></thead>"
    )
    for d in doc["devices"]:
        c = d.get("checks") or {"checked": [], "not_checked": []}
        out.append(
            "<tr><td>%s</td><td>%s</td><td>%s</td></tr>"
            % (e(d["display"]), e("; ".join(c["checked"])), e("; ".join(c["not_checked"]) or "—"))
        )
    out.append("</table></section>")
    return "".join(out)


def _register(doc):
    out = [
        '<section class="page" id="register"><h2>Risk register</h2><table><thead><tr><th>ID</th><th style="width:20%">Finding</th><th '
        'style="width:18%">Devices</th>'
        '<th>Likelihood</th><th>Impact</th><th>Risk</th><th>Owner</th><th>Priority / due</th><th style="width:16%">Status</th><th>First / last '
        "seen</th></tr></thead>"
    ]
    for r in doc["register"]:
        kev = [c["id"] for c in r["cves"] if c["kev"]]
        out.append(
            '<tr><td class="id">%s</td><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td class="nw">%s %d</td><td>%s</td><td class="nw">%s<br>%s</td>'
            '<td>%s<br><span class="muted">%s</span></td><td class="nw">%s<br>%s</td></tr>'
            % (
                e(r["id"]),
                e(r["title"]),
                '<br><span class="muted">known exploited: %s</span>' % e(", ".join(kev)) if kev else "",
                e(", ".join(r["devices"])),
                e(r["risk"]["likelihood"]),
                e(r["risk"]["impact"]),
                badge(r["risk"]["level"]),
                r["risk"]["points"],
                e(OWNER_WORDS[r["owner"]]),
                e(r["priority"]),
                e(r["due"]),
                status_badge(r["status"]),
                e(r["status_reason"]),
                e(r["first_seen"][:10]),
                e(r["last_seen"][:10]),
            )
        )
    out.append("</table></section>")
    return "".join(out)


def _accepted(doc):
    rows = [r for r in doc["register"] if r.get("acceptance")]
    out = [
        '<section class="page apart" id="accepted"><h2>Accepted risks and compensating controls</h2>'
        "<p>Risks a person at the practice accepted, kept in the client's inventory. They are not fixed: they stay in the register, "
        "count apart from the client score (%d points) and return to open when their review date passes.</p>"
        % doc["summary"]["accepted_points"]
    ]
    if not rows:
        out.append("<p>No accepted risk is recorded.</p></section>")
        return "".join(out)
    out.append(
        "<table><thead><tr><th>Record</th><th>Finding</th><th>Devices</th><th>Accepted by</th><th>Residual risk</th><th>Compensating control</th>"
        "<th>Review by</th><th>Status</th></tr></thead>"
    )
    for r in rows:
        a = r["acceptance"]
        out.append(
            '<tr><td>%s v%s</td><td><span class="id">%s</span> %s</td><td>%s</td><td>%s%s, %s</td><td>%s</td><td>%s</td><td>%s</td><td>%s%s</td></tr>'
            % (
                e(a["id"]),
                e(a["version"]),
                e(r["id"]),
                e(r["title"]),
                e(", ".join(r["devices"])),
                e(a["accepted_by"]),
                e(" (%s)" % a["role"]) if a["role"] else "",
                e(a["accepted_on"]),
                e(a["residual_risk"]),
                e(a["control"] or "none"),
                e(a["review_by"]),
                status_badge(r["status"]),
                ' <span class="muted">expired: open again</span>' if a["expired"] else "",
            )
        )
    out.append("</table></section>")
    return "".join(out)


def _details(doc):
    rows_by_id = {r["id"]: r for r in doc["register"]}
    out = ['<section class="page" id="details"><h2>Findings per device</h2>']
    for d in doc["devices"]:
        out.append(
            '<div class="dev" id="dev-%s"><h3>%s %s %d points</h3>'
            % (e(d["identity"]), e(d["display"]), badge(d["risk"]["level"]), d["risk"]["score"])
        )
        facts = [
            p
            for p in (
                (d.get("class") or "").replace("_", " "),
                identity.vendor_model(d.get("vendor"), d.get("model")),
                d.get("address"),
            )
            if p and p != "unknown"
        ]
        out.append(
            '<p class="muted">%s. %s. %s.</p>'
            % (
                e(", ".join(facts)),
                e(d.get("reach", "")[:1].upper() + d.get("reach", "")[1:]),
                e(d["risk"]["explanation"]),
            )
        )
        mine = [rows_by_id[i] for i in d.get("register") or []]
        if not mine:
            nc = (d.get("checks") or {}).get("not_checked") or []
            out.append("<p>No finding.%s</p></div>" % (e(" Not checked: " + "; ".join(nc)) if nc else ""))
            continue
        out.append(
            "<table><tr><th>ID</th><th>Threat and vulnerability</th><th>Evidence</th><th>Risk</th><th>What closes it</th><th>Status</th>"
            "<th>References</th></tr>"
        )
        for r in mine:
            rule = catalogue.BY_ID[r["rule"]]
            cves = ", ".join(c["id"] + (" (KEV)" if c["kev"] else "") for c in r["cves"])
            out.append(
                '<tr><td class="id">%s</td><td><b>%s</b><br>%s</td><td>%s</td><td>%s<br><span class="muted">%s</span></td><td>%s</td><td>%s</td>'
                "<td>%s<br>HIPAA %s%s</td></tr>"
                % (
                    e(r["id"]),
                    e(r["title"]),
                    e(r["threat"]),
                    e(" | ".join(r["evidence"][:4])),
                    badge(r["risk"]["level"]),
                    e(r["risk"]["explanation"]),
                    e(r["action"]),
                    status_badge(r["status"]),
                    e(", ".join(rule["cwe"])),
                    e(", ".join("§" + h for h in rule["hipaa"])),
                    "<br>" + e(cves) if cves else "",
                )
            )
        out.append("</table></div>")
    out.append("</section>")
    return "".join(out)


def _comparison(doc):
    d = doc.get("diff")
    out = ['<section class="page" id="comparison"><h2>Before / after</h2>']
    if not d:
        out.append('<p class="muted">First assessment: no earlier run to compare with.</p></section>')
        return "".join(out)
    counts = doc["summary"]["by_status"]
    out.append(
        "<p>Compared with the assessment of %s: client score %s &rarr; %d. %d fixed and proven, %d new, %d still open, %d not re-checked, %d accepted "
        "or compensated.</p>"
        % (
            e(d.get("previous_generated_at")),
            e(d.get("previous_score") if d.get("previous_score") is not None else "n/a"),
            doc["client_score"]["score"],
            counts["fixed"],
            len({f["key"] for f in d["new"]}),
            counts["open"],
            counts["not re-checked"],
            counts["accepted"] + counts["compensated"],
        )
    )
    changed = [r for r in doc["register"] if r["status"] in ("fixed", "not re-checked")]
    if changed:
        out.append(
            "<table><tr><th>ID</th><th>Finding</th><th>Devices</th><th>Status</th><th>Why</th><th>Points</th></tr>"
        )
        for r in changed:
            out.append(
                '<tr><td class="id">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s%d</td></tr>'
                % (
                    e(r["id"]),
                    e(r["title"]),
                    e(", ".join(r["devices"])),
                    status_badge(r["status"]),
                    e(r["status_reason"]),
                    "-" if r["status"] == "fixed" else "",
                    r["risk"]["points"],
                )
            )
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


def _cannot_rotate(doc):
    items = doc.get("cannot_rotate") or []
    if not items:
        return ""
    out = [
        '<section class="page" id="cannot-rotate"><h2>Accounts the credential rotation could not close</h2>'
        "<p>From the rotation of %s. Each stays open (or unchecked) in the register above until it is "
        "closed by hand and re-checked.</p>"
        "<table><tr><th>Device</th><th>Account</th><th>Why</th><th>Manual step</th></tr>"
        % e(items[0].get("rotation_run") or "n/a")
    ]
    for item in items:
        out.append(
            "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
            % (
                e(item["device"]),
                e(item["account"] if item["account"] is not None else "(none known)"),
                e(item["reason"]),
                e(item["manual_step"]),
            )
        )
    out.append("</table></section>")
    return "".join(out)


def _signoff(doc):
    b = doc.get("branding") or {}
    return (
        '<section class="page" id="signoff"><h2>Sign-off</h2>'
        "<p>The practice has received this security risk assessment of its networked devices, dated %s, with its risk register "
        "and action plan, and keeps it with its HIPAA documentation for at least six years (45 CFR 164.316(b)(2)). Accepted risks "
        "listed in this report are accepted by the people named in them until their review dates.</p>"
        '<table class="sign"><tr><th style="width:30%%">Role</th><th>Name</th><th>Signature</th><th style="width:16%%">Date</th></tr>'
        "<tr><td>Practice security official</td><td>%s</td><td></td><td></td></tr>"
        "<tr><td>Practice manager / owner</td><td>%s</td><td></td><td></td></tr>"
        "<tr><td>Assessor (%s)</td><td>%s</td><td></td><td></td></tr></table></section>"
        % (
            e(doc["generated_at"][:10]),
            e(b.get("security_official") or ""),
            e(b.get("practice_signatory") or ""),
            e(b.get("msp") or "MSP"),
            e(b.get("assessor") or ""),
        )
    )


def _appendix(doc):
    out = [
        '<section class="page" id="appendix"><h2>Technical appendix</h2>'
        "<p>For the engineers: what closes each register row in this collection, and the findings' raw keys.</p>"
        "<table><thead><tr><th>ID</th><th>Rule</th><th>Closed by (roles)</th><th>Devices (inventory names)</th><th>Keys</th></tr></thead>"
    ]
    for r in doc["register"]:
        out.append(
            '<tr><td class="id">%s</td><td><code>%s</code></td><td><code>%s</code></td><td><code>%s</code></td><td><code>%s</code></td></tr>'
            % (
                e(r["id"]),
                e(r["rule"]),
                e(", ".join(r["closed_by"])),
                e(", ".join(str(i) for i in r["identities"])),
                e(" ".join(r["members"][:6])),
            )
        )
    out.append(
        "</table><h3>Device drivers and notes</h3><table><tr><th>Device</th><th>Inventory name</th><th>Driver</th><th>Probe notes</th></tr>"
    )
    for d in doc["devices"]:
        out.append(
            "<tr><td>%s</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td></tr>"
            % (
                e(d["display"]),
                e(d.get("name")),
                e(d.get("driver") or "none"),
                e("; ".join(d.get("notes") or [])),
            )
        )
    out.append("</table></section>")
    return "".join(out)


def render(doc):
    practice = (doc.get("branding") or {}).get("practice") or doc["client"]
    incomplete = ""
    if not doc["complete"]:
        incomplete = (
            '<section class="warn" id="incomplete"><h2>Incomplete assessment</h2><p>%d device(s) could not be assessed; '
            "their risk is unknown, not zero: %s</p></section>"
            % (len(doc["not_assessed"]), e(", ".join(n["display"] for n in doc["not_assessed"])))
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="%s">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Security risk assessment: %s</title><style>%s</style></head><body>"
        '<header class="top"><h1>Security risk assessment: %s</h1><div>%s &middot; schema %s</div></header><main>%s%s%s%s%s%s%s%s%s%s%s%s%s</main>'
        "</body></html>\n"
        % (
            CSP,
            e(doc["client"]),
            CSS,
            e(practice),
            e(doc["generated_at"]),
            e(doc["schema_version"]),
            _cover(doc),
            incomplete,
            _scope(doc),
            _summary(doc),
            _inventory(doc),
            site_picture.section(doc),
            _register(doc),
            _accepted(doc),
            _details(doc),
            _comparison(doc),
            _cannot_rotate(doc),
            _signoff(doc),
            _appendix(doc),
        )
    )
