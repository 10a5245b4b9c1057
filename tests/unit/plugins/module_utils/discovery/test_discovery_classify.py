# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Table-driven: what real products send -> class, vendor, model."""

from __future__ import annotations

import re

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import classify, fingerprints, oui


def _scan(**services):
    out = {"open_ports": [], "services": {}}
    for key, svc in services.items():
        port, proto = key[1:].split("_")
        out["services"]["%s/%s" % (port, proto)] = svc
        if proto == "tcp":
            out["open_ports"].append(int(port))
    return out


CASES = [
    (
        "hikvision camera, old firmware",
        _scan(
            p80_tcp={"protocol": "http", "server": "App-webs/", "title": "IP Camera"},
            p554_tcp={"protocol": "rtsp"},
        ),
        None,
        ("camera", "Hikvision", "DS-2CD IP camera", "hikvision.camera"),
    ),
    (
        "hikvision NVR",
        _scan(p80_tcp={"protocol": "http", "server": "DNVRS-Webs", "title": "Network Video Recorder"}),
        None,
        ("nvr", "Hikvision", "DS-7600/7700 NVR", "hikvision.nvr"),
    ),
    (
        "axis camera, FTP banner gives the model",
        _scan(p21_tcp={"protocol": "ftp", "banner": "220 AXIS M3045-V Network Camera 9.80.1 (2021) ready."}),
        None,
        ("camera", "Axis", "M3045-V", "axis.camera"),
    ),
    (
        "axis camera, digest realm",
        _scan(p80_tcp={"protocol": "http", "realm": "AXIS_ACCC8EEA23C3", "status_code": 401}),
        None,
        ("camera", "Axis", "network camera", "axis.camera"),
    ),
    (
        "HP printer from SNMP only",
        _scan(
            p161_udp={
                "protocol": "snmp",
                "sysdescr": "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153",
            }
        ),
        None,
        ("printer", "HP", "LaserJet", "hp.printer"),
    ),
    (
        "Brother printer",
        _scan(
            p161_udp={
                "protocol": "snmp",
                "sysdescr": "Brother NC-8300h, Firmware Ver.1.06  (14.10.09),MID 8C5-F09",
            }
        ),
        None,
        ("printer", "Brother", "NC-8300h", "brother.printer"),
    ),
    (
        "Polycom VVX",
        _scan(p5060_udp={"protocol": "sip", "agent": "PolycomVVX-VVX_411-UA/6.3.1.8427"}),
        None,
        ("voip_phone", "Polycom", "VVX_411", "polycom.phone"),
    ),
    (
        "Yealink",
        _scan(p5060_udp={"protocol": "sip", "agent": "Yealink SIP-T46S 66.85.0.5"}),
        None,
        ("voip_phone", "Yealink", "T46S", "yealink.phone"),
    ),
    (
        "Windows XP behind the MRI",
        _scan(p445_tcp={"protocol": "smb", "os": "Windows 5.1", "lanman": "Windows 2000 LAN Manager"}),
        None,
        ("workstation", "Microsoft", "Windows XP", "microsoft.windows_xp"),
    ),
    (
        "DCMTK PACS",
        _scan(p104_tcp={"protocol": "dicom", "association": "accepted", "impl_version": "OFFIS_DCMTK_364"}),
        None,
        ("medical", "OFFIS DCMTK", "364", "dcmtk.pacs"),
    ),
    (
        "Sonos",
        _scan(p1900_udp={"protocol": "ssdp", "server": "Linux UPnP/1.0 Sonos/70.3-88200 (ZPS18)"}),
        None,
        ("smart_speaker", "Sonos", "speaker", "sonos.speaker"),
    ),
    (
        "Cisco IOS switch",
        _scan(
            p22_tcp={"protocol": "ssh", "banner": "SSH-2.0-Cisco-1.25"},
            p161_udp={
                "protocol": "snmp",
                "sysdescr": "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M)",
            },
        ),
        None,
        ("network_switch", "Cisco", "C2960X", "cisco.ios_switch"),
    ),
    (
        "MikroTik",
        _scan(p22_tcp={"protocol": "ssh", "banner": "SSH-2.0-ROSSSH"}),
        None,
        ("router", "MikroTik", "RouterBOARD", "mikrotik.routeros"),
    ),
    (
        "Niagara JACE",
        _scan(
            p80_tcp={"protocol": "http", "server": "Niagara Web Server/4.8", "title": "Niagara Web Server"}
        ),
        None,
        ("building_controller", "Tridium", "Niagara JACE", "tridium.niagara"),
    ),
    (
        "Xiongmai DVR",
        _scan(
            p23_tcp={"protocol": "telnet", "banner": "LocalHost login:"},
            p80_tcp={"protocol": "http", "server": "uc-httpd 1.0.0", "title": "NETSurveillance WEB"},
        ),
        None,
        ("nvr", "Xiongmai", "XMEye DVR/NVR", "xiongmai.dvr"),
    ),
    (
        "BusyBox httpd with its default realm (the web server, not the device)",
        _scan(p80_tcp={"protocol": "http", "realm": "Web Server Authentication", "status_code": 401}),
        None,
        ("unknown", "BusyBox", "httpd", "busybox.httpd"),
    ),
]


