# SPDX-License-Identifier: GPL-3.0-or-later
"""A finding that rests on an open port (telnet, FTP, web without TLS, SMBv1, DICOM) stands on
what the device answers in this run, not on discovery's list: a port that now refuses the
connection is closed (the after-assessment proves a hardening that turned telnet off), a
port that stays silent proves nothing and keeps what discovery saw."""

from __future__ import annotations

import socket

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess, probes, register, report

ADDRESS = "127.99.9.1"


def _listener():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDRESS, 0))
    srv.listen(8)
    return srv


@pytest.fixture
def ports():
    """A web port and a telnet port, both listening; the test closes the telnet one."""
    web, telnet = _listener(), _listener()
    yield {"web": web, "telnet": telnet}
    for s in (web, telnet):
        s.close()


def _hostvars(web, telnet):
    return {
        "ansible_host": ADDRESS,
        "iot_class": "camera",
        "iot_mac": "02:00:00:99:09:01",
        "iot_services": {
            "%d/tcp" % web: {"protocol": "http"},
            "%d/tcp" % telnet: {"protocol": "telnet"},
        },
    }


def _assess(hostvars, tmp_path):
    opts = assess.Options(probes=("management",), ledger=str(tmp_path / "ledger.json"), timeout=2.0)
    return assess.assess_device("cam", hostvars, opts)


def _rules(res):
    return {(f["rule"], f["location"]) for f in res["findings"]}


def test_a_port_closed_since_discovery_is_fixed_by_the_recheck(ports, tmp_path):
    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    hostvars = _hostvars(web, telnet)
    before = _assess(hostvars, tmp_path)
    assert ("IOTG-CLEARTEXT-MGMT", "tcp/%d" % telnet) in _rules(before)
    assert "refused" not in before["observations"]

    ports["telnet"].close()  # the hardening turned telnet off; discovery's facts still list it
    after = _assess(hostvars, tmp_path)
    assert after["assessed"] is True
    assert ("IOTG-CLEARTEXT-MGMT", "tcp/%d" % telnet) not in _rules(after)
    assert ("IOTG-HTTP-NO-TLS", "http") in _rules(after), "the web port still answers"
    assert after["observations"]["refused"] == ["tcp/%d" % telnet]
    assert telnet not in [s["port"] for s in after["device"]["services"]]
    assert "closed since discovery (connection refused) on tcp/%d" % telnet in " ".join(
        register.device_checks(after, [])["checked"]
    )
    ident = after["device"]["mac"]
    prev = next(dict(f, identity=ident) for f in before["findings"] if f["rule"] == "IOTG-CLEARTEXT-MGMT")
    now = {f["key"] for f in after["findings"]}
    assert report.finding_status(prev, now, {ident}, {ident: after["unknown"]}) == "fixed"


def test_a_silent_port_keeps_what_discovery_saw(ports, tmp_path, monkeypatch):
    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    real = probes.tcp_state

    def dropped(host, port, timeout=3.0):
        return "silent" if port == telnet else real(host, port, timeout)

    monkeypatch.setattr(probes, "tcp_state", dropped)
    res = _assess(_hostvars(web, telnet), tmp_path)
    assert ("IOTG-CLEARTEXT-MGMT", "tcp/%d" % telnet) in _rules(res), "a timeout proves no port closed"
    assert "refused" not in res["observations"]


def test_every_port_refused_is_not_assessed_and_says_why(ports, tmp_path):
    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    ports["web"].close()
    ports["telnet"].close()
    res = _assess(_hostvars(web, telnet), tmp_path)
    assert res["assessed"] is False and res["findings"] == []
    assert "now refuses the connection" in res["errors"][0] and "run discovery again" in res["errors"][0]


def test_tcp_state_tells_refused_from_open(ports):
    port = ports["web"].getsockname()[1]
    assert probes.tcp_state(ADDRESS, port, 2.0) == "open"
    ports["web"].close()
    assert probes.tcp_state(ADDRESS, port, 2.0) == "refused"
    assert probes.tcp_open(ADDRESS, port, 2.0) is False


class _OpenApi:
    """A driver whose management API answers without credentials (login never called)."""

    def __init__(self, answer):
        self.answer = answer
        self.logins = 0

    def unauthenticated(self):
        return self.answer

    def login(self, username, password):
        self.logins += 1
        return False

    def close(self):
        pass


