# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Probes against small devices on 127.99.1.x that answer like the real products."""

from __future__ import annotations

import asyncio
import time

import fakedevices as fd
import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import engine, probes
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError

PORTS = [21, 22, 23, 80, 104, 443, 445, 554, 1400, 1883, 5060, 9100]


@pytest.fixture(scope="module")
def scanned():
    site = fd.small_site("127.99.1")
    with fd.FakeSite(site.values()):
        cfg = probes.ScanConfig(
            ports=PORTS, snmp_communities=["private", "public"], read_timeout=1.0, udp_timeout=0.5
        )
        results, stats = probes.scan([d.address for d in site.values()] + ["127.99.1.99"], cfg)
    return site, results, stats


def svc(results, site, name, key):
    return results[site[name].address]["services"][key]


def test_ssh_http_rtsp(scanned):
    site, results = scanned[0], scanned[1]
    assert svc(results, site, "hikvision", "22/tcp")["banner"] == "SSH-2.0-OpenSSH_7.3"
    http = svc(results, site, "hikvision", "80/tcp")
    assert (http["status_code"], http["server"]) == (302, "App-webs/")
    assert http["location"].startswith("/doc/page/login.asp")
    rtsp = svc(results, site, "hikvision", "554/tcp")
    assert rtsp["status"] == "RTSP/1.0 200 OK" and "DESCRIBE" in rtsp["methods"]
    sent = b"".join(site["hikvision"].received)
    assert b"OPTIONS rtsp://127.99.1.10:554/ RTSP/1.0\r\nCSeq: 1" in sent
    assert b"GET / HTTP/1.1\r\nHost: 127.99.1.10:80" in sent


def test_printer_pjl_and_snmp_with_the_second_community(scanned):
    site, results = scanned[0], scanned[1]
    assert svc(results, site, "hp_printer", "9100/tcp")["id"] == "HP LaserJet Pro M404dn"
    snmp = svc(results, site, "hp_printer", "161/udp")
    assert snmp["sysdescr"].startswith("HP ETHERNET MULTI-ENVIRONMENT")
    assert snmp["sysobjectid"] == "1.3.6.1.4.1.11.2.3.9.1"
    assert snmp["community"] == "public"
    # both configured communities were sent, one datagram each
    assert sorted(site["hp_printer"].communities) == ["private", "public"]
    assert b"@PJL INFO ID" in b"".join(site["hp_printer"].received)


def test_sip_udp(scanned):
    site, results = scanned[0], scanned[1]
    sip = svc(results, site, "polycom", "5060/udp")
    assert sip["agent"] == "PolycomVVX-VVX_411-UA/6.3.1.8427"
    assert any(r.startswith(b"OPTIONS sip:127.99.1.12 SIP/2.0") for r in site["polycom"].received)


def test_smb_windows_xp_null_session(scanned):
    site, results = scanned[0], scanned[1]
    smb = svc(results, site, "windows_xp", "445/tcp")
    assert (smb["os"], smb["lanman"], smb["domain"], smb["server"]) == (
        "Windows 5.1",
        "Windows 2000 LAN Manager",
        "WORKGROUP",
        "XP-MRI",
    )
    negotiate, setup = site["windows_xp"].received
    assert b"NT LM 0.12" in negotiate
    # anonymous: both password lengths are zero
    assert setup[47:51] == b"\x00\x00\x00\x00"


def test_dicom_association_and_echo(scanned):
    site, results = scanned[0], scanned[1]
    d = svc(results, site, "pacs", "104/tcp")
    assert d == {
        "protocol": "dicom",
        "association": "accepted",
        "accepted_contexts": 1,
        "impl_class": "1.2.276.0.7230010.3.0.3.6.4",
        "impl_version": "OFFIS_DCMTK_364",
        "echo_status": 0,
    }
    assoc, echo = site["pacs"].received[:2]
    assert b"1.2.840.10008.1.1" in assoc and echo[0] == 0x04


def test_ssdp_and_upnp_description_from_the_same_address(scanned):
    site, results = scanned[0], scanned[1]
    s = svc(results, site, "sonos", "1900/udp")
    assert s["server"] == "Linux UPnP/1.0 Sonos/70.3-88200 (ZPS18)"
    assert (s["manufacturer"], s["modelname"]) == ("Sonos, Inc.", "Sonos One")


def test_mdns(scanned):
    site, results = scanned[0], scanned[1]
    m = svc(results, site, "googlehome", "5353/udp")
    assert m["service_types"] == ["_googlecast._tcp.local"]
    assert "md=Google Home Mini" in m["txt"]
    assert m["hostname"] == "Google-Home-Mini-8f3a"


