# SPDX-License-Identifier: GPL-3.0-or-later
"""A device on an end-of-life zone (the Windows XP modalities) cannot close DICOM without
authentication, SMBv1 or its end-of-life system itself: who can open a connection to it is the
control. It is re-checked in the gateway's live table. ``files/nft-table-segmentation.json``
is what nftables 1.0.6 printed (``nft -j list table inet iotguard``) after loading the
gateway firewall's rendering of a segmentation contribution (cameras, NVRs, quarantine and
medical_legacy on their VLANs, staff, management and a PACS peer) and one hardening rate
limit."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.filter.compensation_recheck import compensation_recheck
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import compensation, report
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import firewall as segfw

LIVE = json.loads((Path(__file__).parent / "files" / "nft-table-segmentation.json").read_text())
CONTROL = {"kind": "zone_isolation", "zone": "medical_legacy", "allowed_zones": ["management", "med_pacs"]}


def _forward_rule(expr, handle=900, comment="added by hand"):
    doc = copy.deepcopy(LIVE)
    doc["nftables"].append(
        {
            "rule": {
                "family": "inet",
                "table": "iotguard",
                "chain": "forward",
                "handle": handle,
                "comment": comment,
                "expr": expr,
            }
        }
    )
    return doc


def _m(field, right, op="==", proto="ip"):
    return {"match": {"op": op, "left": {"payload": {"protocol": proto, "field": field}}, "right": right}}


def test_the_zone_is_reachable_only_from_the_zones_segmentation_gave_it():
    ok, evidence = compensation.isolation_recheck(LIVE, CONTROL)
    assert ok, evidence
    assert "zone medical_legacy (10.70.0.0/24)" in evidence
    assert "'PACS reaches medical-legacy' (handle" in evidence and "from med_pacs" in evidence
    assert "from management" in evidence and "drops by default" in evidence
    assert "own VLAN reach each other without the gateway" in evidence
    assert compensation_recheck(json.dumps(LIVE), CONTROL)["present"]


@pytest.mark.parametrize(
    ("expr", "why"),
    [
        # any source to the zone (a hand-made "allow all to the XP" rule)
        ([_m("daddr", "@z_medical_legacy_4"), {"accept": None}], "from any source"),
        # any source to one XP's address, no set involved
        ([_m("daddr", "10.70.0.10"), _m("dport", 445, proto="tcp"), {"accept": None}], "from any source"),
        # a rule with no destination at all accepts into every zone
        ([_m("saddr", "@z_staff_4"), {"accept": None}], "from zone(s) staff"),
        (
            [_m("saddr", "@z_staff_4"), _m("daddr", "@z_medical_legacy_4"), {"accept": None}],
            "from zone(s) staff",
        ),
        (
            [_m("saddr", "@z_cameras_4", op="!="), _m("daddr", "@z_medical_legacy_4"), {"accept": None}],
            "any source",
        ),
        ([_m("daddr", "@z_medical_legacy_4"), {"jump": {"target": "elsewhere"}}], "not followed"),
    ],
)
def test_a_rule_that_admits_more_makes_the_isolation_absent_and_is_named(expr, why):
    ok, evidence = compensation.isolation_recheck(_forward_rule(expr), CONTROL)
    assert not ok and why in evidence and "handle 900" in evidence, evidence


def test_rules_for_other_zones_and_established_traffic_do_not_count():
    doc = _forward_rule([_m("daddr", "@z_cameras_4"), {"accept": None}])
    assert compensation.isolation_recheck(doc, CONTROL)[0]


def test_a_forward_chain_that_accepts_by_default_isolates_nothing():
    doc = copy.deepcopy(LIVE)
    for item in doc["nftables"]:
        if item.get("chain", {}).get("hook") == "forward":
            item["chain"]["policy"] = "accept"
    ok, evidence = compensation.isolation_recheck(doc, CONTROL)
    assert not ok and "does not drop by default" in evidence


@pytest.mark.parametrize("live", ["", "not json", "{}", json.dumps({"nftables": []})])
def test_no_table_or_no_zone_set_no_control(live):
    assert not compensation.isolation_recheck(live, CONTROL)[0]
    assert not compensation.isolation_recheck(LIVE, dict(CONTROL, zone="radiology"))[0]


def test_the_segmentation_plan_names_the_zones_that_may_reach_an_end_of_life_zone():
    contrib = {
        "flows": [
            {"from": "med_pacs", "to": "medical_legacy"},
            {"from": "management", "to": "medical_legacy"},
            {"from": "management", "to": "cameras"},
        ]
    }
    plan = {
        "zones": [
            {"name": "medical_legacy", "end_of_life": True, "devices": ["xp-1", "xp-2"]},
            {"name": "cameras", "end_of_life": False, "devices": ["cam-1"]},
        ]
    }
    ports = [{"device": "xp-1", "verified": True}, {"device": "xp-2", "verified": False}]
    rows = segfw.isolation_controls(plan, contrib, ports)
    assert rows == [
        {
            "device": "xp-1",
            "zone": "medical_legacy",
            "control": dict(CONTROL),
            "recheck": None,
        }
    ], "only a device whose port was read back on the zone, only end-of-life zones"
    assert segfw.isolation_controls(plan, None, ports) == [], "no gateway, no control"
    # an end-of-life device of a class without an end-of-life zone (the XMEye DVR) goes to
    # quarantine: that zone's isolation is its control too
    plan["zones"].append({"name": "quarantine", "end_of_life": False, "devices": ["dvr-1"]})
    ports.append({"device": "dvr-1", "verified": True})
    rows = segfw.isolation_controls(plan, contrib, ports)
    assert [(r["device"], r["zone"], r["control"]["allowed_zones"]) for r in rows] == [
        ("xp-1", "medical_legacy", ["management", "med_pacs"]),
        ("dvr-1", "quarantine", []),
    ], rows
    ok, evidence = compensation.isolation_recheck(LIVE, rows[1]["control"])
    assert not ok and "management" in evidence, "the live table lets management into quarantine: not []"
    contrib["flows"].append({"from": "management", "to": "quarantine"})
    quarantine = segfw.isolation_controls(plan, contrib, ports)[1]["control"]
    assert quarantine == {"kind": "zone_isolation", "zone": "quarantine", "allowed_zones": ["management"]}
    ok, evidence = compensation.isolation_recheck(LIVE, quarantine)
    assert ok, evidence
    contrib["flows"].pop()
    plan["zones"].pop()
    contrib["flows"].append({"from": "any", "to": "medical_legacy"})
    assert segfw.isolation_controls(plan, contrib, ports) == [], "a zone any source reaches is not isolated"


def test_a_re_checked_isolation_compensates_the_device_s_rows_even_when_it_no_longer_answers(tmp_path):
    ok, evidence = compensation.isolation_recheck(LIVE, CONTROL)
    summary = {
        "isolation": [
            {
                "device": "xp-1",
                "zone": "medical_legacy",
                "control": CONTROL,
                "recheck": {"present": ok, "evidence": evidence},
            },
            {
                "device": "xp-2",
                "zone": "medical_legacy",
                "control": CONTROL,
                "recheck": {"present": False, "evidence": "x"},
            },
        ]
    }
    path = tmp_path / "segmentation.json"
    path.write_text(json.dumps(summary))
    controls = compensation.load(str(path))
    assert {(c["device"], c["rule"]) for c in controls} == {("xp-1", r) for r in compensation.ISOLATION_RULES}
    devices = [{"name": "xp-1", "identity": "aa"}, {"name": "xp-2", "identity": "bb"}]
    rows = [
        {"rule": "IOTG-DICOM-NOAUTH", "status": "not re-checked", "identities": ["aa"]},
        {"rule": "IOTG-SMBV1", "status": "open", "identities": ["aa"]},
        {"rule": "IOTG-CLEARTEXT-MGMT", "status": "open", "identities": ["aa"]},
        {"rule": "IOTG-DICOM-NOAUTH", "status": "open", "identities": ["bb"]},
        {"rule": "IOTG-EOL", "status": "fixed", "identities": ["aa"]},
    ]
    compensation.apply(rows, devices, controls)
    assert [r["status"] for r in rows] == ["compensated", "compensated", "open", "open", "fixed"]
    assert rows[0]["status_reason"].startswith(
        "compensated: zone medical_legacy isolated by the gateway firewall"
    )
    assert "PACS reaches medical-legacy" in rows[0]["status_reason"]


def test_the_report_carries_a_compensation_no_person_accepted_in_every_format():
    ok, evidence = compensation.isolation_recheck(LIVE, CONTROL)
    assert ok
    results = [
        {
            "device": {"name": "xp-1", "mac": "aa", "address": "10.70.0.10", "class": "medical"},
            "assessed": True,
            "findings": [
                {"key": "aa|IOTG-DICOM-NOAUTH|tcp/104", "rule": "IOTG-DICOM-NOAUTH", "location": "tcp/104"}
            ],
            "unknown": [],
        }
    ]
    controls = [
        {
            "device": "xp-1",
            "rule": "IOTG-DICOM-NOAUTH",
            "control": "zone medical_legacy isolated: " + evidence,
        }
    ]
    doc = report.build("clinic", results, "2026-12-01T00:00:00Z", compensations=controls)
    row = doc["register"][0]
    assert row["status"] == "compensated" and row["acceptance"] is None
    assert doc["client_score"]["score"] == 0 and doc["summary"]["accepted_points"] == row["risk"]["points"]
    files = report.render(doc, ["json", "html", "csv", "sarif"])
    sarif = json.loads(files["findings.sarif"])
    assert "PACS reaches medical-legacy" in sarif["runs"][0]["results"][0]["suppressions"][0]["justification"]
