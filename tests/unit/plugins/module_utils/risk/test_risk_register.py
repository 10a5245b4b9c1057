# SPDX-License-Identifier: GPL-3.0-or-later
"""The deliverable's data: NIST 800-30 method, identity, register, accepted risks, KEV.

A small clinic built from discovery-shaped host vars goes through the real checks and the
report; the client score is recomputed from the JSON by the documented method, and every
count of the summary is checked against the register's rows.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import (
    catalogue,
    checks,
    html_report,
    identity,
    kev,
    report,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device

KEV_FIXTURE = (
    Path(__file__).resolve().parents[4] / "fixtures" / "kev" / "known_exploited_vulnerabilities.json"
)

ROUTER = {
    "ansible_host": "127.99.2.1",
    "iot_class": "router",
    "iot_vendor": "NETGEAR",
    "iot_model": "R7000",
    "iot_services": {
        "1900/udp": {"protocol": "ssdp", "location": "http://127.99.2.1:5000/rootDesc.xml",
                     "friendlyname": "NETGEAR R7000"},
        "80/tcp": {"protocol": "http", "auth": "Basic"},
    },
    "iot_lockout": {"supported": True},
}  # fmt: skip
CAMERA = {
    "ansible_host": "127.99.2.10",
    "iot_class": "camera",
    "iot_vendor": "Hikvision",
    "iot_model": "DS-2CD IP camera",
    "iot_fingerprint_id": "hikvision.camera",
    "iot_services": {
        "23/tcp": {"protocol": "telnet", "banner": "cam-lobby-01 login:"},
        "80/tcp": {"protocol": "http"},
    },
    "iot_lockout": {"supported": True},
}
XP = {
    "ansible_host": "127.99.2.32",
    "iot_class": "medical",
    "iot_vendor": "Siemens Healthineers",
    "iot_model": "syngo modality",
    "iot_os": "Windows XP (SMB: Windows 5.1)",
    "iot_eol": {"date": "2014-04-08", "reason": "Windows XP: no security updates since 2014-04-08"},
    "iot_services": {
        "104/tcp": {
            "protocol": "dicom",
            "association": "accepted",
            "echo_status": 0,
            "impl_version": "SYNGO_MR_B17",
        },
        "445/tcp": {"protocol": "smb", "dialect": "NT LM 0.12", "os": "Windows 5.1", "server": "MRICONSOLE"},
    },
    "iot_lockout": {"supported": False, "note": "no account lockout"},
}
THERMOSTAT = {
    "ansible_host": "127.99.2.25",
    "iot_class": "thermostat",
    "iot_vendor": "Venstar",
    "iot_model": "T7900",
    "iot_services": {"1883/tcp": {"protocol": "mqtt", "anonymous": True}},
    "iot_lockout": {"supported": True},
}
PRINTER = {
    "ansible_host": "127.99.2.22",
    "iot_class": "printer",
    "iot_vendor": "HP",
    "iot_model": "HP LaserJet Pro M402dne",
    "iot_services": {
        "161/udp": {"protocol": "snmp", "sysname": "prn-front-01", "community": "public",
                    "sysdescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23700204"},
        "80/tcp": {"protocol": "http", "server": "HP HTTP Server; HP LaserJet Pro M402dne"},
    },
    "iot_lockout": {"supported": True},
}  # fmt: skip
SPEAKER = {
    "ansible_host": "127.99.2.31",
    "iot_class": "smart_speaker",
    "iot_vendor": "Sonos",
    "iot_model": "S18",
    "iot_services": {
        "1400/tcp": {"protocol": "http", "server": "Linux UPnP/1.0 Sonos/70.3-35220 (S18)"},
        "1900/udp": {"protocol": "ssdp", "location": "http://127.99.2.31:1400/xml/device_description.xml"},
        "5353/udp": {"protocol": "mdns", "instances": ["RINCON_5CAA@speaker-waiting-01._sonos._tcp.local"]},
    },
}
NVR = {
    "ansible_host": "127.99.2.19",
    "iot_class": "nvr",
    "iot_vendor": "Xiongmai",
    "iot_model": "XMEye DVR/NVR",
    "iot_eol": {"date": "2016-10-01", "reason": "vendor recall October 2016"},
    "iot_services": {"23/tcp": {"protocol": "telnet", "banner": "LocalHost login:"},
                     "80/tcp": {"protocol": "http", "server": "uc-httpd 1.0.0"}},
}  # fmt: skip
MAPPINGS = [
    {"source": "upnp", "router": "http://127.99.2.1:5000/rootDesc.xml", "router_address": "127.99.2.1",
     "internal_client": "127.99.2.10", "internal_port": port, "external_port": ext, "protocol": "TCP",
     "description": "lobby camera", "enabled": True}
    for port, ext in ((80, 8080), (554, 5554))
]  # fmt: skip
DEVICES = {
    "127.99.2.1": ROUTER,
    "127.99.2.10": CAMERA,
    "127.99.2.32": XP,
    "127.99.2.25": THERMOSTAT,
    "127.99.2.22": PRINTER,
    "127.99.2.31": SPEAKER,
    "127.99.2.19": NVR,
}
ACCEPT_XP = {
    "id": "ACC-1",
    "version": 2,
    "rule": "IOTG-SMBV1",
    "devices": ["MRICONSOLE"],
    "accepted_by": "Dr. P. Morgan",
    "role": "security official",
    "accepted_on": "2026-01-01",
    "review_by": "2026-06-30",
    "residual_risk": "SMBv1 stays until the modality is replaced",
    "control": "own VLAN; SMB only from the PACS",
}


def results(fixed=(), unreachable=(), obs=None, lockout=None):
    """Results as risk_assess returns them; ``fixed``: (address, rule) pairs closed by hand;
    ``lockout``: address -> the lockout setting read (None: it could not be read)."""
    out = []
    for name, hv in DEVICES.items():
        d = Device(name, hv)
        o = dict(obs or {}, answered=["tcp/%d" % p for p in sorted(s.port for s in d.services.values())])
        if name in ("127.99.2.25", "127.99.2.10") and (name, "IOTG-DEFAULT-CREDS") not in fixed:
            o["credentials"] = {"accepted": {"username": "admin", "source": "vendor default"}, "tried": 1}
        elif name in ("127.99.2.25", "127.99.2.10"):
            o["credentials"] = {"accepted": None, "tried": 3}
        o["lockout_enabled"] = True
        if name in (lockout or {}):
            if lockout[name] is None:
                del o["lockout_enabled"]
            else:
                o["lockout_enabled"] = lockout[name]
        if name in unreachable:
            out.append({"device": d.summary(), "findings": [], "assessed": False, "errors": ["unreachable"]})
            continue
        found = checks.evaluate(d, o, {"port_mappings": MAPPINGS})
        found = [f for f in found if (name, f["rule"]) not in fixed]
        out.append(
            {
                "device": d.summary(),
                "findings": found,
                "assessed": True,
                "errors": [],
                "unknown": checks.unknown_rules(d, o, {}),
                "notes": [] if d.driver else ["credentials: no way to log in that this collection speaks"],
                "observations": o,
            }
        )
    return out


def build(when="2026-03-01T10:00:00Z", previous=None, **kw):
    doc = report.build("clinic", kw.pop("res", None) or results(), when, previous, **kw)
    return json.loads(report.render_json(doc))  # what a reader of report.json gets


def recompute(doc):
    """The client score from report.json alone, by the method the report documents."""
    method = doc["method"]
    total = 0
    for row in doc["register"]:
        level = method["risk_table"][row["risk"]["likelihood"]][row["risk"]["impact"]]
        assert level == row["risk"]["level"], row["id"]
        assert method["risk_points"][level] == row["risk"]["points"]
        if row["status"] in ("open", "not re-checked"):
            total += method["risk_points"][level]
    return total


def test_client_score_recomputes_from_the_json_and_every_count_adds_up():
    doc = build(kev_catalog=kev.load(str(KEV_FIXTURE)))
    rows = doc["register"]
    assert recompute(doc) == doc["client_score"]["score"] == doc["summary"]["open_points"]
    s = doc["summary"]
    assert sum(s["by_status"].values()) == s["register_rows"] == len(rows)
    counted = [r for r in rows if r["status"] in ("open", "not re-checked")]
    assert sum(s["by_level"].values()) == s["findings"] == len(counted)
    assert sum(s["by_owner"].values()) == len(counted)
    assert sum(a["points"] for a in doc["actions"]) == doc["client_score"]["score"]
    assert sorted(i for a in doc["actions"] for i in a["findings"]) == sorted(r["id"] for r in counted)
    # the plain-language summary quotes the same numbers
    page = html_report.render(doc)
    assert "%d findings are open or could not be re-checked" % s["findings"] in page
    assert "worth %d risk points" % doc["client_score"]["score"] in page
    # every device's score is the sum of the rows that touch it
    for d in doc["devices"]:
        mine = [r for r in counted if d["identity"] in r["identities"]]
        assert d["risk"]["score"] == sum(r["risk"]["points"] for r in mine), d["display"]
    # every finding of every device is in exactly one register row
    members = [m for r in rows for m in r["members"]]
    assert len(members) == len(set(members))
    assert {f["key"] for d in doc["devices"] for f in d["findings"]} == set(members)


def test_one_port_mapping_is_one_finding_with_the_devices_it_exposes():
    doc = build()
    rows = [r for r in doc["register"] if r["rule"] in catalogue.ROOT_CAUSE_ROUTER]
    assert len(rows) == 1, [r["rule"] for r in rows]
    row = rows[0]
    assert row["devices"] == ["NETGEAR R7000", "cam-lobby-01"]  # the router, where the fix is made, first
    assert len(row["members"]) == 3  # two mappings on the camera + the router's UPnP finding
    assert row["risk"]["level"] == "very high"
    # the camera's other findings are raised by its internet reach, and say so
    cam = next(d for d in doc["devices"] if d["display"] == "cam-lobby-01")
    assert cam["reach"].startswith("reachable from the internet")
    creds = next(
        r for r in doc["register"] if r["rule"] == "IOTG-DEFAULT-CREDS" and r["asset"] == "cam-lobby-01"
    )
    assert "+2 reachable from the internet" in creds["risk"]["explanation"]


def test_names_firmware_and_text_slips():
    doc = build()
    names = {d["address"]: d["display"] for d in doc["devices"]}
    assert names["127.99.2.32"] == "MRICONSOLE" and names["127.99.2.22"] == "prn-front-01"
    assert names["127.99.2.31"] == "speaker-waiting-01" and names["127.99.2.10"] == "cam-lobby-01"
    assert names["127.99.2.19"] == "Xiongmai XMEye DVR/NVR (127.99.2.19)"  # "LocalHost" names nothing
    fw = {d["display"]: d["firmware"] for d in doc["devices"]}
    assert fw["MRICONSOLE"] == "SYNGO_MR_B17" and fw["prn-front-01"] == "JD153"
    assert fw["speaker-waiting-01"] == "70.3-35220"
    assert identity.vendor_model("HP", "HP LaserJet Pro") == "HP LaserJet Pro"
    assert identity.vendor_model("unknown", "") == ""
    page = html_report.render(doc)
    for slip in ("HP HP", "internal only", "no driver None", ", unknown", "unknown ,", "0.0 none"):
        assert slip not in page, slip
    xp = next(d for d in doc["devices"] if d["display"] == "MRICONSOLE")
    assert xp["reach"] == "reached by the assessment from outside the VPN" and xp["ephi"] is True
    speaker = next(d for d in doc["devices"] if d["display"] == "speaker-waiting-01")
    assert speaker["risk"]["level"] == "not fully checked"
    assert "Factory-default credentials" in speaker["risk"]["explanation"]
    # the XP modality outranks the thermostat
    assert (
        xp["risk"]["score"] > next(d for d in doc["devices"] if d["class"] == "thermostat")["risk"]["score"]
    )
    # drivers and roles only in the technical appendix
    body = page.split('id="appendix"')[0]
    for word in ("credential_rotation", "vlan_segmentation", "hikvision_isapi", "telnet_busybox"):
        assert word not in body, word


def test_ids_are_stable_first_seen_is_kept_and_a_fix_removes_what_the_plan_predicted():
    first = build("2026-03-01T10:00:00Z")
    second = build("2026-03-08T10:00:00Z", previous=first)
    assert [r["id"] for r in first["register"]] == [r["id"] for r in second["register"]]
    assert all(r["first_seen"] == "2026-03-01T10:00:00Z" for r in second["register"])
    assert all(r["last_seen"] == "2026-03-08T10:00:00Z" for r in second["register"])
    # fix the thermostat's factory password by hand: the score drops by that row's points
    row = next(r for r in second["register"] if r["rule"] == "IOTG-DEFAULT-CREDS" and "T7900" in r["asset"])
    assert row["risk"]["level"] in ("high", "very high")
    by_hand = {("127.99.2.25", "IOTG-DEFAULT-CREDS")}
    third = build("2026-03-09T10:00:00Z", previous=second, res=results(fixed=by_hand))
    again = {r["id"]: r for r in third["register"]}
    assert again[row["id"]]["status"] == "fixed" and again[row["id"]]["status_reason"].startswith(
        "re-checked"
    )
    assert second["client_score"]["score"] - third["client_score"]["score"] == row["risk"]["points"]
    assert recompute(third) == third["client_score"]["score"]
    # an unreachable device's findings are "not re-checked", keep counting, and are never fixed
    fourth = build("2026-03-10T10:00:00Z", previous=third, res=results(by_hand, {"127.99.2.22"}))
    prn = [r for r in fourth["register"] if "prn-front-01" in r["devices"]]
    assert prn and {r["status"] for r in prn} == {"not re-checked"}
    assert fourth["client_score"]["score"] == third["client_score"]["score"]
    rows = list(csv.DictReader(io.StringIO(report.render_csv(fourth))))
    assert [r["id"] for r in rows] == [r["id"] for r in fourth["register"]]
    sarif = json.loads(report.render_sarif(fourth))["runs"][0]["results"]
    assert {r["properties"]["findingId"]: r["baselineState"] for r in sarif}[row["id"]] == "absent"
    kept = next(r for r in fourth["register"] if r["id"] == row["id"])  # fixed rows stay, with their date
    assert kept["status"] == "fixed" and kept["fixed_on"] == "2026-03-09T10:00:00Z"


def test_accepted_risk_is_apart_never_fixed_and_reverts_after_review():
    doc = build("2026-03-01T10:00:00Z", accepted_risks=[ACCEPT_XP])
    row = next(r for r in doc["register"] if r["rule"] == "IOTG-SMBV1")
    assert row["status"] == "compensated" and row["acceptance"]["control"].startswith("own VLAN")
    assert row["acceptance"]["review_by"] == "2026-06-30" and row["acceptance"]["version"] == 2
    assert doc["summary"]["accepted_points"] == row["risk"]["points"]
    assert recompute(doc) == doc["client_score"]["score"]  # accepted rows are out of the open score
    page = html_report.render(doc)
    accepted = page.split('id="accepted"')[1].split("</section>")[0]
    assert "Dr. P. Morgan" in accepted and "2026-06-30" in accepted and "own VLAN" in accepted
    late = build("2026-07-01T10:00:00Z", accepted_risks=[ACCEPT_XP])
    row = next(r for r in late["register"] if r["rule"] == "IOTG-SMBV1")
    assert row["status"] == "open" and "expired on 2026-06-30" in row["status_reason"]
    plain = build("2026-03-01T10:00:00Z", accepted_risks=[dict(ACCEPT_XP, control="")])
    assert next(r for r in plain["register"] if r["rule"] == "IOTG-SMBV1")["status"] == "accepted"


@pytest.mark.parametrize(
    "record, words",
    [
        ({"review_by": "30/06/2026"}, "review_by='30/06/2026' is not a date"),
        ({"rule": "IOTG-NOPE"}, "rule='IOTG-NOPE' is not a finding rule"),
        ({"devices": "MRICONSOLE"}, "devices='MRICONSOLE' must be a list"),
        ({"accepted_by": ""}, "lacks accepted_by"),
        ({"review_by": "2025-01-01"}, "is before accepted_on"),
    ],
)
def test_bad_acceptance_names_the_field(record, words):
    with pytest.raises(report.ReportError, match="accepted_risks\\[0\\]") as err:
        build(accepted_risks=[dict(ACCEPT_XP, **record)])
    assert words in str(err.value)


def test_kev_from_a_local_copy_marks_and_raises_likelihood(tmp_path):
    catalog = kev.load(str(KEV_FIXTURE))
    assert catalog["version"] == "fixture.1" and "CVE-2017-0144" in catalog["entries"]
    without = {r["rule"]: r for r in build()["register"] if r["asset"] == "MRICONSOLE"}
    marked = {r["rule"]: r for r in build(kev_catalog=catalog)["register"] if r["asset"] == "MRICONSOLE"}
    smb = marked["IOTG-SMBV1"]
    assert "CVE-2017-0144" in [c["id"] for c in smb["cves"] if c["kev"]]
    assert not any(c["kev"] for c in without["IOTG-SMBV1"]["cves"])
    assert (
        "CISA KEV" in smb["risk"]["explanation"]
        and "CISA KEV" not in without["IOTG-SMBV1"]["risk"]["explanation"]
    )
    # a CVE the device's answers support but CISA does not list: referenced, not marked
    nvr = next(
        r for r in build(kev_catalog=catalog)["register"] if r["rule"] == "IOTG-EOL" and "XMEye" in r["asset"]
    )
    assert nvr["cves"] == [{"id": "CVE-2017-7577", "kev": False, "date_added": None, "ransomware": None}]
    assert kev.load("") is None
    bad = tmp_path / "kev.json"
    bad.write_text('{"vulnerabilities": [{"cveID": "nope"}]}')
    with pytest.raises(kev.KevError, match="cveID='nope' is not a CVE id"):
        kev.load(str(bad))
    with pytest.raises(kev.KevError, match=r"download known_exploited_vulnerabilities\.json"):
        kev.load(str(tmp_path / "missing.json"))


def test_branding_logo_is_embedded_and_bad_branding_is_named(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    b = report.check_branding(
        {"practice": "Riverside Family Clinic", "msp": "Northwind IT", "logo": str(logo)}
    )
    assert b["logo_data_uri"].startswith("data:image/png;base64,")
    page = html_report.render(build(branding=b))
    cover = page.split('id="cover"')[1].split("</section>")[0]
    assert "Riverside Family Clinic" in cover and "Northwind IT" in cover and "data:image/png" in cover
    assert 'id="signoff"' in page and "six years" in page
    with pytest.raises(report.ReportError, match="branding: colour unknown"):
        report.check_branding({"colour": "red"})
    (tmp_path / "logo.txt").write_text("hello")
    with pytest.raises(report.ReportError, match="is not a PNG, JPEG or SVG"):
        report.check_branding({"logo": str(tmp_path / "logo.txt")})


def test_not_rechecked_says_why_for_each_device():
    cam = "127.99.2.10"
    before = build("2026-03-01T10:00:00Z", res=results(lockout={cam: False}))
    row = next(
        r for r in before["register"] if r["rule"] == "IOTG-NO-LOCKOUT" and r["asset"] == "cam-lobby-01"
    )
    # the password was rotated: no login works any more, so the lockout setting cannot be read
    after = build(
        "2026-03-02T10:00:00Z",
        previous=before,
        res=results(fixed={(cam, "IOTG-DEFAULT-CREDS")}, lockout={cam: None}),
    )
    again = next(r for r in after["register"] if r["id"] == row["id"])
    assert again["status"] == "not re-checked"
    assert again["status_reason"].startswith("the device was assessed, but this check could not run: ")
    assert "device not assessed" not in again["status_reason"]


def test_the_rotations_cannot_rotate_list_is_in_the_report(tmp_path):
    rotation = {
        "generated_at": "2026-03-01T09:00:00Z",
        "check_mode": False,
        "cannot_rotate": [
            {
                "host": "127.99.2.1",
                "user": "admin",
                "status": "failed",
                "reason": "device rejected the new password: <b>allowed symbols: !#</b>",
                "manual_step": "log in to the device by hand",
            }
        ],
    }
    doc = build(rotation=rotation)
    (item,) = doc["cannot_rotate"]
    assert item["account"] == "admin" and item["rotation_run"] == "2026-03-01T09:00:00Z"
    assert item["device"] != "127.99.2.1", "named as the report names the device"
    page = html_report.render(doc)
    assert 'id="cannot-rotate"' in page and "&lt;b&gt;allowed symbols" in page
    assert build()["cannot_rotate"] == [] and 'id="cannot-rotate"' not in html_report.render(build())
    # the file beside the reports; a check-mode summary is no evidence and is ignored
    path = report.client_dir(str(tmp_path), "clinic")
    Path(path).mkdir(parents=True)
    (Path(path) / "credential-rotation.json").write_text(json.dumps(rotation))
    assert report.load_rotation(str(tmp_path), "clinic")["cannot_rotate"]
    (Path(path) / "credential-rotation.json").write_text(json.dumps(dict(rotation, check_mode=True)))
    assert report.load_rotation(str(tmp_path), "clinic") is None