def test_telnet_mqtt(scanned):
    site, results = scanned[0], scanned[1]
    assert svc(results, site, "busybox_dvr", "23/tcp")["banner"] == "(none) login:"
    mq = svc(results, site, "busybox_dvr", "1883/tcp")
    assert mq["connack"] == "accepted" and mq["anonymous"] is True
    assert mq["version"] == "mosquitto version 2.0.11"
    sent = site["busybox_dvr"].received
    # telnet: we refused every option offered (WONT/DONT), sent no user name
    assert b"\xff\xfc\x18" in sent[0] and b"\xff\xfe\x01" in sent[0]
    connect = next(r for r in sent if r[:1] == b"\x10")
    assert connect[9] == 0x02  # clean session, no user name / password flags


def test_no_credentials_by_default(scanned):
    site = scanned[0]
    for dev in site.values():
        for data in dev.received:
            assert b"Authorization:" not in data


def test_silent_address_has_nothing(scanned):
    results, stats = scanned[1], scanned[2]
    assert results["127.99.1.99"] == {"open_ports": [], "services": {}}
    assert stats["tcp_connects"] >= len(PORTS) * 9


def test_host_rate_spaces_connections():
    async def run():
        rate = probes._HostRate(20)
        start = time.monotonic()
        for _attempt in range(5):
            await rate.wait()
        return time.monotonic() - start

    assert asyncio.new_event_loop().run_until_complete(run()) >= 0.19


def test_concurrency_bounds_open_sockets():
    """A device that never answers holds its socket; 3 sockets at most, 6 ports -> 2 rounds."""

    async def silent(reader, writer, dev):
        await asyncio.sleep(5)

    dev = fd.FakeDevice("127.99.1.50", tcp={p: silent for p in range(20001, 20007)})
    with fd.FakeSite([dev]):
        cfg = probes.ScanConfig(
            ports=list(range(20001, 20007)),
            udp_probes=[],
            concurrency=3,
            host_rate=0,
            read_timeout=0.3,
            port_protocols={p: "ssh" for p in range(20001, 20007)},
        )
        start = time.monotonic()
        probes.scan(["127.99.1.50"], cfg)
        elapsed = time.monotonic() - start
    assert dev.connections == 6
    assert 0.6 <= elapsed < 2.5


def test_host_timeout_reports_partial_host():
    async def silent(reader, writer, dev):
        await asyncio.sleep(5)

    dev = fd.FakeDevice(
        "127.99.1.51", tcp={20010: silent, 20011: fd.banner_handler(b"SSH-2.0-dropbear_2019.78\r\n")}
    )
    with fd.FakeSite([dev]):
        cfg = probes.ScanConfig(
            ports=[20010, 20011],
            udp_probes=[],
            read_timeout=2,
            host_timeout=0.5,
            port_protocols={20010: "telnet", 20011: "ssh"},
        )
        start = time.monotonic()
        results = probes.scan(["127.99.1.51"], cfg)[0]
        assert time.monotonic() - start < 1.5
    host = results["127.99.1.51"]
    assert "host_timeout (0.5s) reached; 1 port(s) not probed" == host["error"]
    # what finished in time is kept
    assert host["services"]["20011/tcp"]["banner"] == "SSH-2.0-dropbear_2019.78"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ports": [0]}, "ports[0]"),
        ({"ports": [22, "80"]}, "ports[1]"),
        ({"udp_probes": ["snmp", "netbios"]}, "udp_probes[1]"),
        ({"read_timeout": 0}, "read_timeout"),
        ({"concurrency": 0}, "concurrency"),
        ({"host_rate": -1}, "host_rate"),
        ({"port_protocols": {8081: "gopher"}}, "port_protocols[8081]"),
    ],
)
def test_bad_probe_options(kwargs, field):
    with pytest.raises(DiscoveryError) as err:
        probes.ScanConfig(**kwargs)
    assert str(err.value).startswith(field + ": ")


def test_engine_leaves_out_silent_range_addresses_but_keeps_listed_ones(tmp_path):
    site = fd.small_site("127.99.4")
    lease = tmp_path / "dnsmasq.leases"
    lease.write_text("1764057600 00:04:f2:aa:bb:cc 127.99.4.200 phone-7 *\n")
    with fd.FakeSite([site["hikvision"]]):
        res = engine.discover(
            {
                "networks": ["127.99.4.8/29"],
                "dhcp_leases": [{"path": str(lease), "format": "dnsmasq"}],
                "ports": [80, 554],
                "udp_probes": [],
                "read_timeout": 0.5,
            }
        )
    assert sorted(res["hosts"]) == ["127.99.4.10", "127.99.4.200"]
    assert res["hosts"]["127.99.4.200"]["target"]["mac"] == "00:04:f2:aa:bb:cc"


