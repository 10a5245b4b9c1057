# SPDX-License-Identifier: GPL-3.0-or-later
"""A device that cannot lock out, behind the gateway's rate limit, is "compensated: <control>"
in the register, never fixed; without the gateway's control it stays open."""

from __future__ import annotations

import json

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import compensation

SUMMARY = {
    "devices": [
        {
            "host": "dvr-legacy-01",
            "compensate": ["no_lockout"],
            "compensated_by": "rate limit of 6/minute new connections per source (burst 3) to ports 23, 80 "
            "at the gateway firewall",
        },
        # the rate limit was computed but no gateway took it: not compensated
        {"host": "iot-gw-01", "compensate": ["no_lockout"], "compensated_by": None},
        {"host": "cam-lobby-01", "compensate": [], "compensated_by": None},
    ]
}


def rows():
    return [
        {"rule": "IOTG-NO-LOCKOUT", "status": "open", "identities": ["aa:01"], "status_reason": "found"},
        {"rule": "IOTG-NO-LOCKOUT", "status": "open", "identities": ["aa:02"], "status_reason": "found"},
        {"rule": "IOTG-CLEARTEXT-MGMT", "status": "open", "identities": ["aa:01"], "status_reason": "found"},
        {"rule": "IOTG-NO-LOCKOUT", "status": "fixed", "identities": ["aa:03"], "status_reason": "closed"},
    ]


DEVICES = [
    {"name": "dvr-legacy-01", "identity": "aa:01"},
    {"name": "iot-gw-01", "identity": "aa:02"},
    {"name": "cam-lobby-01", "identity": "aa:03"},
]


def test_only_the_device_behind_the_gateway_control_is_compensated(tmp_path):
    path = tmp_path / "device-hardening.json"
    path.write_text(json.dumps(SUMMARY))
    controls = compensation.load(str(path))
    assert controls == [
        {
            "device": "dvr-legacy-01",
            "rule": "IOTG-NO-LOCKOUT",
            "control": SUMMARY["devices"][0]["compensated_by"],
        }
    ]
    out = compensation.apply(rows(), DEVICES, controls)
    assert out[0]["status"] == "compensated"
    assert out[0]["status_reason"].startswith("compensated: rate limit of 6/minute")
    assert [r["status"] for r in out[1:]] == ["open", "open", "fixed"]


def test_no_summary_no_compensation(tmp_path):
    assert compensation.load(str(tmp_path / "missing.json")) == []
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert compensation.load(str(bad)) == []
    assert compensation.apply(rows(), DEVICES, []) == rows()
