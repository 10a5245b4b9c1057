# SPDX-License-Identifier: GPL-3.0-or-later
"""Evidence over product data: management protocols are the ones found listening, lockout
is labelled as product data until the device says, and the SNMP check tries every
community the engineer configured or discovery recorded."""

from __future__ import annotations

import socket
import threading

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import classify
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess, checks
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device
from test_risk_probes import _snmp_response


def test_management_protocols_are_the_listening_ones():
    services = {
        "23/tcp": {"protocol": "telnet"},
        "80/tcp": {"protocol": "http"},
        "554/tcp": {"protocol": "rtsp"},
    }
    assert classify.listening_mgmt(services) == ["http", "telnet"]


def test_product_lockout_is_labelled_fallback():
    scan = {"services": {"80/tcp": {"protocol": "http", "server": "App-webs/", "title": "login"}}}
    facts = classify.classify(scan)
    assert facts["iot_fingerprint_id"] == "hikvision.camera"
    assert facts["iot_lockout"]["source"] == "product data (fallback)"
    # the product sheet says https too; only http is listening
    assert facts["iot_mgmt_protocols"] == ["http"]
    assert "https" in facts["iot_mgmt_protocols_product"]


def test_snmp_tries_every_community_until_one_answers():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    seen = []

    def agent():
        srv.settimeout(5)
        while True:
            try:
                data, addr = srv.recvfrom(4096)
            except OSError:
                return
            reply, community = _snmp_response(data)
            seen.append(community)
            if community == b"private":
                srv.sendto(reply, addr)
                return

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    printer = {
        "ansible_host": "127.0.0.1",
        "iot_class": "printer",
        "iot_open_ports": [],
        # discovery recorded 'private' answering on this printer
        "iot_services": {"%d/udp" % port: {"protocol": "snmp", "community": "private"}},
    }
    device = Device("prn", printer)
    opts = assess.Options(probes=("snmp",), snmp_communities=["Site-Secret-7"], timeout=0.5)
    try:
        r = assess.probe_snmp(device, opts)
    finally:
        t.join(5)
        srv.close()
    assert seen[0] == b"public" and b"Site-Secret-7" in seen and seen[-1] == b"private"
    assert r["answered"] and r["community"] == "private"
    assert r["tried"] == ["public", "configured #1", "private"], "a configured community is never shown"
    found = checks.snmp_public(device, {"snmp": r}, {})
    assert found and "'private' answered" in found[0][1]