def test_host_deadline_counts_from_when_the_host_starts():
    """Eight hosts, one socket: they wait their turn, and no queued host times out."""

    async def slow_banner(reader, writer, dev):
        await asyncio.sleep(0.2)
        writer.write(b"SSH-2.0-dropbear_2019.78\r\n")
        await writer.drain()

    devs = [fd.FakeDevice("127.99.1.%d" % (60 + i), tcp={20020: slow_banner}) for i in range(8)]
    with fd.FakeSite(devs):
        cfg = probes.ScanConfig(
            ports=[20020],
            udp_probes=[],
            concurrency=1,
            host_rate=0,
            host_timeout=0.5,
            port_protocols={20020: "ssh"},
        )
        results, stats = probes.scan([d.address for d in devs], cfg)
    # 8 x 0.2 s in a row: far over one host's deadline, yet every host was probed in full
    assert stats["hosts_deadline"] == 0 and stats["ports_not_probed"] == 0
    for d in devs:
        assert results[d.address]["open_ports"] == [20020], results[d.address]
        assert "status" not in results[d.address]


def test_results_stream_to_a_callback_and_nothing_is_kept():
    site = fd.small_site("127.99.5")
    seen = {}
    with fd.FakeSite([site["hikvision"]]):
        cfg = probes.ScanConfig(ports=[80, 554], udp_probes=["snmp"], read_timeout=0.5, udp_timeout=0.3)
        results, _stats = probes.scan([site["hikvision"].address, "127.99.5.99"], cfg, seen.__setitem__)
    assert results == {}
    assert seen[site["hikvision"].address]["open_ports"] == [80, 554]
    assert seen["127.99.5.99"] == {"open_ports": [], "services": {}}


@pytest.mark.parametrize(
    ("soft", "expected"),
    [(1024, 1024 - probes.FD_RESERVE - 320), (20000, probes.MAX_CONCURRENCY), (100, 20)],
)
def test_concurrency_follows_the_open_file_limit(soft, expected):
    assert probes.auto_concurrency(probes.DEFAULT_PORTS, 5, soft) == expected


def test_engine_summary_says_what_was_cut_short():
    summary = {
        "addresses": 10,
        "addresses_done": 10,
        "hosts_found": 3,
        "hosts_absent": 5,
        "hosts_deadline": 2,
        "hosts_not_scanned": 2,
        "ports_not_probed": 30,
        "probes_refused_fd": 7,
        "udp_unsent": 0,
        "complete": False,
    }
    text = engine.summary_warning(summary, 0.5)
    assert "2 host(s) reached host_timeout (0.5s), 2 of them" in text
    assert "30 port(s) not probed" in text and "7 probe start(s) refused" in text
    assert engine.summary_warning(dict(summary, complete=True), 0.5) is None


def test_a_known_protocol_that_stays_silent_marks_the_host_partial():
    # an NVR too slow for read_timeout: its class would rest on its ports alone, so the host
    # and the scan say so instead of passing for a complete scan
    async def slow_http(reader, writer, dev):
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(1.5)
        writer.write(fd.http_reply(headers=[("Server", "App-webs/")]))
        await writer.drain()

    slow = fd.FakeDevice("127.99.6.1", tcp={80: slow_http, 21: fd.banner_handler(b"220 NVR FTP\r\n")})
    with fd.FakeSite([slow]):
        cfg = probes.ScanConfig(ports=[21, 80], udp_probes=[], read_timeout=0.3, host_timeout=10)
        results, stats = probes.scan([slow.address], cfg)
    host = results[slow.address]
    assert host["open_ports"] == [21, 80]
    assert host["status"] == "partial" and host["unanswered_ports"] == ["80/http"]
    assert "80/http" in host["error"] and "0.3s" in host["error"]
    assert host["services"]["21/tcp"]["banner"].startswith("220 NVR FTP")
    assert stats["hosts_unanswered"] == 1 and stats["hosts_deadline"] == 0
    summary = engine._summary(1, {"done": 1, "absent": 0, "partial": 1}, results, {}, stats, time.monotonic())
    assert summary["complete"] is False and summary["hosts_unanswered"] == 1
    text = engine.summary_warning(summary, 10, 0.3)
    assert "1 host(s) kept an open HTTP/RTSP/SSH/... port silent within read_timeout (0.3s)" in text
    assert "read_timeout" in text.split("The inventory is incomplete")[1]