@pytest.mark.parametrize(("name", "scan", "target", "expected"), CASES, ids=[c[0] for c in CASES])
def test_classify(name, scan, target, expected):
    f = classify.classify(scan, target)
    assert (f["iot_class"], f["iot_vendor"], f["iot_model"], f["iot_fingerprint_id"]) == expected
    assert f["iot_confidence"] > 0.5
    assert f["iot_evidence"] and all(
        e["conclusion"] == "fingerprint=%s" % expected[3] for e in f["iot_evidence"]
    )


def test_oui_alone_names_the_vendor_but_not_the_product():
    f = classify.classify(
        _scan(p80_tcp={"protocol": "http", "title": "Login"}), {"mac": "44:19:b6:00:00:01"}, "Hikvision"
    )
    assert f["iot_fingerprint_id"] is None
    assert f["iot_vendor"] == "Hikvision"
    assert f["iot_class"] == "unknown"


def test_protocol_hint_gives_a_class_without_a_product():
    f = classify.classify(_scan(p9100_tcp={"protocol": "jetdirect", "id": "Acme 3000"}))
    assert (f["iot_class"], f["iot_vendor"], f["iot_fingerprint_id"]) == ("printer", "unknown", None)
    assert f["iot_evidence"][0]["field"] == "pjl.id"


def test_nothing_known_is_unknown():
    f = classify.classify(_scan(p8081_tcp={"protocol": "generic"}))
    assert (f["iot_class"], f["iot_vendor"], f["iot_confidence"]) == ("unknown", "unknown", 0.0)


def test_eol_and_default_usernames_but_no_passwords():
    f = classify.classify(CASES[8][1])
    assert f["iot_eol"]["date"] == "2014-04-08"
    assert f["iot_default_credentials"] == ["Administrator"]
    assert "password" not in repr(f)


def test_database_is_well_formed():
    ids = set()
    for fp in fingerprints.FINGERPRINTS:
        assert fp["id"] not in ids
        ids.add(fp["id"])
        assert fp["class"] in fingerprints.DEVICE_CLASSES
        assert fp["match"]
        for field, pattern, weight in fp["match"]:
            assert field in classify.EVIDENCE_FIELDS, (fp["id"], field)
            re.compile(pattern)
            assert weight > 0
        for c in fp["default_credentials"]:
            assert (
                {"username", "password", "source"} <= set(c) <= {"username", "password", "source", "service"}
            )
            assert c.get("service", "telnet") in ("telnet", "ssh"), (fp["id"], c)
        assert set(fp["lockout"]) == {"supported", "threshold", "note"}
    for field, pattern, cls, _w in fingerprints.CLASS_HINTS:
        assert field in classify.EVIDENCE_FIELDS and cls in fingerprints.DEVICE_CLASSES
        re.compile(pattern)


def test_oui_registry_lookup():
    table = oui.load()
    assert oui.vendor(table, "44:19:b6:3b:cf:04").startswith("Hangzhou Hikvision")
    assert oui.vendor(table, "ac:cc:8e:ea:23:c3").startswith("Axis Communications")


def test_missing_oui_registry_says_how_to_fix(tmp_path):
    with pytest.raises(oui.OuiMissing, match="apt-get install ieee-data"):
        oui.load(str(tmp_path / "nope.csv"))


def test_oui_txt_format(tmp_path):
    p = tmp_path / "oui.txt"
    p.write_text(
        "44-19-B6   (hex)\t\tHangzhou Hikvision Digital Technology Co.,Ltd.\n"
        "4419B6     (base 16)\t\tHangzhou Hikvision\n"
    )
    assert oui.vendor(oui.load(str(p)), "44:19:b6:00:00:00") == "Hangzhou Hikvision"


def test_product_on_windows_xp_takes_the_os_and_its_end_of_life():
    scan = _scan(
        p104_tcp={
            "protocol": "dicom",
            "association": "accepted",
            "impl_class": "1.3.12.2.1107.5.2",
            "impl_version": "MR_B17",
        },
        p445_tcp={"protocol": "smb", "os": "Windows 5.1", "lanman": "Windows 2000 LAN Manager"},
    )
    f = classify.classify(scan)
    assert (f["iot_class"], f["iot_fingerprint_id"]) == ("medical", "siemens.healthineers")
    assert f["iot_os"] == "Windows XP (SMB: Windows 5.1)"
    assert f["iot_eol"]["date"] == "2014-04-08"
    assert any(e["conclusion"] == "os=Windows XP" for e in f["iot_evidence"])
