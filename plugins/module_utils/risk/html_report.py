# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# ruff: noqa: E501 - CSS and HTML row templates stay one line each so the markup reads as it renders
"""The client's HTML report: one self-contained file, no script, inline CSS and SVG charts.

Every value that came from a device (names, banners, evidence) is escaped with
``html.escape`` and the page carries a Content-Security-Policy that forbids scripts, so
a device that calls itself ``<script>...`` shows up as text.
"""

from __future__ import annotations

from html import escape

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue

COLORS = {
    "critical": "#8b0000",
    "high": "#d9480f",
    "medium": "#e0a800",
    "low": "#2b8a3e",
    "info": "#868e96",
    "none": "#868e96",
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212529;background:#f8f9fa}
header{background:#1f2d3d;color:#fff;padding:24px 32px}header h1{margin:0 0 4px;font-size:24px}
main{padding:16px 32px;max-width:1200px}section{background:#fff;border-radius:6px;padding:16px 20px;margin:16px 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{margin-top:0;font-size:18px}table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e9ecef;vertical-align:top}th{background:#f1f3f5}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.cards{display:flex;gap:16px;flex-wrap:wrap}.card{flex:1;min-width:150px;border:1px solid #dee2e6;border-radius:6px;padding:12px}
.card .n{font-size:28px;font-weight:700}.charts{display:flex;gap:24px;flex-wrap:wrap}.muted{color:#6c757d;font-size:13px}
.warn{background:#fff3cd;border:1px solid #e0a800}.dev h3{margin:0 0 6px;font-size:16px}code{font-size:13px}
.new{color:#d9480f;font-weight:600}.fixed{color:#2b8a3e;font-weight:600}
"""


def e(value):
    return escape("" if value is None else str(value), quote=True)


def badge(severity):
    return '<span class="badge" style="background:%s">%s</span>' % (
        COLORS.get(severity, "#868e96"),
        e(severity),
    )


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


def _summary(doc):
    s = doc["summary"]
    cs = doc["client_score"]
    cards = [
        ("Client risk score", "%.1f" % cs["score"], cs["band"]),
        ("Devices assessed", "%d / %d" % (s["assessed"], s["devices"]), None),
        ("Findings", str(s["findings"]), None),
        ("Critical + high", str(s["by_severity"]["critical"] + s["by_severity"]["high"]), None),
    ]
    out = ['<section id="summary"><h2>Summary</h2><div class="cards">']
    for label, value, band in cards:
        out.append(
            '<div class="card"><div class="muted">%s</div><div class="n">%s</div>%s</div>'
            % (e(label), e(value), badge(band) if band else "")
        )
    out.append("</div>")
    out.append('<p class="muted">How the score was reached: %s.</p>' % e(cs["explanation"]))
    if doc["sites"]:
        out.append("<table><tr><th>Site</th><th>Devices</th><th>Score</th><th>How</th></tr>")
        for site, sc in doc["sites"].items():
            out.append(
                '<tr><td>%s</td><td>%d</td><td>%.1f %s</td><td class="muted">%s</td></tr>'
                % (e(site), sc["devices"], sc["score"], badge(sc["band"]), e(sc["explanation"]))
            )
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


def stacked_chart(title, rows, width=940):
    """Horizontal stacked bars: ``rows`` is a list of (label, {severity: count})."""
    row, left = 26, 150
    height = 52 + row * max(1, len(rows))
    top = max([sum(counts.values()) for _label, counts in rows] + [1])
    scale = (width - left - 60) / top
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">'
        % (width, height, e(title)),
        '<text x="0" y="16" font-size="14" font-weight="600">%s</text>' % e(title),
    ]
    x = left
    for sev in catalogue.SEVERITY_ORDER[:4]:  # legend
        parts.append('<rect x="%d" y="24" width="12" height="12" fill="%s"/>' % (x, COLORS[sev]))
        parts.append('<text x="%d" y="34" font-size="12">%s</text>' % (x + 16, e(sev)))
        x += 90
    for i, (label, counts) in enumerate(rows):
        y = 46 + i * row
        parts.append('<text x="0" y="%d" font-size="12">%s</text>' % (y + 14, e(label)))
        x = left
        for sev in catalogue.SEVERITY_ORDER[:4]:
            w = round(counts.get(sev, 0) * scale)
            if w:
                parts.append('<rect x="%d" y="%d" width="%d" height="18" fill="%s"><title>%s: %d %s</title></rect>'
                             % (x, y + 2, w, COLORS[sev], e(label), counts[sev], e(sev)))  # fmt: skip
                x += w
        parts.append('<text x="%d" y="%d" font-size="12">%d</text>' % (x + 6, y + 15, sum(counts.values())))
    parts.append("</svg>")
    return "".join(parts)


def _charts(doc):
    by_sev = doc["summary"]["by_severity"]
    sev_items = [(s, by_sev[s], COLORS[s]) for s in catalogue.SEVERITY_ORDER if s != "info"]
    cls_items = [
        (c, v["max_score"], "#1f6feb")
        for c, v in sorted(doc["summary"]["by_class"].items(), key=lambda kv: -kv[1]["max_score"])
    ]
    per_class = {}
    for d in doc["devices"]:
        counts = per_class.setdefault(d.get("class") or "unknown", {})
        for f in d["findings"]:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
    rows = sorted(per_class.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return '<section id="charts"><h2>Risk at a glance</h2><div class="charts">%s%s%s</div></section>' % (
        bar_chart("Findings by severity", sev_items),
        bar_chart("Highest device score by class", cls_items),
        stacked_chart("Findings by class and severity", rows),
    )


def _comparison(doc):
    d = doc.get("diff")
    if not d:
        return '<section id="comparison"><h2>Before / after</h2><p class="muted">First assessment: no earlier run to compare with.</p></section>'
    prev = d.get("previous_score")
    out = ['<section id="comparison"><h2>Before / after</h2>']
    out.append(
        "<p>Compared with the run of %s: client score %s &rarr; %.1f. "
        '<span class="fixed">%d fixed</span>, <span class="new">%d new</span>, %d unchanged%s.</p>'
        % (
            e(d.get("previous_generated_at")),
            e("%.1f" % prev if isinstance(prev, (int, float)) else "n/a"),
            doc["client_score"]["score"],
            len(d["fixed"]),
            len(d["new"]),
            len(d["unchanged"]),
            ", %d not re-checked (device not assessed this time)" % len(d["not_rechecked"])
            if d["not_rechecked"]
            else "",
        )
    )
    rows = (
        [("fixed", f) for f in d["fixed"]]
        + [("new", f) for f in d["new"]]
        + [("not re-checked", f) for f in d["not_rechecked"]]
    )
    if rows:
        out.append(
            "<table><tr><th>Change</th><th>Device</th><th>Finding</th><th>Severity</th><th>Where</th></tr>"
        )
        for status, f in rows:
            title = catalogue.BY_ID[f["rule"]]["title"] if f.get("rule") in catalogue.BY_ID else f.get("rule")
            out.append(
                '<tr><td class="%s">%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>'
                % (
                    e(status.split()[0]),
                    e(status),
                    e(f.get("device")),
                    e(title),
                    badge(f.get("severity")),
                    e(f.get("location")),
                )
            )
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


def _device_table(doc):
    out = [
        '<section id="devices"><h2>Devices</h2><table><tr><th>Device</th><th>Address</th><th>Class</th>'
        "<th>Vendor / model</th><th>Findings</th><th>Score</th></tr>"
    ]
    for d in doc["devices"]:
        out.append(
            '<tr><td><a href="#dev-%s">%s</a>%s</td><td>%s</td><td>%s</td><td>%s %s</td><td>%d</td><td>%.1f %s</td></tr>'
            % (
                e(d["identity"]),
                e(d["name"]),
                '<br><span class="muted">%s</span>' % e(d["hostname"])
                if d.get("hostname") and d["hostname"] != d["name"]
                else "",
                e(d.get("address")),
                e(d.get("class")),
                e(d.get("vendor")),
                e(d.get("model")),
                len(d["findings"]),
                d["risk"]["score"],
                badge(d["risk"]["band"]),
            )
        )
    for n in doc["not_assessed"]:
        out.append(
            '<tr class="warn"><td>%s</td><td>%s</td><td colspan="3">not assessed: %s</td><td>&mdash;</td></tr>'
            % (e(n["name"]), e(n.get("address")), e("; ".join(n["errors"])))
        )
    out.append("</table></section>")
    return "".join(out)


def _device_details(doc):
    out = ['<section id="findings"><h2>Findings and remediation per device</h2>']
    for d in doc["devices"]:
        title = d["name"] + (
            " (%s)" % d["hostname"] if d.get("hostname") and d["hostname"] != d["name"] else ""
        )
        out.append(
            '<div class="dev" id="dev-%s"><h3>%s %s</h3>'
            % (e(d["identity"]), e(title), badge(d["risk"]["band"]))
        )
        out.append(
            '<p class="muted">%s, %s %s, %s. Score %.1f: %s.</p>'
            % (
                e(d.get("class")),
                e(d.get("vendor")),
                e(d.get("model")),
                e(d.get("address")),
                d["risk"]["score"],
                e(d["risk"]["explanation"]),
            )
        )
        if d.get("undecided") or d.get("notes"):
            out.append(
                '<p class="muted">Not decided this run: %s. %s</p>'
                % (e(", ".join(d.get("undecided") or []) or "nothing"), e("; ".join(d.get("notes") or [])))
            )
        if not d["findings"]:
            out.append("<p>No findings.</p></div>")
            continue
        out.append(
            "<table><tr><th>Severity</th><th>Finding</th><th>Evidence</th><th>Remediation</th><th>Fixed by</th><th>References</th></tr>"
        )
        for f in d["findings"]:
            rule = catalogue.BY_ID[f["rule"]]
            out.append(
                "<tr><td>%s</td><td>%s<br><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s<br>HIPAA %s</td></tr>"
                % (
                    badge(f["severity"]),
                    e(rule["title"]),
                    e(f["rule"]),
                    e(f["evidence"]),
                    e(rule["remediation"]),
                    e(", ".join(rule["fixed_by"])),
                    e(", ".join(rule["cwe"])),
                    e(", ".join("§" + h for h in rule["hipaa"])),
                )
            )
        out.append("</table></div>")
    out.append("</section>")
    return "".join(out)


def _method(doc):
    s = doc["scoring"]
    items = "".join(
        "<li><b>%s</b>: %s</li>" % (e(k), e(s[k])) for k in ("finding", "device", "exposure", "site", "bands")
    )
    crit = ", ".join("%s %.1f" % (k, v) for k, v in sorted(s["criticality"].items()))
    return (
        '<section id="method"><h2>How the scores are computed</h2><ul>%s<li><b>class criticality</b>: %s</li></ul></section>'
        % (
            items,
            e(crit),
        )
    )


def render(doc):
    incomplete = ""
    if not doc["complete"]:
        incomplete = (
            '<section class="warn" id="incomplete"><h2>Incomplete assessment</h2><p>%d device(s) could not be assessed; '
            "their risk is unknown, not zero: %s</p></section>"
            % (len(doc["not_assessed"]), e(", ".join(n["name"] for n in doc["not_assessed"])))
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="%s">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Security risk assessment: %s</title><style>%s</style></head><body>"
        "<header><h1>Security risk assessment: %s</h1><div>%s &middot; schema %s</div></header><main>%s%s%s%s%s%s%s</main>"
        "</body></html>\n"
        % (
            CSP,
            e(doc["client"]),
            CSS,
            e(doc["client"]),
            e(doc["generated_at"]),
            e(doc["schema_version"]),
            incomplete,
            _summary(doc),
            _charts(doc),
            _comparison(doc),
            _device_table(doc),
            _device_details(doc),
            _method(doc),
        )
    )
