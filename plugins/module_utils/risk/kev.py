# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""CISA's Known Exploited Vulnerabilities catalogue, read from a copy the engineer provides.

Nothing here goes to the network: the engineer downloads
``known_exploited_vulnerabilities.json`` from CISA (the MSP's controller has internet) and
points the role at it. The file is the catalogue's published JSON: ``catalogVersion``,
``dateReleased`` and ``vulnerabilities`` (``cveID``, ``vendorProject``, ``product``,
``dateAdded``, ``knownRansomwareCampaignUse``...).
"""

from __future__ import annotations

import json
import re

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import localfile

MAX_BYTES = 32 * 1024 * 1024
CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,7}$")


class KevError(ValueError):
    """The catalogue cannot be read; the message names the file, the field and the fix."""


def load(path):
    """``{"version", "released", "path", "entries": {cve: {...}}}``; None when no path."""
    if not path:
        return None
    try:
        raw = localfile.read_bounded(path, MAX_BYTES)
    except OSError as exc:
        raise KevError(
            "kev_catalog=%s cannot be read (%s); download known_exploited_vulnerabilities.json "
            "from CISA and give its path, or leave kev_catalog empty" % (path, exc.strerror or exc)
        ) from exc
    except localfile.TooLarge as exc:
        raise KevError("kev_catalog=%s %s; is it the KEV JSON feed?" % (path, exc)) from exc
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KevError(
            "kev_catalog=%s is not JSON (%s); give CISA's known_exploited_vulnerabilities.json" % (path, exc)
        ) from exc
    vulns = doc.get("vulnerabilities") if isinstance(doc, dict) else None
    if not isinstance(vulns, list):
        raise KevError(
            "kev_catalog=%s has no 'vulnerabilities' list; give CISA's known_exploited_vulnerabilities.json"
            % path
        )
    entries = {}
    for i, v in enumerate(vulns):
        cve = v.get("cveID") if isinstance(v, dict) else None
        if not isinstance(cve, str) or not CVE_RE.match(cve):
            raise KevError("kev_catalog=%s: vulnerabilities[%d].cveID=%r is not a CVE id" % (path, i, cve))
        entries[cve] = {
            k: str(v.get(k) or "")[:200]
            for k in (
                "vendorProject",
                "product",
                "vulnerabilityName",
                "dateAdded",
                "knownRansomwareCampaignUse",
            )
        }
    return {
        "version": str(doc.get("catalogVersion") or "")[:40],
        "released": str(doc.get("dateReleased") or "")[:40],
        "path": str(path),
        "entries": entries,
    }


def mark(cves, catalog):
    """``[{"id", "kev", "date_added", "ransomware"}]`` for the CVE ids of a finding."""
    out = []
    for cve in cves:
        hit = (catalog or {}).get("entries", {}).get(cve)
        out.append(
            {
                "id": cve,
                "kev": bool(hit),
                "date_added": hit["dateAdded"] if hit else None,
                "ransomware": hit["knownRansomwareCampaignUse"] if hit else None,
            }
        )
    return out
