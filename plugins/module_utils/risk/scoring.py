# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Risk as in NIST SP 800-30 Rev. 1, and the sentence that says how each level was reached.

* A finding is a threat event exploiting a vulnerability on an asset (the catalogue's
  ``threat`` and ``description``).
* Likelihood (Appendix G) starts at the rule's level and rises one level for a published
  default (the password or community is in the vendor's manual), one or two levels with the
  device's reach (reached from outside the VPN +1; from the internet +2; the findings that
  describe the reach are not raised by it again), and one level when a CVE it carries is in
  CISA's Known Exploited Vulnerabilities catalogue.
* Impact (Appendix H) starts at the rule's level and rises one level each when the asset
  holds ePHI, when patient care depends on it (clinical role), and when the practice stops
  without it (availability).
* Risk level: Table I-2 of likelihood and impact; risk points: Table I-3's representative
  value of that level (very high 10, high 8, moderate 5, low 2, very low 0).
* Device score: the sum of the points of its open findings. Client score: the sum of the
  points of every open (or not re-checked) finding of the register, each root cause once.
  Closing a finding removes exactly its points; accepted and compensated risks are listed
  apart with their own total.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue

COUNTED = ("open", "not re-checked")


def band(points_or_level):
    """A risk level name for a level (identity) or for a number of points (its table band)."""
    if isinstance(points_or_level, str):
        return points_or_level
    for name in reversed(catalogue.LEVELS):
        if points_or_level >= catalogue.RISK_POINTS[name] and catalogue.RISK_POINTS[name] > 0:
            return name
    return "none"


def finding_risk(rule, profile, reach="outside_vpn", kev=False):
    """``{"likelihood", "impact", "level", "points", "priority", "explanation"}`` of one finding.

    ``profile``: the asset's ``{"ephi", "clinical", "availability"}``; ``reach``: a key of
    ``catalogue.REACH``; ``kev``: a CVE of this finding is known to be exploited.
    """
    entry = catalogue.BY_ID[rule]
    li = catalogue.LEVELS.index(entry["likelihood"])
    why_l = ["%s (base)" % entry["likelihood"]]
    if entry.get("published_default"):
        li += 1
        why_l.append("+1 published default")
    if rule not in catalogue.REACH_RULES:
        step, text = catalogue.REACH[reach]
        if step:
            li += step
            why_l.append("+%d %s" % (step, text))
    if kev:
        li += 1
        why_l.append("+1 known exploited (CISA KEV)")
    ii = catalogue.LEVELS.index(entry["impact"])
    why_i = ["%s (base)" % entry["impact"]]
    for key, text in (
        ("ephi", "holds ePHI"),
        ("clinical", "clinical role"),
        ("availability", "availability"),
    ):
        if profile.get(key):
            ii += 1
            why_i.append("+1 %s" % text)
    likelihood, impact = catalogue.level(li), catalogue.level(ii)
    lvl = catalogue.risk_level(likelihood, impact)
    points = catalogue.RISK_POINTS[lvl]
    return {
        "likelihood": likelihood,
        "impact": impact,
        "level": lvl,
        "points": points,
        "priority": catalogue.PRIORITY[lvl],
        "explanation": "likelihood %s = %s; impact %s = %s; Table I-2 -> %s (%d points)"
        % (" ".join(why_l), likelihood, " ".join(why_i), impact, lvl, points),
    }


def total(items):
    """Risk points of the items that count (open or not re-checked), each item once."""
    return sum(i["risk"]["points"] for i in items if i["status"] in COUNTED)


def summarise(items, what):
    """``{"score", "level", "explanation"}`` for a device or the client."""
    counted = [i for i in items if i["status"] in COUNTED]
    score = total(items)
    worst = max((catalogue.LEVELS.index(i["risk"]["level"]) for i in counted), default=None)
    parts = {}
    for i in counted:
        parts.setdefault(i["risk"]["level"], []).append(i["risk"]["points"])
    how = " + ".join(
        "%d %s x %d" % (len(parts[lv]), lv, catalogue.RISK_POINTS[lv])
        for lv in reversed(catalogue.LEVELS)
        if lv in parts
    )
    return {
        "score": score,
        "level": catalogue.LEVELS[worst] if worst is not None else "none",
        "findings": len(counted),
        "explanation": "%s: %s = %d risk points (the highest risk level decides the band)"
        % (what, how or "no open finding", score),
    }