@pytest.mark.parametrize("answer", ["GET /query/info answered 200 with no credentials", None])
def test_an_api_that_asks_for_no_credential_is_a_finding(ports, tmp_path, answer):
    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    hostvars = dict(
        _hostvars(web, telnet), iot_default_credentials=[{"username": "admin", "password": "admin"}]
    )
    drv = _OpenApi(answer)

    def factory(hostvars, device=None):
        return "venstar_local", (lambda host, timeout: drv)

    opts = assess.Options(probes=("credentials",), ledger=str(tmp_path / "ledger.json"), timeout=2.0)
    res = assess.assess_device("stat", hostvars, opts, driver_factory=factory)
    found = {f["rule"]: f for f in res["findings"]}
    if answer:
        assert found["IOTG-API-NOAUTH"]["evidence"] == answer
        assert found["IOTG-API-NOAUTH"]["location"] == "venstar_local"
        assert drv.logins == 0, "no password is tried on an API that needs none"
        assert "asked for no credential" in " ".join(register.device_checks(res, [])["checked"])
    else:
        assert "IOTG-API-NOAUTH" not in found and drv.logins >= 1


def test_a_device_no_port_of_which_answered_discovery_is_not_assessed_and_its_findings_stay(tmp_path):
    """Behind a gateway that drops the controller's connections, discovery still names the
    device (the switch's tables) but sees no port: nothing was checked, so nothing is fixed."""
    hostvars = {"ansible_host": ADDRESS, "iot_class": "medical", "iot_mac": "02:00:00:99:09:02"}
    res = _assess(hostvars, tmp_path)
    assert res["assessed"] is False and res["findings"] == []
    assert "nothing on %s answered in this run" % ADDRESS in res["errors"][0]
    assert "firewall" in res["errors"][0]
    prev = {
        "key": "IOTG-DICOM-NOAUTH|02:00:00:99:09:02|tcp/104",
        "rule": "IOTG-DICOM-NOAUTH",
        "identity": "02:00:00:99:09:02",
    }
    doc = report.build("clinic", [res], "2026-12-01T00:00:00Z")
    assert doc["not_assessed"][0]["identity"] == "02:00:00:99:09:02" and doc["complete"] is False
    assert report.finding_status(prev, set(), set(), {}) == "not re-checked"


def _previous_doc(before):
    """The previous report's document as risk_report writes it, for ``before``'s device."""
    return report.build("clinic", [before], "2026-11-30T00:00:00Z")


@pytest.mark.parametrize(
    ("now", "status"), [("open", "open"), ("refused", "fixed"), ("silent", "not re-checked")]
)
def test_a_port_of_an_earlier_finding_that_discovery_no_longer_lists_is_tried_again(
    ports, tmp_path, monkeypatch, now, status
):
    """This run's discovery (behind a gateway that drops telnet) does not list the port where
    the previous run found cleartext telnet. The assessment tries it again: an answer finds it
    again, a refusal fixes it, silence leaves it undecided (not re-checked), never fixed."""
    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    hostvars = _hostvars(web, telnet)
    before = _assess(hostvars, tmp_path)
    assert ("IOTG-CLEARTEXT-MGMT", "tcp/%d" % telnet) in _rules(before)
    previous = _previous_doc(before)

    if now == "refused":
        ports["telnet"].close()
    elif now == "silent":
        real = probes.tcp_state
        monkeypatch.setattr(
            probes, "tcp_state", lambda h, p, t=3.0: "silent" if p == telnet else real(h, p, t)
        )
    only_web = dict(hostvars, iot_services={"%d/tcp" % web: {"protocol": "http"}})
    opts = assess.Options(probes=("management",), ledger=str(tmp_path / "ledger.json"), timeout=2.0)
    after = assess.assess_device("cam", only_web, opts, {"previous": previous})
    assert after["assessed"] is True
    ident = after["device"]["mac"]
    prev = next(dict(f, identity=ident) for f in before["findings"] if f["location"] == "tcp/%d" % telnet)
    now_keys = {f["key"] for f in after["findings"]}
    assert report.finding_status(prev, now_keys, {ident}, {ident: after["unknown"]}) == status
    if now == "silent":
        assert "IOTG-CLEARTEXT-MGMT" in after["unknown"]
        assert any("tcp/%d" % telnet in n and "not re-checked" in n for n in after["notes"])
    if now == "refused":
        assert after["observations"]["refused"] == ["tcp/%d" % telnet]


def test_previous_record_reads_only_the_device_s_own_port_findings():
    doc = {
        "devices": [
            {
                "identity": "aa",
                "services": [{"port": 23, "proto": "tcp", "name": "telnet"}],
                "findings": [
                    {"rule": "IOTG-CLEARTEXT-MGMT", "location": "tcp/23"},
                    {"rule": "IOTG-EOL", "location": "os"},
                    {"rule": "NOT-A-RULE", "location": "tcp/24"},
                ],
            },
            {"identity": "bb", "findings": [{"rule": "IOTG-CLEARTEXT-MGMT", "location": "tcp/2323"}]},
        ]
    }
    assert assess.previous_record(doc, "aa") == {23: {"name": "telnet", "rules": ["IOTG-CLEARTEXT-MGMT"]}}
    # a port the previous run saw open is listed even with no finding on it
    doc["devices"][0]["services"].append({"port": 80, "proto": "tcp", "name": "http"})
    assert assess.previous_record(doc, "aa")[80] == {"name": "http", "rules": []}
    assert assess.previous_record(doc, "cc") == {} and assess.previous_record(None, "aa") == {}


