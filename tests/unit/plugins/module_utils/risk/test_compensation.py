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


FENCED = {
    "to": ["127.20.30.20/32"],
    "ports": [23, 80],
    "per_source": "6/minute",
    "burst": 3,
    "management_only": True,
}


def cleartext_summary(**control):
    return {
        "devices": [
            {
                "host": "cam-backdoor-01",
                "compensate": ["cleartext_telnet", "no_lockout"],
                "compensating_control": dict(FENCED, **control),
                "compensated_by": "rate limit of 6/minute new connections per source (burst 3) to ports "
                "23, 80 at the gateway firewall; new connections only from the management zones; re-checked",
            }
        ]
    }


def test_telnet_the_device_cannot_switch_off_is_compensated_only_through_the_vpn(tmp_path):
    """The management-only control compensates a cleartext telnet, with its residual, on a
    device the probe outside the VPN showed reachable only through it; not where that probe
    reached it, and not by a rate limit alone or one that leaves port 23 out."""
    path = tmp_path / "device-hardening.json"
    path.write_text(json.dumps(cleartext_summary()))
    controls = compensation.load(str(path))
    assert [(c["rule"], c.get("requires")) for c in controls] == [
        ("IOTG-CLEARTEXT-MGMT", "vpn_only"),
        ("IOTG-NO-LOCKOUT", None),
    ]
    assert controls[0]["control"].startswith("telnet only through the VPN: rate limit of 6/minute")
    assert controls[0]["residual"].startswith("residual: the devices on its own VLAN reach telnet without")

    def register():
        return [
            {
                "rule": "IOTG-CLEARTEXT-MGMT",
                "status": "open",
                "identities": ["aa:01"],
                "status_reason": "found",
            },
            {"rule": "IOTG-NO-LOCKOUT", "status": "open", "identities": ["aa:01"], "status_reason": "found"},
        ]

    shown = compensation.apply(
        register(), [{"name": "cam-backdoor-01", "identity": "aa:01", "vpn_only": True}], controls
    )
    assert [r["status"] for r in shown] == ["compensated", "compensated"]
    reason = shown[0]["status_reason"]
    assert reason.startswith("compensated: telnet only through the VPN: rate limit")
    # the evidence (the live table's rules, the probe outside the VPN), then the residual, whole
    assert reason.endswith(
        "; the assessment's probe outside the VPN reached none of its ports; residual: the devices on its "
        "own VLAN reach telnet without the gateway, and the session crosses that VLAN in clear text"
    ), reason
    assert "residual" not in shown[1]["status_reason"]
    # the probe outside the VPN reached it: the control does not do what it says there
    reached = compensation.apply(
        register(), [{"name": "cam-backdoor-01", "identity": "aa:01", "vpn_only": False}], controls
    )
    assert [r["status"] for r in reached] == ["open", "compensated"]
    for control in ({"management_only": False}, {"ports": [80]}):
        path.write_text(json.dumps(cleartext_summary(**control)))
        assert [c["rule"] for c in compensation.load(str(path))] == ["IOTG-NO-LOCKOUT"], control
