# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The site by zone: which device sits on which VLAN, at which switch port, as the evidence
says (discovery's switch MAC tables, or the segmentation run's read-back of the switch),
before and after.

``picture(devices)`` groups the report's device records by (VLAN, zone);
``section(doc)`` is the report's HTML section (the document's ``site_picture``).
Device data is hostile: everything is escaped here, nothing is templated.
"""

from __future__ import annotations

from html import escape

#: a group of the devices no switch has placed (no MAC table row, or no switch read)
UNPLACED = "not seen on a switch"


def picture(devices):
    """[{vlan, zone, devices: [{name, class, switch, port}]}], by VLAN (unplaced last)."""
    groups = {}
    for d in devices or []:
        vlan = d.get("vlan") if isinstance(d.get("vlan"), int) else None
        zone = d.get("zone") or ""
        member = {
            "name": d.get("display") or d.get("name") or "",
            "class": d.get("class") or "",
            "switch": d.get("switch") or "",
            "port": d.get("switch_port") or "",
        }
        groups.setdefault((vlan, zone), []).append(member)
    order = sorted(groups, key=lambda k: (k[0] is None, k[0] or 0, k[1]))
    return [
        {
            "vlan": vlan,
            "zone": zone,
            "devices": sorted(groups[(vlan, zone)], key=lambda m: (m["switch"], m["port"], m["name"])),
        }
        for vlan, zone in order
    ]


def _title(group):
    if group["vlan"] is None:
        return UNPLACED
    return "VLAN %d%s" % (group["vlan"], " (%s)" % group["zone"] if group["zone"] else "")


def _compact(groups):
    return "; ".join("%s: %d" % (escape(_title(g)), len(g["devices"])) for g in groups) or "no device"


def section(doc):
    """The 'Site by zone' section: the groups after, and before when a previous report exists."""
    pic = doc.get("site_picture") or {}
    after = pic.get("after") or []
    out = ['<section class="page" id="site"><h2>Site by zone</h2>']
    if pic.get("before") is not None:
        out.append("<p><b>Before:</b> %s<br><b>Now:</b> %s</p>" % (_compact(pic["before"]), _compact(after)))
    out.append(
        '<p class="muted">Each device&#39;s VLAN and switch port as the switches showed them '
        "(MAC address table, or read back after segmentation).</p>"
    )
    out.append(
        "<table><thead><tr><th>Zone</th><th>Device</th><th>Class</th><th>Switch port</th></tr></thead>"
    )
    for g in after:
        for i, m in enumerate(g["devices"]):
            where = " ".join(p for p in (m["switch"], m["port"]) if p)
            out.append(
                "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                % (
                    "<b>%s</b> (%d)" % (escape(_title(g)), len(g["devices"])) if i == 0 else "",
                    escape(m["name"]),
                    escape(m["class"]),
                    escape(where),
                )
            )
    out.append("</table></section>")
    return "".join(out)
