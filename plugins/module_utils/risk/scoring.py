# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Scores, and the sentence that says how each one was reached.

* Finding: the base score of its severity (critical 10, high 7.5, medium 5, low 2.5).
* Device (0..100): ``(top + 0.25 x sum of the others) x criticality(class) x exposure x 3``,
  capped at 100. Exposure starts at 1.0 and grows with exposure findings (internet +0.5,
  management outside the VPN +0.25, flat network +0.25), capped at 2.0.
* Site (0..100): ``0.6 x the worst device + 0.4 x the mean of all devices``: one terrible
  device keeps the site red, many mediocre ones still count.
* Band: critical >= 70, high >= 40, medium >= 15, low > 0, none = 0.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import catalogue

OTHERS_WEIGHT = 0.25
DEVICE_SCALE = 3.0
SITE_WORST = 0.6
SITE_MEAN = 0.4
BANDS = ((70.0, "critical"), (40.0, "high"), (15.0, "medium"), (0.0001, "low"))


def band(score):
    for floor, name in BANDS:
        if score >= floor:
            return name
    return "none"


def finding_score(severity):
    return catalogue.SEVERITIES[severity][1]


def device_score(device_class, findings):
    """``{"score", "band", "criticality", "exposure", "explanation"}`` for one device."""
    crit = catalogue.criticality(device_class)
    scores = sorted((finding_score(f["severity"]) for f in findings), reverse=True)
    rules = {f["rule"] for f in findings}
    exposure = 1.0 + sum(w for rule, w in catalogue.EXPOSURE_WEIGHTS.items() if rule in rules)
    exposure = min(exposure, catalogue.MAX_EXPOSURE)
    if not scores:
        return {
            "score": 0.0,
            "band": "none",
            "criticality": crit,
            "exposure": exposure,
            "explanation": "no findings: score 0",
        }
    top, rest = scores[0], sum(scores[1:])
    raw = (top + OTHERS_WEIGHT * rest) * crit * exposure * DEVICE_SCALE
    score = round(min(100.0, raw), 1)
    exposed_by = [r for r in catalogue.EXPOSURE_WEIGHTS if r in rules]
    explanation = (
        "(worst finding %.1f + %.2f x other findings %.1f) x class %s criticality %.2f"
        " x exposure %.2f%s x %.0f = %.1f%s"
        % (
            top,
            OTHERS_WEIGHT,
            rest,
            device_class or "unknown",
            crit,
            exposure,
            " (%s)" % ", ".join(exposed_by) if exposed_by else " (internal only)",
            DEVICE_SCALE,
            raw,
            ", capped at 100" if raw > 100 else "",
        )
    )
    return {
        "score": score,
        "band": band(score),
        "criticality": crit,
        "exposure": exposure,
        "explanation": explanation,
    }


def site_score(device_scores):
    """Site score from the list of device scores (0..100 each)."""
    if not device_scores:
        return {"score": 0.0, "band": "none", "explanation": "no devices assessed: score 0"}
    worst = max(device_scores)
    mean = sum(device_scores) / len(device_scores)
    score = round(SITE_WORST * worst + SITE_MEAN * mean, 1)
    return {
        "score": score,
        "band": band(score),
        "explanation": "%.1f x worst device %.1f + %.1f x mean of %d devices %.1f = %.1f"
        % (SITE_WORST, worst, SITE_MEAN, len(device_scores), mean, score),
    }
