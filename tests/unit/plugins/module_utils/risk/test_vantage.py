# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a probe stands: the route read from `ip -j` (as iproute2 6.1 prints it), the VPN
claim checked before any probe, what an outside probe saw, and the reach a report draws
from it."""

from __future__ import annotations

import json
import socket

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import (
    assess,
    checks,
    report,
    vantage,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device

LINKS = [
    {"ifindex": 1, "ifname": "lo", "link_type": "loopback"},
    {"ifindex": 2, "ifname": "eth0", "link_type": "ether", "linkinfo": {"info_kind": "veth"}},
    {"ifindex": 3, "ifname": "wg0", "link_type": "none", "linkinfo": {"info_kind": "tun"}},
]  # fmt: skip


def fake_ip(routes, links=None, calls=None):
    """An `ip` that answers `route get ADDR` from ``routes`` ({address: dev}) and `link show`."""

    def run(argv):
        if calls is not None:
            calls.append(argv)
        if argv[:4] == ["ip", "-j", "route", "get"]:
            dev = routes.get(argv[4])
            if dev is None:
                return 2, "", "RTNETLINK answers: Network is unreachable"
            return 0, json.dumps([{"dst": argv[4], "dev": dev, "prefsrc": "10.0.0.2", "flags": []}]), ""
        if argv == ["ip", "-j", "-d", "link", "show"]:
            return 0, json.dumps(LINKS if links is None else links), ""
        raise AssertionError("unexpected command %s" % argv)

    return run


def test_route_interface_reads_the_kernel_and_refuses_what_is_not_an_address():
    calls = []
    assert vantage.route_interface("192.0.2.7", fake_ip({"192.0.2.7": "wg0"}, calls=calls)) == "wg0"
    assert calls == [["ip", "-j", "route", "get", "192.0.2.7"]]
    with pytest.raises(vantage.VantageError, match="not an IP address"):
        vantage.route_interface("192.0.2.7; reboot", fake_ip({}))
    with pytest.raises(vantage.VantageError, match="Network is unreachable"):
        vantage.route_interface("198.51.100.1", fake_ip({}))


def test_vpn_interfaces_are_links_of_a_vpn_kind():
    assert vantage.vpn_interfaces(fake_ip({})) == {"wg0": "tun"}
    wg = [{"ifname": "wg1", "linkinfo": {"info_kind": "wireguard"}}]
    assert vantage.vpn_interfaces(fake_ip({}, links=wg)) == {"wg1": "wireguard"}


def test_require_vpn_names_the_interface_the_route_takes():
    run = fake_ip({"192.0.2.7": "wg0", "192.0.2.8": "eth0"})
    assert vantage.require_vpn("192.0.2.7", run=run) == "wg0"
    with pytest.raises(vantage.VantageError) as err:
        vantage.require_vpn("192.0.2.8", run=run)
    assert "leaves by eth0" in str(err.value) and "assessed_from_vpn" in str(err.value)
    # named interfaces replace the detection
    assert vantage.require_vpn("192.0.2.8", ["eth0"], run=run) == "eth0"
    with pytest.raises(vantage.VantageError, match=r"not through the VPN \(tun9\)"):
        vantage.require_vpn("192.0.2.7", ["tun9"], run=run)


def test_outside_view():
    assert vantage.outside_view(None, [80], [80]) is None
    seen = {"from": "staff-pc", "open": [], "refused": [23], "silent": [80, 554]}
    view = vantage.outside_view(seen, [23, 80, 554], [23, 80])
    assert view == {
        "from": "staff-pc",
        "answered": [],
        "management_answered": [],
        "not_tried": [],
        "vpn_only": True,
    }
    view = vantage.outside_view(dict(seen, open=[80], silent=[554]), [23, 80, 554], [23, 80])
    assert view["management_answered"] == [80] and not view["vpn_only"]
    view = vantage.outside_view(dict(seen, silent=[554]), [23, 80, 554], [23, 80])
    assert view["not_tried"] == [80] and not view["vpn_only"]


def test_targets_from_devices_and_bad_input():
    targets = vantage.targets_from(
        [
            {
                "address": "127.0.0.9",
                "services": {"a": {"port": 80, "proto": "tcp"}, "b": {"port": 161, "proto": "udp"}},
            },
            {"address": "127.0.0.9", "ports": [22]},
        ]
    )  # fmt: skip
    assert targets == [("127.0.0.9", [22, 80])]
    # discovery's own shape: the port and protocol in the key (iot_services of a camera)
    found = {"80/tcp": {"protocol": "http", "title": "IP Camera"}, "554/tcp": {"protocol": "rtsp"},
             "161/udp": {"protocol": "snmp"}, "1900/udp": {"protocol": "ssdp"}}  # fmt: skip
    assert vantage.targets_from([{"address": "127.20.30.10", "services": found}]) == [
        ("127.20.30.10", [80, 554])
    ]
    for bad, field in (
        ({"address": "cam.example"}, "targets[0].address"),
        ({"address": "127.0.0.9", "ports": ["x"]}, "targets[0]"),
        ({"address": "127.0.0.9", "ports": [70000]}, "1 to 65535"),
        ("127.0.0.9", "must be a dict"),
    ):
        with pytest.raises(vantage.VantageError, match=field.replace("[", r"\[").replace("]", r"\]")):
            vantage.targets_from([bad])


def test_probe_refuses_to_stand_in_the_vpn():
    with pytest.raises(vantage.VantageError, match="through the VPN interface wg0"):
        vantage.probe([("192.0.2.7", [80])], run=fake_ip({"192.0.2.7": "wg0"}))


def test_probe_tries_real_sockets():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: the kernel refuses connections
    try:
        port, shut = listener.getsockname()[1], closed.getsockname()[1]
        out = vantage.probe(
            [("127.0.0.1", [port, shut])], timeout=2, run=fake_ip({"127.0.0.1": "lo"}), name="pc"
        )
        assert out == {
            "127.0.0.1": {"from": "pc", "interface": "lo", "open": [port], "refused": [shut], "silent": []}
        }
    finally:
        listener.close()
        closed.close()


CAMERA = {
    "ansible_host": "127.99.1.10",
    "iot_class": "camera",
    "iot_vendor": "Hikvision",
    "iot_fingerprint_id": "hikvision.camera",
    "iot_services": {"80/tcp": {"protocol": "http"}},
    "iot_mac": "c0:56:e3:00:00:01",
    "iot_site": "clinic",
}


def test_assessment_from_the_vpn_stops_when_the_route_is_not_the_vpn(monkeypatch):
    monkeypatch.setattr(vantage, "_run", fake_ip({"127.99.1.10": "eth0"}))
    with pytest.raises(vantage.VantageError, match="leaves by eth0"):
        assess.assess_device(
            "cam", CAMERA, assess.Options(probes=["management"]), {"assessed_from_vpn": True}
        )


@pytest.mark.parametrize("setting", ["auto", "AUTO"])
def test_auto_lets_each_devices_route_decide(monkeypatch, setting):
    """assessed_from_vpn=auto: a device routed through a VPN link is assessed from inside (the
    outside probe's evidence read), one routed past it from outside; nothing fails either way."""
    from ansible_collections.iotguard.hardening.plugins.modules import risk_assess

    ctx = {"assessed_from_vpn": risk_assess.vantage_setting(setting)}
    assert ctx["assessed_from_vpn"] == "auto"
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        port = srv.getsockname()[1]
        cam = dict(CAMERA, ansible_host="127.0.0.1", iot_open_ports=[port],
                   iot_services={"%d/tcp" % port: {"protocol": "http"}})  # fmt: skip
        closed = {"from": "staff-pc", "open": [], "refused": [port], "silent": []}
        results = {}
        for dev in ("wg0", "eth0"):
            monkeypatch.setattr(vantage, "_run", fake_ip({"127.0.0.1": dev}))
            results[dev] = assess.assess_device(
                "cam", cam, assess.Options(probes=["management"]), dict(ctx, outside_reach=closed)
            )
    inside, outside = results["wg0"], results["eth0"]
    assert inside["observations"]["vpn_interface"] == "wg0" and inside["observations"]["outside"]["vpn_only"]
    assert "IOTG-MGMT-OUTSIDE-VPN" not in {f["rule"] for f in inside["findings"]}
    assert "vpn_interface" not in outside["observations"] and "outside" not in outside["observations"]
    assert "IOTG-MGMT-OUTSIDE-VPN" in {f["rule"] for f in outside["findings"]}
    # and the report's limits say which part stood where
    limit = report.vantage_limit([inside, outside])
    assert limit.startswith("Assessed from inside the VPN for 1 device(s)") and "for the other 1" in limit
    assert report.vantage_limit([inside]).startswith("Assessed from inside the VPN: the controller's route")


def test_auto_with_no_route_is_outside_the_vpn_not_a_crash(monkeypatch):
    """A device the kernel has no route to (Network is unreachable) is no device inside the
    VPN: assessed from outside, which here finds it unreachable; the run goes on."""
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        port = srv.getsockname()[1]  # bound, never listening: refused
    cam = dict(CAMERA, ansible_host="127.0.0.1", iot_open_ports=[port],
               iot_services={"%d/tcp" % port: {"protocol": "http"}})  # fmt: skip
    monkeypatch.setattr(vantage, "_run", fake_ip({}))
    opts = assess.Options(probes=["management"])
    got = assess.assess_device("cam", cam, opts, {"assessed_from_vpn": "auto"})
    assert "vpn_interface" not in got["observations"]
    no_route = "vantage: this host has no route to 127.0.0.1"
    assert any(n.startswith(no_route) for n in got["notes"]), got["notes"]
    assert "IOTG-MGMT-OUTSIDE-VPN" not in {f["rule"] for f in got["findings"]}


@pytest.mark.parametrize(("value", "want"), [(True, True), ("true", True), ("yes", True), (False, False),
                                             ("False", False), ("no", False), ("auto", "auto")])  # fmt: skip
def test_the_vantage_setting_takes_a_bool_or_auto(value, want):
    from ansible_collections.iotguard.hardening.plugins.modules import risk_assess

    assert risk_assess.vantage_setting(value) == want


def test_a_vantage_setting_that_is_none_names_the_field():
    from ansible_collections.iotguard.hardening.plugins.modules import risk_assess

    with pytest.raises(ValueError, match="assessed_from_vpn: 'sometimes' is none of true, false, auto"):
        risk_assess.vantage_setting("sometimes")


def _doc_of(obs):
    d = Device("cam", CAMERA)
    result = {
        "device": d.summary(),
        "findings": checks.evaluate(d, obs, {"assessed_from_vpn": True}),
        "assessed": True,
        "errors": [],
        "observations": obs,
    }
    return report.build("clinic", [result], "2026-01-01T00:00:00Z")


def _reach_of(obs):
    doc = _doc_of(obs)
    return doc["devices"][0]["reach"], [f["rule"] for f in doc["devices"][0]["findings"]]


def test_report_reach_follows_the_outside_probe():
    closed = {"from": "pc", "answered": [], "management_answered": [], "not_tried": [], "vpn_only": True}
    reach, rules = _reach_of({"management_reachable": ["http tcp/80"], "outside": closed})
    assert reach == "reachable only through the VPN" and "IOTG-MGMT-OUTSIDE-VPN" not in rules
    reach, rules = _reach_of({"management_reachable": ["http tcp/80"]})
    assert reach == "reached by the assessment from outside the VPN" and "IOTG-MGMT-OUTSIDE-VPN" in rules
    # assessed through the VPN, nothing shown closed outside it: said so, and not lowered
    doc = _doc_of({"management_reachable": ["http tcp/80"], "vpn_interface": "wg0"})
    assert doc["devices"][0]["reach"] == "reached through the VPN, not shown closed outside it"
    raised = [r["risk"]["explanation"] for r in doc["register"] if r["rule"] != "IOTG-MGMT-OUTSIDE-VPN"]
    assert raised and all("+1 reached through the VPN, not shown closed outside it" in e for e in raised), (
        raised
    )


def test_the_report_says_where_the_assessment_stood():
    outside = _doc_of({"management_reachable": ["http tcp/80"]})["limits"][-1]
    assert outside.startswith("Assessed from the controller's network, outside the VPN")
    inside = _doc_of({"management_reachable": ["http tcp/80"], "vpn_interface": "wg0"})["limits"][-1]
    assert "route to each device went through wg0" in inside and "No probe from outside the VPN ran" in inside
    closed = {
        "from": "staff-pc",
        "answered": [],
        "management_answered": [],
        "not_tried": [],
        "vpn_only": True,
    }
    probed = _doc_of({"vpn_interface": "wg0", "outside": closed})["limits"][-1]
    assert "the probe from staff-pc, outside the VPN" in probed and "(1 device(s) probed)" in probed