@pytest.mark.parametrize(
    ("now", "status"),
    [
        ("silent", {"IOTG-EOL": "not re-checked", "IOTG-HTTP-NO-TLS": "not re-checked"}),
        ("refused", {"IOTG-EOL": "not re-checked", "IOTG-HTTP-NO-TLS": "fixed"}),
    ],
)
def test_a_finding_read_from_a_service_s_answer_is_not_fixed_when_that_service_goes_silent(
    ports, tmp_path, monkeypatch, now, status
):
    """The previous run read "Windows XP" from the device's SMB answer (end of life) and saw
    a web port without HTTPS. A gateway now drops SMB and web from the controller; only telnet
    still answers, so the device is assessed, but neither finding rests on a port of its own:
    their absence proves nothing while a port the previous run saw stays silent (not
    re-checked). A refusal proves the web port closed (fixed); closing SMB does not change the
    operating system, so end of life stays not re-checked."""
    web, smb = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    other = _listener()
    try:
        telnet = other.getsockname()[1]
        hostvars = {
            "ansible_host": ADDRESS,
            "iot_class": "medical",
            "iot_mac": "02:00:00:99:09:03",
            "iot_services": {
                "%d/tcp" % web: {"protocol": "http"},
                "%d/tcp" % smb: {
                    "protocol": "smb",
                    "os": "Windows 5.1",
                    "lanman": "Windows 2000 LAN Manager",
                },
                "%d/tcp" % telnet: {"protocol": "telnet"},
            },
        }
        before = _assess(hostvars, tmp_path)
        rules = {r for r, _loc in _rules(before)}
        assert {"IOTG-EOL", "IOTG-HTTP-NO-TLS"} <= rules, rules
        previous = _previous_doc(before)
        if now == "refused":
            ports["web"].close()
            ports["telnet"].close()
        else:
            real = probes.tcp_state
            monkeypatch.setattr(
                probes, "tcp_state", lambda h, p, t=3.0: "silent" if p in (web, smb) else real(h, p, t)
            )
        only_telnet = dict(hostvars, iot_services={"%d/tcp" % telnet: {"protocol": "telnet"}})
        opts = assess.Options(probes=("management",), ledger=str(tmp_path / "ledger.json"), timeout=2.0)
        after = assess.assess_device("xp", only_telnet, opts, {"previous": previous})
    finally:
        other.close()
    assert after["assessed"] is True
    ident = after["device"]["mac"]
    now_keys = {f["key"] for f in after["findings"]}
    for rule in ("IOTG-EOL", "IOTG-HTTP-NO-TLS"):
        prev = next(dict(f, identity=ident) for f in before["findings"] if f["rule"] == rule)
        assert prev["key"] not in now_keys
        assert report.finding_status(prev, now_keys, {ident}, {ident: after["unknown"]}) == status[rule], rule
    if now == "silent":
        assert sorted(after["observations"]["silent"]) == sorted(["tcp/%d" % web, "tcp/%d" % smb])
        not_checked = " ".join(register.device_checks(after, after["unknown"])["not_checked"])
        assert "stayed silent in this one" in not_checked and "tcp/%d" % smb in not_checked
    else:
        assert "silent" not in after["observations"]
        assert set(after["observations"]["refused"]) == {"tcp/%d" % web, "tcp/%d" % smb}
        not_checked = " ".join(register.device_checks(after, after["unknown"])["not_checked"])
        assert "does not change the system" in not_checked


def test_an_api_without_authentication_is_not_fixed_when_no_login_was_tried(ports, tmp_path):
    """Behind a gateway discovery may no longer tell which product a device is, so no driver
    logs in: whether its API still answers without a password was not checked, and the
    previous run's finding stays not re-checked."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.risk import checks

    web, telnet = ports["web"].getsockname()[1], ports["telnet"].getsockname()[1]
    res = _assess(_hostvars(web, telnet), tmp_path)
    assert res["observations"].get("credentials") is None
    assert "IOTG-API-NOAUTH" in res["unknown"]
    assert "IOTG-API-NOAUTH" not in checks.unknown_rules(
        assess.Device("cam", _hostvars(web, telnet)), {"credentials": {"tried": 1, "accepted": False}}, {}
    )
