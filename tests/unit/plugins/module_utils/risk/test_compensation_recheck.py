# SPDX-License-Identifier: GPL-3.0-or-later
"""A compensating control is re-checked in the gateway's live table, not in what was
rendered. ``files/nft-forward-hardening.json`` is what nftables 1.0.6 printed
(``nft -j list chain inet iotguard forward``) after loading the gateway firewall's rendering
of two hardening rate limits (the first management-only) and two management zones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.filter.compensation_recheck import compensation_recheck
from ansible_collections.iotguard.hardening.plugins.module_utils import hardening
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError, model, render
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.compensation import recheck

LIVE = (Path(__file__).parent / "files" / "nft-forward-hardening.json").read_text()
CAMERA = dict(hardening.rate_limit_for("10.20.30.17", [23, 80], "6/minute", 3), management_only=True)
V6 = hardening.rate_limit_for("fd00::5", [], "10/hour", 1)
ZONES = [
    {"name": "mgmt", "networks": ["10.9.0.0/24"], "management": True},
    {"name": "vpn", "networks": ["10.8.0.0/24", "fd00:8::/64"], "management": True},
]


def test_the_rendering_is_what_the_live_table_was_loaded_from():
    text = render.render(model.merge({"hardening": {"rate_limits": [CAMERA, V6]}, "seg": {"zones": ZONES}}))
    assert (
        "ip daddr { 10.20.30.17/32 } meta l4proto { tcp, udp } th dport { 23, 80 } ct state new "
        "ip saddr != @z_mgmt_4 ip saddr != @z_vpn_4 counter drop "
        'comment "management only hardening.rate_limits[0]"'
    ) in text
    assert text.index("management only hardening.rate_limits[0]") < text.index(
        "rate limit hardening.rate_limits[0]"
    )


def test_present_controls_name_the_rules_found():
    ok, evidence = recheck(LIVE, CAMERA)
    assert ok, evidence
    assert "'rate limit hardening.rate_limits[0]' (handle 28)" in evidence
    assert "outside @z_mgmt_4, @z_vpn_4" in evidence
    assert recheck(json.loads(LIVE), V6)[0]
    assert compensation_recheck(LIVE, V6)["present"]


@pytest.mark.parametrize(
    ("control", "missing"),
    [
        (dict(CAMERA, to=["10.20.30.18/32"]), "no rate limit of 6/minute to 10.20.30.18"),
        (dict(CAMERA, per_source="7/minute"), "no rate limit"),
        (dict(CAMERA, burst=4), "no rate limit"),
        (dict(CAMERA, ports=[23]), "no rate limit"),
        (dict(V6, management_only=True), "no management-only rule to fd00::5"),
    ],
)
def test_a_control_not_in_the_live_table_is_not_present(control, missing):
    ok, evidence = recheck(LIVE, control)
    assert not ok and missing in evidence


def test_a_rule_that_no_longer_drops_is_not_a_control():
    doc = json.loads(LIVE)
    for item in doc["nftables"]:
        rule = item.get("rule") or {}
        if rule.get("comment") == "rate limit hardening.rate_limits[0]":
            rule["expr"] = [e for e in rule["expr"] if "drop" not in e] + [{"accept": None}]
    assert not recheck(doc, CAMERA)[0]


@pytest.mark.parametrize("live", ["", "not json", "{}", json.dumps({"nftables": [{"rule": "x"}]})])
def test_no_table_no_control(live):
    assert not recheck(live, CAMERA)[0]


def test_management_only_needs_a_management_zone():
    with pytest.raises(FirewallError, match=r"hardening\.rate_limits\[0\]\.management_only"):
        model.merge({"hardening": {"rate_limits": [CAMERA]}})
    plain = copy.deepcopy(ZONES)
    for z in plain:
        z["management"] = False
    with pytest.raises(FirewallError, match="management: true"):
        model.merge({"hardening": {"rate_limits": [CAMERA]}, "seg": {"zones": plain}})


# The management zones' own limit: ``files/nft-forward-hardening-management-rate.json`` is what
# nftables 1.0.6 printed after loading the rendering of MANAGED and V6 with ZONES.
MANAGED = dict(CAMERA, management_per_source="60/minute", management_burst=20)
LIVE_MANAGED = (Path(__file__).parent / "files" / "nft-forward-hardening-management-rate.json").read_text()


def test_the_management_zones_have_their_own_limit_and_are_not_under_the_devices():
    text = render.render(model.merge({"hardening": {"rate_limits": [MANAGED, V6]}, "seg": {"zones": ZONES}}))
    lines = text.splitlines()
    device = [x for x in lines if x.strip().endswith('comment "rate limit hardening.rate_limits[0]"')]
    own = [x for x in lines if x.strip().endswith('comment "management rate limit hardening.rate_limits[0]"')]
    assert len(device) == 1 and len(own) == 1, text
    assert "ip saddr != @z_mgmt_4 ip saddr != @z_vpn_4 add @rl_0_4" in device[0]
    assert "add @rlm_0_4 { ip saddr limit rate over 60/minute burst 20 packets } counter drop" in own[0]
    assert "!=" not in own[0]
    # without a limit of their own, the management zones are limited like every source
    plain = render.render(model.merge({"hardening": {"rate_limits": [CAMERA]}, "seg": {"zones": ZONES}}))
    assert "rlm_" not in plain and "ct state new add @rl_0_4" in plain


def test_the_management_zones_limit_is_rechecked_in_the_live_table():
    ok, evidence = recheck(LIVE_MANAGED, MANAGED)
    assert ok, evidence
    assert "'management rate limit hardening.rate_limits[0]' (handle 33)" in evidence
    assert "the management zones at 60/minute" in evidence
    for changed in (
        dict(MANAGED, management_per_source="30/minute"),
        dict(MANAGED, management_burst=10),
    ):
        ok, evidence = recheck(LIVE_MANAGED, changed)
        assert not ok and "no rate limit of" in evidence and "for the management zones" in evidence
    # a table loaded without it (the earlier rendering) does not hold the control
    assert not recheck(LIVE, MANAGED)[0]


@pytest.mark.parametrize(
    ("rate_limit", "zones", "field"),
    [
        (dict(MANAGED, management_only=False), [], r"rate_limits\[0\]\.management_per_source"),
        (dict(MANAGED, management_per_source="lots"), ZONES, r"rate_limits\[0\]\.management_per_source"),
        (dict(MANAGED, management_burst=0), ZONES, r"rate_limits\[0\]\.management_burst"),
    ],
)
def test_bad_management_limits_name_the_field(rate_limit, zones, field):
    with pytest.raises(FirewallError, match=field):
        model.merge({"hardening": {"rate_limits": [rate_limit]}, "seg": {"zones": zones}})


def test_the_management_limit_sets_are_the_roles_own():
    with pytest.raises(FirewallError, match="rlm_"):
        model.merge({"x": {"sets": [{"name": "rlm_0_4"}]}})
