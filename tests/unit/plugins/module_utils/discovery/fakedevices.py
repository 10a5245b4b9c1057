# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Small devices for discovery tests: real-world replies on 127.99.x.y.

Each FakeDevice listens on its own loopback address (TCP and UDP), answers the way the
product it models does (replies shaped after public captures and manuals), counts every
connection and datagram, and records what it was sent. The servers run on an event loop
in a background thread, so synchronous code (the inventory plugin, ansible-inventory in a
subprocess) can probe them.
"""

from __future__ import annotations

import asyncio
import struct
import threading


def http_reply(status="200 OK", headers=(), body=b""):
    head = "HTTP/1.1 %s\r\n" % status + "".join("%s: %s\r\n" % kv for kv in headers)
    head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return head.encode("latin-1") + body


def http_handler(reply):
    async def handle(reader, writer, dev):
        req = await reader.readuntil(b"\r\n\r\n")
        dev.received.append(req)
        writer.write(reply(req) if callable(reply) else reply)
        await writer.drain()

    return handle


def banner_handler(banner, wait_for_input=False):
    async def handle(reader, writer, dev):
        writer.write(banner)
        await writer.drain()
        if wait_for_input:
            data = await asyncio.wait_for(reader.read(1024), 2)
            dev.received.append(data)

    return handle


def request_reply_handler(reply, until=b"\r\n\r\n"):
    async def handle(reader, writer, dev):
        data = await reader.readuntil(until) if until else await reader.read(4096)
        dev.received.append(data)
        writer.write(reply(data) if callable(reply) else reply)
        await writer.drain()

    return handle


# ----------------------------------------------------------------- protocol replies
def rtsp_reply(server=None):
    def reply(req):
        cseq = b"1"
        for line in req.split(b"\r\n"):
            if line.lower().startswith(b"cseq:"):
                cseq = line.split(b":", 1)[1].strip()
        head = b"RTSP/1.0 200 OK\r\nCSeq: " + cseq + b"\r\n"
        if server:
            head += b"Server: " + server.encode() + b"\r\n"
        return (
            head
            + b"Public: OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER\r\n\r\n"
        )

    return reply


def pjl_handler(model):
    async def handle(reader, writer, dev):
        data = await reader.readuntil(b"@PJL INFO ID\r\n")
        dev.received.append(data)
        writer.write(b'@PJL INFO ID\r\n"' + model.encode() + b'"\r\n\x0c')
        await writer.drain()

    return handle


def mqtt_handler(rc=0, version=b"mosquitto version 2.0.11"):
    async def handle(reader, writer, dev):
        hdr = await reader.readexactly(2)
        body = await reader.readexactly(hdr[1])
        dev.received.append(hdr + body)
        writer.write(bytes([0x20, 0x02, 0x00, rc]))
        await writer.drain()
        if rc == 0:
            sub = await asyncio.wait_for(reader.read(256), 2)
            dev.received.append(sub)
            if sub[:1] == b"\x82":
                writer.write(b"\x90\x03\x00\x01\x00")
                topic = b"$SYS/broker/version"
                pub = struct.pack(">H", len(topic)) + topic + version
                writer.write(bytes([0x30, len(pub)]) + pub)
                await writer.drain()
            await asyncio.sleep(0.05)

    return handle


def telnet_handler(text):
    async def handle(reader, writer, dev):
        writer.write(
            b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01\xff\xfb\x03"
        )  # DO TTYPE, DO TSPEED, WILL ECHO, WILL SGA
        await writer.drain()
        data = await asyncio.wait_for(reader.read(64), 2)
        dev.received.append(data)
        writer.write(text)
        await writer.drain()
        await asyncio.sleep(0.5)

    return handle


def _nbss(payload):
    return struct.pack(">I", len(payload)) + payload


def _smb_hdr(cmd, flags2=0xC001):
    return b"\xffSMB" + bytes([cmd]) + b"\x00" * 4 + b"\x98" + struct.pack("<H", flags2) + b"\x00" * 20


def smb_xp_handler(
    os_name="Windows 5.1", lanman="Windows 2000 LAN Manager", domain="WORKGROUP", server="XP-MRI"
):
    """Windows XP SP3: SMB1 only, no extended security, OS in the null-session reply."""

    async def handle(reader, writer, dev):
        hdr = await reader.readexactly(4)
        req = await reader.readexactly(struct.unpack(">I", hdr)[0])
        dev.received.append(req)
        words = struct.pack("<HBHHIIIIQhB", 0, 0x03, 50, 1, 16644, 65536, 0x1234, 0x0000E3FD, 0, 0, 8)
        data = b"\x11" * 8 + (domain + "\x00").encode("utf-16-le") + (server + "\x00").encode("utf-16-le")
        writer.write(_nbss(_smb_hdr(0x72) + bytes([17]) + words + struct.pack("<H", len(data)) + data))
        await writer.drain()
        hdr = await reader.readexactly(4)
        req = await reader.readexactly(struct.unpack(">I", hdr)[0])
        dev.received.append(req)
        strings = b"\x00" + b"".join((s + "\x00").encode("utf-16-le") for s in (os_name, lanman, domain))
        words = struct.pack("<BBHH", 0xFF, 0, 0, 1)
        writer.write(_nbss(_smb_hdr(0x73) + bytes([3]) + words + struct.pack("<H", len(strings)) + strings))
        await writer.drain()

    return handle


def dicom_handler(impl_class="1.2.276.0.7230010.3.0.3.6.4", impl_version="OFFIS_DCMTK_364"):
    def item(t, v):
        return bytes([t, 0]) + struct.pack(">H", len(v)) + v

    async def handle(reader, writer, dev):
        hdr = await reader.readexactly(6)
        rq = await reader.readexactly(struct.unpack(">I", hdr[2:])[0])
        dev.received.append(hdr + rq)
        pres = b"\x01\x00\x00\x00" + item(0x40, b"1.2.840.10008.1.2")
        user = (
            item(0x51, struct.pack(">I", 16384))
            + item(0x52, impl_class.encode())
            + item(0x55, impl_version.encode())
        )
        body = rq[:68] + item(0x10, b"1.2.840.10008.3.1.1.1") + item(0x21, pres) + item(0x50, user)
        writer.write(b"\x02\x00" + struct.pack(">I", len(body)) + body)
        await writer.drain()
        hdr = await reader.readexactly(6)
        pdata = await reader.readexactly(struct.unpack(">I", hdr[2:])[0])
        dev.received.append(hdr + pdata)

        def el(g, e, v):
            return struct.pack("<HHI", g, e, len(v)) + v

        rest = (
            el(0, 0x0002, b"1.2.840.10008.1.1\x00")
            + el(0, 0x0100, struct.pack("<H", 0x8030))
            + el(0, 0x0120, struct.pack("<H", 1))
            + el(0, 0x0800, struct.pack("<H", 0x0101))
            + el(0, 0x0900, struct.pack("<H", 0))
        )
        cmd = el(0, 0, struct.pack("<I", len(rest))) + rest
        pdv = struct.pack(">I", len(cmd) + 2) + b"\x01\x03" + cmd
        writer.write(b"\x04\x00" + struct.pack(">I", len(pdv)) + pdv)
        await writer.drain()
        rel = await asyncio.wait_for(reader.read(10), 2)
        if rel[:1] == b"\x05":
            writer.write(b"\x06\x00\x00\x00\x00\x04\x00\x00\x00\x00")
            await writer.drain()

    return handle


# ----------------------------------------------------------------- UDP replies
def _ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, v):
    return bytes([tag]) + _ber_len(len(v)) + v


def snmp_agent(community, sysdescr, sysname="device"):
    """Answers GetRequests carrying ``community`` (others are dropped, as agents do)."""

    def reply(data, dev):
        # walk: SEQ { INT ver, OCTETS community, A0 { INT reqid, ... } }
        pos = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
        ver = data[pos + 2]
        pos += 3
        clen = data[pos + 1]
        comm = data[pos + 2 : pos + 2 + clen]
        pos += 2 + clen
        dev.communities.append(comm.decode())
        if comm.decode() != community:
            return None
        pdu_pos = pos + (2 if data[pos + 1] < 0x80 else 2 + (data[pos + 1] & 0x7F))
        rid_len = data[pdu_pos + 1]
        rid = data[pdu_pos : pdu_pos + 2 + rid_len]
        vbs = b""
        for oid, val in (
            (b"\x2b\x06\x01\x02\x01\x01\x01\x00", _tlv(0x04, sysdescr.encode())),
            (b"\x2b\x06\x01\x02\x01\x01\x02\x00", _tlv(0x06, b"\x2b\x06\x01\x04\x01\x0b\x02\x03\x09\x01")),
            (b"\x2b\x06\x01\x02\x01\x01\x05\x00", _tlv(0x04, sysname.encode())),
        ):
            vbs += _tlv(0x30, _tlv(0x06, oid) + val)
        pdu = _tlv(0xA2, rid + b"\x02\x01\x00\x02\x01\x00" + _tlv(0x30, vbs))
        return _tlv(0x30, b"\x02\x01" + bytes([ver]) + _tlv(0x04, comm) + pdu)

    return reply


def ssdp_responder(server, location):
    def reply(data, dev):
        if not data.startswith(b"M-SEARCH"):
            return None
        return (
            "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age = 1800\r\nEXT:\r\nLOCATION: %s\r\n"
            "SERVER: %s\r\nST: urn:schemas-upnp-org:device:ZonePlayer:1\r\n"
            "USN: uuid:RINCON_000E58A0B1C201400::urn:schemas-upnp-org:device:ZonePlayer:1\r\n\r\n"
            % (location, server)
        ).encode()

    return reply


def sip_responder(user_agent):
    def reply(data, dev):
        lines = data.decode("latin-1").split("\r\n")
        keep = [
            line for line in lines if line.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")
        ]
        return (
            "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nUser-Agent: %s\r\n"
            "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, REFER\r\n"
            "Content-Length: 0\r\n\r\n" % user_agent
        ).encode()

    return reply


def _dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def mdns_responder(service_type, instance, txt, hostname):
    def rr(name, rtype, rdata):
        return _dns_name(name) + struct.pack(">HHIH", rtype, 0x8001, 120, len(rdata)) + rdata

    def reply(data, dev):
        qid = data[:2]
        answers = [rr("_services._dns-sd._udp.local", 12, _dns_name(service_type))]
        if (
            service_type.encode() in data.replace(b"\x0b", b".").replace(b"\x04", b".")
            or b"_services" not in data
        ):
            pass
        answers.append(rr(service_type, 12, _dns_name(instance)))
        txt_raw = b"".join(bytes([len(t)]) + t.encode() for t in txt)
        answers.append(rr(instance, 16, txt_raw))
        answers.append(rr(instance, 33, struct.pack(">HHH", 0, 0, 8009) + _dns_name(hostname + ".local")))
        answers.append(rr(hostname + ".local", 1, bytes([127, 99, 0, 1])))
        return qid + struct.pack(">HHHHH", 0x8400, 0, len(answers), 0, 0) + b"".join(answers)

    return reply


# ----------------------------------------------------------------- the device
class FakeDevice:
    def __init__(self, address, tcp=None, udp=None):
        self.address = address
        self.tcp = dict(tcp or {})
        self.udp = dict(udp or {})
        self.connections = 0
        self.datagrams = 0
        self.received = []
        self.communities = []


class FakeSite:
    """Runs FakeDevices on a background event loop; use as a context manager."""

    def __init__(self, devices):
        self.devices = list(devices)
        self.loop = asyncio.new_event_loop()
        self._servers = []
        self._transports = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    @property
    def connections(self):
        return sum(d.connections for d in self.devices)

    @property
    def datagrams(self):
        return sum(d.datagrams for d in self.devices)

    async def _start(self):
        for dev in self.devices:
            for port, handler in dev.tcp.items():
                self._servers.append(await asyncio.start_server(self._wrap(dev, handler), dev.address, port))
            for port, responder in dev.udp.items():
                transport, _proto = await self.loop.create_datagram_endpoint(
                    lambda d=dev, r=responder: _Udp(d, r), local_addr=(dev.address, port)
                )
                self._transports.append(transport)

    async def _stop(self):
        for s in self._servers:
            s.close()
        for t in self._transports:
            t.close()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    @staticmethod
    def _wrap(dev, handler):
        async def run(reader, writer):
            dev.connections += 1
            try:
                await handler(reader, writer, dev)
            except (
                asyncio.IncompleteReadError,
                asyncio.TimeoutError,
                ConnectionError,
                asyncio.CancelledError,
            ):
                pass
            finally:
                writer.close()

        return run


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, dev, responder):
        self.dev = dev
        self.responder = responder

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.dev.datagrams += 1
        self.dev.received.append(data)
        try:
            reply = self.responder(data, self.dev)
        except (IndexError, ValueError):
            reply = None
        if reply:
            self.transport.sendto(reply, addr)


# ----------------------------------------------------------------- a small mixed site
def small_site(base="127.99.1"):
    """Eight products, one per address; replies follow what the real products send."""
    sonos_desc = (
        b'<?xml version="1.0" encoding="utf-8" ?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>'
        b"<deviceType>urn:schemas-upnp-org:device:ZonePlayer:1</deviceType>"
        b"<friendlyName>Waiting Room - Sonos One</friendlyName><manufacturer>Sonos, Inc.</manufacturer>"
        b"<modelNumber>S18</modelNumber><modelName>Sonos One</modelName></device></root>"
    )
    return {
        "hikvision": FakeDevice(
            base + ".10",
            tcp={
                80: http_handler(
                    http_reply(
                        "302 Found",
                        [("Server", "App-webs/"), ("Location", "/doc/page/login.asp?_1700000000")],
                    )
                ),
                554: request_reply_handler(rtsp_reply()),
                22: banner_handler(b"SSH-2.0-OpenSSH_7.3\r\n"),
            },
        ),
        "hp_printer": FakeDevice(
            base + ".11",
            tcp={
                9100: pjl_handler("HP LaserJet Pro M404dn"),
                80: http_handler(
                    http_reply(
                        headers=[
                            (
                                "Server",
                                "HP HTTP Server; HP LaserJet Pro M404dn - W1A53A; Serial Number: PHB8K12345",
                            )
                        ],
                        body=b"<html><head><title>HP LaserJet Pro M404dn</title></head></html>",
                    )
                ),
            },
            udp={
                161: snmp_agent(
                    "public",
                    "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23500004,"
                    "CIDATE 10/15/2020",
                )
            },
        ),
        "polycom": FakeDevice(
            base + ".12",
            udp={5060: sip_responder("PolycomVVX-VVX_411-UA/6.3.1.8427")},
        ),
        "windows_xp": FakeDevice(base + ".13", tcp={445: smb_xp_handler()}),
        "pacs": FakeDevice(base + ".14", tcp={104: dicom_handler()}),
        "sonos": FakeDevice(
            base + ".15",
            tcp={
                1400: http_handler(http_reply(headers=[("Content-Type", "text/xml")], body=sonos_desc)),
            },
            udp={
                1900: ssdp_responder(
                    "Linux UPnP/1.0 Sonos/70.3-88200 (ZPS18)",
                    "http://%s.15:1400/xml/device_description.xml" % base,
                )
            },
        ),
        "googlehome": FakeDevice(
            base + ".16",
            udp={
                5353: mdns_responder(
                    "_googlecast._tcp.local",
                    "Google-Home-Mini-8f3a._googlecast._tcp.local",
                    ["id=8f3a", "md=Google Home Mini", "fn=Front Desk speaker"],
                    "Google-Home-Mini-8f3a",
                )
            },
        ),
        "busybox_dvr": FakeDevice(
            base + ".17",
            tcp={
                23: telnet_handler(b"\r\n(none) login: "),
                80: http_handler(
                    http_reply(
                        headers=[("Server", "uc-httpd 1.0.0")], body=b"<title>NETSurveillance WEB</title>"
                    )
                ),
                1883: mqtt_handler(0),
            },
        ),
    }
