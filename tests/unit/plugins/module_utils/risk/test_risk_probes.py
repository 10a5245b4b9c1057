# SPDX-License-Identifier: GPL-3.0-or-later
"""The active probes against small real servers on 127.0.0.1 (MQTT, RTSP, SNMP, UPnP IGD)."""

from __future__ import annotations

import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import LoginBudget
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import wire
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes


def _serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server


@pytest.fixture
def tcp_server():
    servers = []

    def start(handler_fn):
        class H(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(3)
                handler_fn(self.request)

        srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
        srv.daemon_threads = True
        servers.append(_serve(srv))
        return srv.server_address[1]

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.mark.parametrize(("code", "accepted"), [(0, True), (5, False), (4, False)])
def test_mqtt_connect_without_credentials(tcp_server, code, accepted):
    seen = {}

    def broker(sock):
        data = sock.recv(1024)
        seen["packet"] = data
        sock.sendall(bytes([0x20, 2, 0, code]))

    port = tcp_server(broker)
    r = probes.mqtt_connect("127.0.0.1", port, timeout=3)
    assert r["accepted"] is accepted and r["return_code"] == code
    pkt = seen["packet"]
    assert pkt[0] == 0x10 and b"MQTT" in pkt
    flags = pkt[2 + 2 + 4 + 1]  # fixed header, name length, "MQTT", level
    assert flags & 0xC0 == 0  # no user name, no password flag


def test_mqtt_garbage_is_a_probe_error(tcp_server):
    port = tcp_server(lambda s: (s.recv(1024), s.sendall(b"HTTP/1.0 400 Bad\r\n\r\n")))
    with pytest.raises(probes.ProbeError, match="CONNACK"):
        probes.mqtt_connect("127.0.0.1", port, timeout=3)


@pytest.mark.parametrize(("status", "line"), [(200, b"RTSP/1.0 200 OK"), (401, b"RTSP/1.0 401 Unauthorized")])
def test_rtsp_describe(tcp_server, status, line):
    seen = {}

    def server(sock):
        seen["req"] = sock.recv(4096)
        sock.sendall(line + b"\r\nCSeq: 2\r\n\r\n")

    port = tcp_server(server)
    r = probes.rtsp_describe("127.0.0.1", port, "/Streaming/Channels/101", timeout=3)
    assert r["status"] == status
    assert seen["req"].startswith(b"DESCRIBE rtsp://127.0.0.1:%d/Streaming/Channels/101 RTSP/1.0\r\n" % port)
    assert b"Authorization" not in seen["req"]


def test_rtsp_refuses_header_injection():
    with pytest.raises(probes.ProbeError, match="plain path"):
        probes.rtsp_describe("127.0.0.1", 1, "/a\r\nAuthorization: x", timeout=1)


def test_snmp_get_packet_is_standard_ber():
    pkt = wire.snmp_get_request("public", 0x1234, version="2c", oids=(wire.SYS_DESCR,))
    # SEQUENCE { INTEGER 1 (v2c), OCTET STRING "public", GetRequest ... OID 1.3.6.1.2.1.1.1.0, NULL }
    assert pkt[:2] == b"\x30" + bytes([len(pkt) - 2])
    assert pkt[2:13] == b"\x02\x01\x01\x04\x06public"
    assert pkt[13] == 0xA0
    assert pkt.endswith(b"\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00")


def _snmp_response(request):
    """Answer a GetRequest by turning it into a GetResponse carrying an OCTET STRING."""
    _tag, msg, _end = wire._ber_read(request, 0)
    version, community, pdu = wire._ber_items(msg)
    rid = wire._ber_items(pdu[1])[0][1]
    vb = wire._tlv(0x30, wire._tlv(0x30, wire._ber_oid(wire.SYS_DESCR) + wire._tlv(0x04, b"Linux cam\x07")))
    body = wire._tlv(0x02, rid) + wire._ber_int(0) + wire._ber_int(0) + vb
    return wire._tlv(0x30, wire._tlv(*version) + wire._tlv(*community) + wire._tlv(0xA2, body)), community[1]


def test_snmp_get_against_an_agent_that_answers_public():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def agent():
        srv.settimeout(5)
        data, addr = srv.recvfrom(4096)
        reply, community = _snmp_response(data)
        if community == b"public":
            srv.sendto(reply, addr)

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    try:
        r = probes.snmp_get("127.0.0.1", "public", port, timeout=2, retries=0)
    finally:
        t.join(5)
        srv.close()
    assert r == {"answered": True, "value": "Linux cam"}  # control character stripped


def test_snmp_silence_is_no_finding():
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", 0))
    try:
        r = probes.snmp_get("127.0.0.1", "public", srv.getsockname()[1], timeout=0.3, retries=0)
    finally:
        srv.close()
    assert r["answered"] is False


DESC = """<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><deviceList><device>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<controlURL>/ctl/IPConn</controlURL></service></serviceList></device></deviceList></device></root>"""
ENTRY = """<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<u:GetGenericPortMappingEntryResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
<NewRemoteHost></NewRemoteHost><NewExternalPort>%d</NewExternalPort><NewProtocol>TCP</NewProtocol>
<NewInternalPort>554</NewInternalPort><NewInternalClient>127.99.1.10</NewInternalClient><NewEnabled>1</NewEnabled>
<NewPortMappingDescription>cam &lt;script&gt;</NewPortMappingDescription>
<NewLeaseDuration>0</NewLeaseDuration>
</u:GetGenericPortMappingEntryResponse></s:Body></s:Envelope>"""
FAULT = """<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault>
<detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>713</errorCode>
<errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>"""


def test_upnp_port_mappings_walks_the_table():
    calls = []

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, code, body):
            self.send_response(code)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())

        def do_GET(self):
            self._send(200, DESC)

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            calls.append((self.headers["SOAPAction"], body))
            index = int(body.split("<NewPortMappingIndex>")[1].split("<")[0])
            if index < 2:
                self._send(200, ENTRY % (8554 + index))
            else:
                self._send(500, FAULT)

    srv = _serve(HTTPServer(("127.0.0.1", 0), H))
    try:
        url = "http://127.0.0.1:%d/rootDesc.xml" % srv.server_address[1]
        maps = probes.upnp_port_mappings(url, timeout=3)
    finally:
        srv.shutdown()
        srv.server_close()
    assert [m["external_port"] for m in maps] == [8554, 8555]
    assert maps[0]["internal_client"] == "127.99.1.10" and maps[0]["internal_port"] == 554
    assert maps[0]["description"] == "cam <script>"  # kept as text; escaped where rendered
    assert (
        len(calls) == 3
        and calls[0][0] == '"urn:schemas-upnp-org:service:WANIPConnection:1#GetGenericPortMappingEntry"'
    )


def test_try_credentials_stops_at_budget_and_hides_passwords():
    tried = []

    def login(user, pw):
        tried.append((user, pw))
        return pw == "right"

    cands = [{"username": "a", "password": p, "source": "s"} for p in ("x", "y", "right")]
    two = LoginBudget({"enabled": True, "threshold": 4, "source": "device"}, ["k1"])
    assert probes.try_credentials(login, cands, two) == {"accepted": None, "tried": 2, "skipped": 1}
    assert len(tried) == 2 and two.exhausted
    r = probes.try_credentials(login, cands, LoginBudget({"enabled": False, "source": "device"}, ["k2"]))
    assert r["accepted"] == {"username": "a", "source": "s"} and "right" not in str(r)


def test_upnp_locations_only_on_the_device_itself():
    services = {
        "1900/udp": {"location": "http://127.99.1.1:5000/rootDesc.xml"},
        "1901/udp": {"location": "http://203.0.113.9/evil.xml"},  # a device may point anywhere: ignored
        "80/tcp": {"location": "file:///etc/passwd"},
    }
    assert probes.upnp_locations("127.99.1.1", services) == ["http://127.99.1.1:5000/rootDesc.xml"]
