# SPDX-License-Identifier: GPL-3.0-or-later
"""Catalogue, facts, checks, scores, report rendering, diff, gate and atomic writing."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import (
    catalogue,
    checks,
    html_report,
    report,
    scoring,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device, FactsError

CAMERA = {
    "ansible_host": "127.99.1.10",
    "iot_class": "camera",
    "iot_vendor": "Hikvision",
    "iot_model": "DS-2CD",
    "iot_fingerprint_id": "hikvision.camera",
    "iot_open_ports": [23, 80, 554],
    "iot_services": {
        "23/tcp": {"protocol": "telnet", "banner": "cam login:"},
        "80/tcp": {"protocol": "http", "server": "App-webs/"},
        "554/tcp": {"protocol": "rtsp"},
    },
    "iot_mgmt_protocols": ["http", "https", "rtsp", "ssh"],
    "iot_mac": "c0:56:e3:00:00:01",
    "iot_vlan": 1,
    "iot_lockout": {"supported": False, "threshold": None, "note": "no account lockout"},
    "iot_eol": None,
    "iot_site": "clinic",
}


def test_catalogue_is_complete_and_every_check_exists():
    assert catalogue.validate() == []
    assert {f["check"] for f in catalogue.FINDINGS} <= set(checks.CHECKS)
    required = "DEFAULT-CREDS CLEARTEXT-MGMT HTTP-NO-TLS EOL INTERNET-EXPOSED MGMT-OUTSIDE-VPN NO-LOCKOUT"
    required += " FLAT-NETWORK MQTT-NOAUTH RTSP-NOAUTH SNMP-PUBLIC"
    for must in ("IOTG-" + r for r in required.split()):
        entry = catalogue.BY_ID[must]
        assert entry["cwe"] and entry["hipaa"] and entry["fixed_by"]


def test_device_reads_discovery_shapes_and_factory_defaults():
    d = Device("cam-1", CAMERA)
    assert d.ports_of("telnet") == [23]
    assert d.has("http") and not d.has("https")  # the product sheet says https, the device does not offer it
    assert d.lockout is False
    assert d.default_credentials and d.default_credentials[0]["username"] == "admin"
    assert d.identity() == "c0:56:e3:00:00:01"


@pytest.mark.parametrize(
    ("hostvars", "words"),
    [
        ({"ansible_host": "127.99.1.1"}, ["no iot_* facts", "iot_discovery"]),
        ({"iot_class": "camera", "ansible_host": "cam.example"}, ["not an IP address", "ansible_host"]),
        ({"iot_class": "camera", "ansible_host": "127.99.1.1", "iot_open_ports": "23"}, ["iot_open_ports"]),
    ],
)
def test_bad_facts_name_the_field(hostvars, words):
    with pytest.raises(FactsError) as err:
        Device("h1", hostvars)
    for w in words:
        assert w in str(err.value)


def _rules(hostvars, obs=None, ctx=None):
    return sorted(f["rule"] for f in checks.evaluate(Device("d", hostvars), obs or {}, ctx or {}))


@pytest.mark.parametrize(
    ("change", "obs", "ctx", "present", "absent"),
    [
        (
            {},
            {},
            {},
            ["IOTG-CLEARTEXT-MGMT", "IOTG-HTTP-NO-TLS", "IOTG-NO-LOCKOUT"],
            ["IOTG-DEFAULT-CREDS", "IOTG-EOL"],
        ),
        (
            {"iot_services": {"443/tcp": {"protocol": "https"}}, "iot_open_ports": [443]},
            {},
            {},
            [],
            ["IOTG-HTTP-NO-TLS"],
        ),
        ({"iot_lockout": {"supported": None}}, {}, {}, [], ["IOTG-NO-LOCKOUT"]),
        ({"iot_eol": {"date": "2014-04-08", "reason": "Windows XP"}}, {}, {}, ["IOTG-EOL"], []),
        (
            {},
            {"credentials": {"accepted": {"username": "admin", "source": "manual"}}},
            {},
            ["IOTG-DEFAULT-CREDS"],
            [],
        ),
        ({}, {"management_reachable": ["http tcp/80"]}, {}, ["IOTG-MGMT-OUTSIDE-VPN"], []),
        # from inside the VPN: no outside probe keeps the finding (not shown closed outside)
        (
            {},
            {"management_reachable": ["http tcp/80"]},
            {"assessed_from_vpn": True},
            ["IOTG-MGMT-OUTSIDE-VPN"],
            [],
        ),
        # the outside probe tried port 80 and it did not answer there
        (
            {},
            {
                "management_reachable": ["http tcp/80"],
                "outside": {"from": "pc", "management_answered": [], "not_tried": [], "answered": []},
            },
            {"assessed_from_vpn": True},
            [],
            ["IOTG-MGMT-OUTSIDE-VPN"],
        ),
        # it answered the outside probe
        (
            {},
            {
                "management_reachable": ["http tcp/80"],
                "outside": {"from": "pc", "management_answered": [80], "not_tried": [], "answered": [80]},
            },
            {"assessed_from_vpn": True},
            ["IOTG-MGMT-OUTSIDE-VPN"],
            [],
        ),
        # the outside probe did not try it
        (
            {},
            {
                "management_reachable": ["http tcp/80"],
                "outside": {"from": "pc", "management_answered": [], "not_tried": [80], "answered": []},
            },
            {"assessed_from_vpn": True},
            ["IOTG-MGMT-OUTSIDE-VPN"],
            [],
        ),
        ({}, {}, {"staff_vlans": [1]}, ["IOTG-FLAT-NETWORK"], []),
        ({}, {}, {"staff_vlans": [10]}, [], ["IOTG-FLAT-NETWORK"]),
        ({"iot_vlan": None}, {}, {"staff_networks": ["127.99.1.0/24"]}, ["IOTG-FLAT-NETWORK"], []),
        ({"iot_class": "network_switch"}, {}, {"staff_vlans": [1]}, [], ["IOTG-FLAT-NETWORK"]),
        ({}, {"mqtt": {1883: {"accepted": True}}}, {}, ["IOTG-MQTT-NOAUTH"], []),
        ({}, {"mqtt": {1883: {"accepted": False}}}, {}, [], ["IOTG-MQTT-NOAUTH"]),
        ({}, {"rtsp": {554: {"status": 200, "reason": "OK"}}}, {}, ["IOTG-RTSP-NOAUTH"], []),
        ({}, {"rtsp": {554: {"status": 401, "reason": "Unauthorized"}}}, {}, [], ["IOTG-RTSP-NOAUTH"]),
        ({}, {"snmp": {"answered": True, "value": "Linux cam"}}, {}, ["IOTG-SNMP-PUBLIC"], []),
        ({}, {"snmp": {"answered": False}}, {}, [], ["IOTG-SNMP-PUBLIC"]),
        (
            {},
            {},
            {
                "port_mappings": [
                    {"internal_client": "127.99.1.10", "external_port": 8554, "internal_port": 554}
                ]
            },
            ["IOTG-INTERNET-EXPOSED"],
            [],
        ),
        (
            {},
            {},
            {
                "port_mappings": [
                    {"internal_client": "127.99.1.99", "external_port": 8554, "internal_port": 554}
                ]
            },
            [],
            ["IOTG-INTERNET-EXPOSED"],
        ),
    ],
)
def test_checks(change, obs, ctx, present, absent):
    hv = dict(CAMERA, **change)
    rules = _rules(hv, obs, ctx)
    for r in present:
        assert r in rules
    for r in absent:
        assert r not in rules


XP = {
    "ansible_host": "127.99.1.32",
    "iot_class": "medical",
    "iot_open_ports": [104, 445],
    "iot_services": {
        "104/tcp": {"protocol": "dicom", "association": "accepted", "echo_status": 0},
        "445/tcp": {
            "protocol": "smb",
            "dialect": "NT LM 0.12",
            "os": "Windows 5.1",
            "lanman": "Windows 2000 LAN Manager",
        },
    },
    "iot_lockout": {"supported": False},
}


def test_windows_xp_console_from_what_it_reports():
    d = Device("mri", XP)
    found = {f["rule"]: f for f in checks.evaluate(d, {}, {})}
    assert set(found) == {
        "IOTG-EOL",
        "IOTG-SMBV1",
        "IOTG-DICOM-NOAUTH",
    }  # no login surface: no lockout finding
    assert "Windows XP" in found["IOTG-EOL"]["evidence"]
    modern = dict(
        XP, iot_services={"445/tcp": {"protocol": "smb", "dialect": "SMB 3.1.1", "os": "Windows 10.0"}}
    )
    assert checks.evaluate(Device("w10", modern), {}, {}) == []


def test_router_with_upnp_mappings_and_undecided_rules():
    router = {
        "ansible_host": "127.99.1.1",
        "iot_class": "router",
        "iot_services": {
            "1900/udp": {"protocol": "ssdp", "location": "http://127.99.1.1:5000/rootDesc.xml"},
            "5000/tcp": {"protocol": "http"},
            "80/tcp": {"protocol": "http", "auth": "Basic"},
        },
        "iot_lockout": {"supported": None},
    }
    d = Device("gw", router)
    assert d.upnp_ports() == {5000}
    mapping = {"source": "upnp", "router_address": "127.99.1.1", "internal_client": "127.99.1.10"}
    maps = [dict(mapping, external_port=8080, internal_port=80, protocol="TCP")]
    found = {f["rule"]: f for f in checks.evaluate(d, {}, {"port_mappings": maps})}
    assert "IOTG-UPNP-IGD" in found and "8080" in found["IOTG-UPNP-IGD"]["evidence"]
    assert "5000" not in found["IOTG-HTTP-NO-TLS"]["evidence"]  # the UPnP description port is no admin page
    assert checks.unknown_rules(d, {}, {}) == ["IOTG-DEFAULT-CREDS", "IOTG-API-NOAUTH", "IOTG-NO-LOCKOUT"]
    decided = {"credentials": {"accepted": None, "tried": 1}, "lockout_enabled": True}
    assert checks.unknown_rules(d, decided, {}) == []
    # one default refused, two left untried below the lockout threshold: still undecided
    partial = {"credentials": {"accepted": None, "tried": 1, "skipped": 2}, "lockout_enabled": True}
    assert checks.unknown_rules(d, partial, {}) == ["IOTG-DEFAULT-CREDS"]


def test_risk_follows_nist_table_i2_and_is_explained():
    # Table I-2 corners and the moderate row as printed in NIST SP 800-30 Rev. 1
    assert catalogue.risk_level("very high", "very high") == "very high"
    assert catalogue.risk_level("very low", "very high") == "low"
    assert catalogue.risk_level("low", "very high") == "moderate"
    assert [catalogue.risk_level("moderate", i) for i in catalogue.LEVELS] == [
        "very low", "low", "moderate", "moderate", "high",
    ]  # fmt: skip
    plain = catalogue.profile("thermostat")
    inside = scoring.finding_risk("IOTG-MQTT-NOAUTH", plain, "vpn_only")
    outside = scoring.finding_risk("IOTG-MQTT-NOAUTH", plain, "outside_vpn")
    internet = scoring.finding_risk("IOTG-MQTT-NOAUTH", plain, "internet")
    assert (inside["likelihood"], outside["likelihood"], internet["likelihood"]) == (
        "moderate",
        "high",
        "very high",
    )
    assert "reached by the assessment from outside the VPN" in outside["explanation"]
    # the reach findings are not raised by the reach a second time
    assert scoring.finding_risk("IOTG-MGMT-OUTSIDE-VPN", plain, "internet")["likelihood"] == "moderate"
    # a published default raises likelihood; ePHI and a clinical role raise impact; KEV raises likelihood
    creds = scoring.finding_risk("IOTG-DEFAULT-CREDS", plain, "vpn_only")
    assert creds["likelihood"] == "high" and "published default" in creds["explanation"]
    xp = catalogue.profile("medical")
    smb = scoring.finding_risk("IOTG-SMBV1", xp, "outside_vpn")
    assert (
        smb["impact"] == "very high"
        and "holds ePHI" in smb["explanation"]
        and "clinical role" in smb["explanation"]
    )
    kev = scoring.finding_risk("IOTG-SMBV1", xp, "vpn_only", kev=True)
    assert kev["likelihood"] == "high" and "CISA KEV" in kev["explanation"]
    assert smb["points"] == catalogue.RISK_POINTS[smb["level"]] and smb["priority"] == "P1"
    # the Windows XP modality's findings outrank a thermostat's
    thermo = scoring.finding_risk("IOTG-MQTT-NOAUTH", plain, "outside_vpn")
    dicom = scoring.finding_risk("IOTG-DICOM-NOAUTH", xp, "outside_vpn")
    assert dicom["points"] > thermo["points"]
    # the client's policy can add ePHI classes
    assert catalogue.profile("nvr", ["nvr"])["ephi"] and not catalogue.profile("nvr")["ephi"]


def _result(name, hv, findings_obs=None, ctx=None, assessed=True):
    d = Device(name, hv)
    return {
        "device": d.summary(),
        "findings": checks.evaluate(d, findings_obs or {}, ctx or {}) if assessed else [],
        "assessed": assessed,
        "errors": [] if assessed else ["unreachable: no port answered"],
    }


EVIL = dict(
    CAMERA, iot_vendor='<script>alert("x")</script>', iot_mac="c0:56:e3:00:00:02", ansible_host="127.99.1.11"
)


def test_report_formats_escape_device_strings_and_keep_secrets_out():
    cred = {"credentials": {"accepted": {"username": "admin", "source": "vendor default"}}}
    doc = report.build(
        "clinic",
        [_result("cam-1", CAMERA, cred), _result("=cmd|' /C calc'!A0", EVIL)],
        "2026-01-01T00:00:00Z",
    )
    files = report.render(doc, report.FORMATS)
    page = files["report.html"]
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "script-src" not in page and "default-src 'none'" in page  # no script may run at all
    assert (
        "<svg" in page
        and "Open findings by risk level" in page
        and "Open risk points by device class" in page
    )
    assert "12345" not in "".join(files.values())  # the factory password tried is never reported
    rows = list(csv.DictReader(io.StringIO(files["findings.csv"])))
    assert rows and all(not r["asset"].startswith("=") and not r["devices"].startswith("=") for r in rows)
    sarif = json.loads(files["findings.sarif"])
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"IOTG-DEFAULT-CREDS", "IOTG-CLEARTEXT-MGMT"}
    assert all(r["partialFingerprints"]["iotguardFinding/v2"].startswith("F-") for r in results)
    assert {r["baselineState"] for r in results} == {"new"}  # a first run: everything is new
    data = json.loads(files["report.json"])
    assert data["schema_version"] == catalogue.SCHEMA_VERSION and data["complete"] is True


def test_diff_new_fixed_unchanged_and_not_rechecked():
    cred = {"credentials": {"accepted": {"username": "admin", "source": "vendor default"}}}
    other = dict(CAMERA, iot_mac="c0:56:e3:00:00:03", ansible_host="127.99.1.12")
    before = report.build(
        "c", [_result("cam-1", CAMERA, cred), _result("cam-2", other)], "2026-01-01T00:00:00Z"
    )
    after = report.build(
        "c",
        [
            _result("cam-1", dict(CAMERA, iot_lockout={"supported": True})),
            _result("cam-2", other, assessed=False),
        ],
        "2026-01-02T00:00:00Z",
        previous=json.loads(report.render_json(before)),
    )
    d = after["diff"]
    fixed = {f["rule"] for f in d["fixed"]}
    assert fixed == {"IOTG-DEFAULT-CREDS", "IOTG-NO-LOCKOUT"}
    assert {f["device"] for f in d["not_rechecked"]} == {"cam-2"}  # unreachable is not "fixed"
    assert not d["new"] and {f["rule"] for f in d["unchanged"]} >= {"IOTG-CLEARTEXT-MGMT"}
    assert after["complete"] is False and after["not_assessed"][0]["name"] == "cam-2"
    page = html_report.render(after)
    assert "Incomplete assessment" in page and "2 fixed" in page


def test_a_device_silent_two_runs_in_a_row_keeps_its_findings_until_re_checked():
    # the routed demo's second run lost the isolated XP consoles' findings this way: the
    # previous report had them only as "not re-checked", and the next diff forgot them
    cred = {"credentials": {"accepted": {"username": "admin", "source": "vendor default"}}}
    other = dict(CAMERA, iot_mac="c0:56:e3:00:00:03", ansible_host="127.99.1.12")
    runs = [
        [_result("cam-1", CAMERA, cred), _result("cam-2", other, cred)],
        [_result("cam-1", CAMERA, cred), _result("cam-2", other, assessed=False)],
        [_result("cam-1", CAMERA, cred), _result("cam-2", other, assessed=False)],
        [_result("cam-1", CAMERA, cred), _result("cam-2", dict(other, iot_lockout={"supported": True}))],
    ]
    docs = []
    for day, results in enumerate(runs, 1):
        previous = json.loads(report.render_json(docs[-1])) if docs else None
        docs.append(report.build("c", results, "2026-01-0%dT00:00:00Z" % day, previous=previous))
    first = {f["key"] for d in docs[0]["devices"] if d["name"] == "cam-2" for f in d["findings"]}
    assert {"IOTG-DEFAULT-CREDS", "IOTG-NO-LOCKOUT"} <= {k.split("|")[0] for k in first}
    for doc in docs[1:3]:
        assert {f["key"] for f in doc["diff"]["not_rechecked"]} == first, doc["diff"]
        rows = [r for r in doc["register"] if set(r["members"]) & first]
        assert rows and {r["status"] for r in rows} == {"not re-checked"}
        assert doc["client_score"]["score"] == docs[0]["client_score"]["score"]
    # back, and assessed: what it no longer shows is fixed, what it still shows is open
    last = docs[3]["diff"]
    fixed = {f["key"] for f in last["fixed"]}
    assert {k.split("|")[0] for k in fixed} == {"IOTG-DEFAULT-CREDS", "IOTG-NO-LOCKOUT"}
    assert not last["not_rechecked"] and fixed < first
    assert first - fixed <= {f["key"] for f in last["new"] + last["unchanged"]}


def test_gate_any_and_new():
    doc = report.build("c", [_result("cam-1", CAMERA)], "2026-01-01T00:00:00Z")
    assert report.gate(doc, "none") == []
    assert any("IOTG-CLEARTEXT-MGMT" in g for g in report.gate(doc, "high"))
    assert report.gate(doc, "critical") == []
    again = report.build("c", [_result("cam-1", CAMERA)], "2026-01-02T00:00:00Z", previous=doc)
    assert report.gate(again, "high", "new") == []  # nothing new since the last run
    with pytest.raises(ValueError, match="severity='severe'"):
        report.gate(doc, "severe")


def test_write_is_atomic_and_moves_latest(tmp_path):
    doc = report.build("clinic", [_result("cam-1", CAMERA)], "2026-01-01T00:00:00Z")
    files = report.render(doc, report.FORMATS)
    path = report.write(str(tmp_path), "clinic", "20260101T000000Z", files)
    assert sorted(os.listdir(path)) == sorted(report.FILENAMES.values())
    assert os.readlink(tmp_path / "clinic" / "latest") == "20260101T000000Z"
    assert report.load_previous(str(tmp_path), "clinic")["generated_at"] == "2026-01-01T00:00:00Z"
    # a file that cannot be written (a directory in its place) leaves nothing behind
    with pytest.raises(report.ReportError, match="nothing was published"):
        report.write(str(tmp_path), "clinic", "20260102T000000Z", {"report.json": "{}", "bad/../../x": "y"})
    assert sorted(os.listdir(tmp_path / "clinic")) == ["20260101T000000Z", "latest"]


def test_unwritable_report_dir_is_a_clear_error(tmp_path):
    # a plain file where the directory should be: refused even for root
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for where in (str(blocker), str(blocker / "sub")):
        with pytest.raises(report.ReportError, match="report_dir=") as err:
            report.write(where, "clinic", "20260101T000000Z", {"report.json": "{}"})
        assert "choose a directory" in str(err.value)
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("client", ["", "../etc", "a b", "x" * 65, None])
def test_bad_client_names(client):
    with pytest.raises(report.ReportError, match="client="):
        report.check_client(client)
