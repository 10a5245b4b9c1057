# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Asynchronous, bounded probes: TCP connect + banner grab per port, UDP sweeps.

One ``Scanner`` scans many hosts at once:

* TCP: one connection per (host, port); the probe that port's protocol needs runs on that
  connection (SSH/FTP/telnet banners, HTTP(S) GET /, RTSP OPTIONS, MQTT CONNECT, PJL INFO
  ID, SIP OPTIONS, SMB negotiate + anonymous session set-up, DICOM association + C-ECHO).
  A budget of ``concurrency`` sockets admits hosts as it frees up (a host starts once
  there are slots for its ports, so its ``host_timeout`` counts from when it really
  starts); ``host_rate`` bounds new connections per second to one host; every step has a
  timeout. A closed port costs a socket and a callback, not a task.
* UDP: when a host starts, each probe kind sends it one datagram (SNMP: one per
  community) from a socket shared by a chunk of hosts; replies are matched by source
  address, and the host's window closes ``udp_timeout`` later. UDP and TCP advance
  together, and a thousand silent hosts do not cost a thousand timeouts.
* Nothing is dropped silently: a host cut short carries ``status`` (``partial`` or
  ``not_scanned``) and ``ports_not_probed``; ``Scanner.stats`` counts deadlines, ports not
  probed and probes refused for lack of file descriptors.

Nothing here tries a credential: MQTT connects without one, SMB sets up the anonymous
(null) session, SNMP uses the communities the caller configured.
"""

from __future__ import annotations

import asyncio
import collections
import errno
import functools
import os
import socket
import ssl
import struct
import time
import warnings

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import wire

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - the TLS certificate is then not read
    HAS_CRYPTOGRAPHY = False

TCP_PROTOCOLS = {
    21: "ftp",
    22: "ssh",
    23: "telnet",
    80: "http",
    104: "dicom",
    443: "https",
    445: "smb",
    554: "rtsp",
    631: "http",
    1400: "http",
    1883: "mqtt",
    2323: "telnet",
    4242: "dicom",
    5000: "http",
    5060: "sip",
    8000: "http",
    8008: "http",
    8080: "http",
    8443: "https",
    8554: "rtsp",
    9100: "jetdirect",
    11112: "dicom",
}
DEFAULT_PORTS = [
    21,
    22,
    23,
    80,
    104,
    443,
    445,
    554,
    631,
    1400,
    1883,
    2323,
    5000,
    5060,
    8000,
    8008,
    8080,
    8443,
    9100,
    11112,
]
UDP_PROBES = ("snmp", "ssdp", "mdns", "sip", "bacnet")
UDP_PORTS = {"snmp": 161, "ssdp": 1900, "mdns": 5353, "sip": 5060, "bacnet": 47808}
MDNS_SERVICES = "_services._dns-sd._udp.local"
KNOWN_SNMP_COMMUNITIES = ("public", "private")
UDP_CHUNK = 64
# UDP probes bind the wildcard address: replies come from every probed host
ANY_ADDRESS = "0.0.0.0"  # noqa: S104


def _grow_rcvbuf(sock, size=1 << 20):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    except (OSError, AttributeError):
        pass


class ScanConfig:
    """Probe options, validated; ``errors`` names the option and the fix."""

    def __init__(
        self,
        ports=None,
        udp_probes=UDP_PROBES,
        snmp_communities=("public",),
        concurrency=256,
        host_rate=100.0,
        connect_timeout=1.0,
        read_timeout=2.0,
        udp_timeout=1.0,
        host_timeout=15.0,
        banner_limit=256,
        port_protocols=None,
    ):
        self.ports = list(DEFAULT_PORTS if ports is None else ports)
        self.udp_probes = list(udp_probes or ())
        self.snmp_communities = list(snmp_communities or ())
        self.concurrency = concurrency
        self.host_rate = host_rate
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.udp_timeout = udp_timeout
        self.host_timeout = host_timeout
        self.banner_limit = banner_limit
        self.port_protocols = dict(TCP_PROTOCOLS)
        self.port_protocols.update(port_protocols or {})
        self.validate()

    def validate(self):
        from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import (
            DiscoveryError,
        )

        for i, p in enumerate(self.ports):
            if not isinstance(p, int) or isinstance(p, bool) or not 0 < p < 65536:
                raise DiscoveryError(
                    "ports[%d]" % i, p, "is not a TCP port", "use an integer from 1 to 65535"
                )
        for i, u in enumerate(self.udp_probes):
            if u not in UDP_PROBES:
                raise DiscoveryError(
                    "udp_probes[%d]" % i, u, "is not a UDP probe", "choose from %s" % ", ".join(UDP_PROBES)
                )
        for name in ("connect_timeout", "read_timeout", "udp_timeout", "host_timeout"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 < v <= 300:
                raise DiscoveryError(
                    name, v, "is not a timeout in seconds", "use a number above 0 and at most 300"
                )
        if not isinstance(self.concurrency, int) or not 1 <= self.concurrency <= 10000:
            raise DiscoveryError(
                "concurrency", self.concurrency, "is out of range", "use an integer from 1 to 10000"
            )
        if not isinstance(self.host_rate, (int, float)) or self.host_rate < 0:
            raise DiscoveryError(
                "host_rate", self.host_rate, "is not a rate", "use connections per second >= 0 (0: no limit)"
            )
        for port, proto in self.port_protocols.items():
            if proto not in PROBES:
                raise DiscoveryError(
                    "port_protocols[%s]" % port,
                    proto,
                    "is not a probe",
                    "choose from %s" % ", ".join(sorted(PROBES)),
                )


if hasattr(asyncio, "timeout"):  # Python 3.11+: a deadline without an extra task per wait

    async def _within(awaitable, seconds):
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - older Pythons

    async def _within(awaitable, seconds):
        return await asyncio.wait_for(awaitable, seconds)


class _HostRate:
    """Spaces connection starts to one host at least ``1/rate`` seconds apart."""

    def __init__(self, rate):
        self.interval = 1.0 / rate if rate else 0.0
        self.next = 0.0

    def reserve(self, now):
        """0.0 when a connection may start at ``now`` (the start is booked), else the seconds to wait."""
        if not self.interval:
            return 0.0
        at = max(now, self.next)
        if at > now:
            return at - now
        self.next = at + self.interval
        return 0.0

    async def wait(self):
        while True:
            left = self.reserve(time.monotonic())
            if not left:
                return
            await asyncio.sleep(left)


async def _read(reader, limit, timeout, done=None):
    """Read until EOF, ``limit`` bytes, ``done(buf)`` true, or ``timeout`` seconds in all."""
    buf = bytearray()
    deadline = time.monotonic() + timeout
    while len(buf) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            chunk = await _within(reader.read(min(65536, limit - len(buf))), left)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            break
        if not chunk:
            break
        buf += chunk
        if done is not None and done(buf):
            break
    return bytes(buf)


def _http_done(buf):
    head, sep, body = bytes(buf).partition(b"\r\n\r\n")
    if not sep:
        return False
    low = head.lower()
    if b"content-length:" in low:
        try:
            n = int(low.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0].strip())
        except ValueError:
            return b"</title" in body.lower()
        return len(body) >= n
    return b"</title" in body.lower()


def _headers_done(buf):
    return b"\r\n\r\n" in buf


def _line_done(buf):
    return b"\n" in buf


class _Conn:
    def __init__(self, reader, writer, cfg, address, port):
        self.reader = reader
        self.writer = writer
        self.cfg = cfg
        self.address = address
        self.port = port
        self.sent = []

    async def send(self, data):
        self.sent.append(len(data))
        self.writer.write(data)
        await self.writer.drain()

    def read(self, limit=4096, done=None, timeout=None):
        return _read(self.reader, limit, timeout or self.cfg.read_timeout, done)


async def probe_banner(c, first_line=False):
    data = await c.read(1024, _line_done if first_line else None, timeout=c.cfg.read_timeout)
    out = {}
    if data:
        out["banner"] = hostile.text(data.split(b"\n")[0] if first_line else data, c.cfg.banner_limit)
    return out


async def probe_ssh(c):
    out = await probe_banner(c, first_line=True)
    if out.get("banner", "").startswith("SSH-"):
        out["protocol"] = "ssh"
    return out


async def probe_ftp(c):
    return await probe_banner(c, first_line=True)


async def probe_telnet(c):
    text = bytearray()
    deadline = time.monotonic() + c.cfg.read_timeout
    while len(text) < 2048 and time.monotonic() < deadline:
        # stop once a prompt has arrived and the device went quiet
        idle = 0.3 if text.strip() else deadline - time.monotonic()
        data = await _read(c.reader, 2048, max(0.01, min(idle, deadline - time.monotonic())), lambda b: True)
        if not data:
            break
        chunk, reply = wire.telnet_strip(data)
        text += chunk
        if reply:
            await c.send(reply)
        low = bytes(text).lower().rstrip()
        if low.endswith((b"login:", b"username:", b"password:", b"user name:", b">", b"#")):
            break
    return {"banner": hostile.text(bytes(text), c.cfg.banner_limit)} if text.strip() else {}


async def probe_http(c):
    host = c.address if ":" not in c.address else "[%s]" % c.address
    req = (
        "GET / HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: iotguard-discovery/1.0\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n" % (host, c.port)
    ).encode("ascii")
    await c.send(req)
    data = await c.read(65536, _http_done)
    try:
        out = wire.http_summary(data)
    except ValueError:
        return {"banner": hostile.text(data, c.cfg.banner_limit)} if data else {}
    tls = c.writer.get_extra_info("ssl_object")
    if tls is not None:
        out.update(_tls_info(tls))
    return out


def _tls_info(tls):
    out = {}
    try:
        der = tls.getpeercert(binary_form=True)
        out["tls_version"] = tls.version()
    except (ValueError, AttributeError):
        return out
    if der and HAS_CRYPTOGRAPHY:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            return out
        for key, name in (("tls_subject", cert.subject), ("tls_issuer", cert.issuer)):
            parts = []
            for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME):
                for attr in name.get_attributes_for_oid(oid):
                    parts.append("%s=%s" % (oid._name, attr.value))
            if parts:
                out[key] = hostile.text(", ".join(parts), 200)
    return out


async def probe_rtsp(c):
    req = "OPTIONS rtsp://%s:%d/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: iotguard-discovery/1.0\r\n\r\n" % (
        c.address,
        c.port,
    )
    await c.send(req.encode("ascii"))
    data = await c.read(8192, _headers_done)
    try:
        status, headers = wire.parse_http_like(data)[:2]
    except ValueError:
        return {}
    if not status.upper().startswith("RTSP/"):
        return {"banner": hostile.text(data, c.cfg.banner_limit)}
    out = {"status": hostile.text(status, 80)}
    if headers.get("server"):
        out["server"] = hostile.text(headers["server"], 200)
    if headers.get("public"):
        out["methods"] = hostile.text(headers["public"], 200)
    return out


async def probe_mqtt(c):
    await c.send(wire.mqtt_connect())
    data = await c.read(4, lambda b: len(b) >= 4)
    try:
        out = wire.parse_mqtt_connack(data)
    except ValueError:
        return {"banner": hostile.text(data, c.cfg.banner_limit)} if data else {}
    if out["anonymous"]:
        await c.send(wire.mqtt_subscribe("$SYS/broker/version"))
        more = await c.read(1024, lambda b: any((x >> 4) == 3 for x in b[:1]) and len(b) > 8, timeout=0.5)
        try:
            _topic, payload = wire.parse_mqtt_publish(more)
            out["version"] = payload
        except (ValueError, IndexError):
            pass
        try:
            await c.send(b"\xe0\x00")  # DISCONNECT
        except (ConnectionError, OSError):
            pass
    return out


async def probe_jetdirect(c):
    await c.send(wire.PJL_INFO_ID)
    data = await c.read(2048, lambda b: b"\x0c" in b or bytes(b).count(b"\n") >= 2)
    try:
        return wire.parse_pjl_id(data)
    except ValueError:
        return {"banner": hostile.text(data, c.cfg.banner_limit)} if data else {}


async def probe_sip_tcp(c):
    local = c.writer.get_extra_info("sockname")
    await c.send(wire.sip_options(c.address, local[0], local[1], os.urandom(6).hex(), "TCP"))
    data = await c.read(8192, _headers_done)
    try:
        return wire.sip_summary(data)
    except ValueError:
        return {}


async def probe_smb(c):
    await c.send(wire.smb_negotiate())
    data = await c.read(4096, _nbss_done)
    try:
        out = wire.parse_smb_negotiate(data)
    except ValueError:
        return {}
    if out.get("smb1") and not out.get("extended_security"):
        await c.send(wire.smb_session_setup(out.get("session_key", 0)))
        data = await c.read(4096, _nbss_done)
        try:
            out.update(wire.parse_smb_session_setup(data))
        except (ValueError, IndexError):
            pass
    out.pop("session_key", None)
    return out


def _nbss_done(buf):
    return len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(bytes(buf[1:4]), "big")


def _pdu_done(buf):
    return len(buf) >= 6 and len(buf) >= 6 + int.from_bytes(bytes(buf[2:6]), "big")


async def probe_dicom(c):
    await c.send(wire.dicom_associate_rq())
    data = await c.read(16384, _pdu_done)
    try:
        out = wire.parse_dicom_associate(data)
    except ValueError:
        return {}
    if out.get("association") == "accepted" and out.get("accepted_contexts"):
        await c.send(wire.dicom_c_echo_rq())
        data = await c.read(4096, _pdu_done)
        try:
            out.update(wire.parse_dicom_c_echo_rsp(data))
        except (ValueError, IndexError, struct.error) as exc:
            out["echo_error"] = hostile.text(str(exc), 80)
        try:
            await c.send(wire.DICOM_RELEASE_RQ)
            await c.read(10, _pdu_done, timeout=0.5)
        except (ConnectionError, OSError):
            pass
    return out


async def probe_none(c):
    return {}


async def probe_generic(c):
    """Unknown port: take what the device says first; if silent, try HTTP."""
    data = await c.read(1024, _line_done, timeout=min(0.5, c.cfg.read_timeout))
    if data:
        return {"banner": hostile.text(data, c.cfg.banner_limit)}
    return await probe_http(c)


PROBES = {
    "ftp": probe_ftp,
    "ssh": probe_ssh,
    "telnet": probe_telnet,
    "http": probe_http,
    "https": probe_http,
    "rtsp": probe_rtsp,
    "mqtt": probe_mqtt,
    "jetdirect": probe_jetdirect,
    "sip": probe_sip_tcp,
    "smb": probe_smb,
    "dicom": probe_dicom,
    "generic": probe_generic,
    "none": probe_none,
}


def tls_context():
    """Devices carry self-signed or expired certificates and old TLS: read, never trust."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1  # old device firmware speaks no newer TLS
    except (ssl.SSLError, ValueError):
        pass
    return ctx


FD_RETRY = 0.05  # seconds before a port refused for lack of descriptors is tried again
# the controller could not start the probe (descriptors, buffers, local ports): try again
LOCAL_SHORTAGE = frozenset(
    getattr(errno, n) for n in ("EMFILE", "ENFILE", "ENOBUFS", "ENOMEM", "EADDRNOTAVAIL") if hasattr(errno, n)
)
CONNECTING = frozenset((errno.EINPROGRESS, errno.EAGAIN, errno.EALREADY, errno.EWOULDBLOCK))
# the socket type under socket.socket: a closed port never needs the Python wrapper around it
_RawSocket = socket.socket.__mro__[1]
HOSTS_IN_FLIGHT = 4096  # hosts in flight at most (most of them only waiting out their UDP window)


FD_RESERVE = 64  # descriptors left to the controller itself (files, pipes, plugins)
MAX_CONCURRENCY = 1024  # more buries slow devices in connections at once; no faster on 2 cores


def nofile_limits():
    """``(soft, hard)`` open-file limits of this process (None where there are none)."""
    try:
        import resource

        return resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):  # pragma: no cover - not a POSIX system
        return None


def raise_nofile():
    """Raise the soft open-file limit up to the hard one; ``(before, after)`` soft limits."""
    limits = nofile_limits()
    if limits is None:  # pragma: no cover
        return None, None
    import resource

    soft, hard = limits
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, hard
    return soft, soft


def auto_concurrency(ports, udp_kinds, soft=None):
    """Sockets at once that fit the soft open-file limit.

    What is left after the controller's own files and the UDP sockets of the hosts in
    flight, at most MAX_CONCURRENCY, at least one host's ports when the limit allows.
    """
    if soft is None:
        limits = nofile_limits()
        soft = limits[0] if limits else 1024
    if soft < 0:  # RLIM_INFINITY
        soft = 1 << 20
    udp = -(-HOSTS_IN_FLIGHT // UDP_CHUNK) * udp_kinds
    left = soft - FD_RESERVE - udp
    return max(1, min(MAX_CONCURRENCY, max(left, min(len(ports) or 1, soft - FD_RESERVE))))


class _Slots:
    """A budget of sockets (or hosts) with one waiter: the admission loop."""

    def __init__(self, n):
        self.free = n
        self._need = 0
        self._waiter = None

    async def take(self, n):
        while self.free < n:
            self._need = n
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        self.free -= n

    def give(self, n):
        self.free += n
        w = self._waiter
        if w is not None and self.free >= self._need:
            self._waiter = None
            if not w.done():
                w.set_result(None)


class _HostScan:
    """The TCP ports of one host, at most ``slots`` at once, driven by callbacks.

    A closed port costs a socket, a non-blocking connect and one callback, no task; an open
    port gets a task for its probe. The host's deadline starts here, when it really starts,
    and the slots it no longer needs go back to the budget as its ports finish.
    """

    def __init__(self, scanner, address, slots):
        self.sc = scanner
        self.cfg = scanner.cfg
        self.loop = asyncio.get_running_loop()
        self.address = address
        self.family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.slots = slots
        self.todo = collections.deque(self.cfg.ports)
        self.active = 0
        self.connecting = {}  # fd -> (sock, port, timer)
        self.probing = {}  # task -> port
        self.found = {}  # port -> what the open port said
        self.answered = 0
        self.not_probed = 0
        self.expired = False
        self.rate = _HostRate(self.cfg.host_rate)
        self.wake = None
        self.filling = False
        self.deadline = None
        self.done = self.loop.create_future()

    def start(self):
        self.deadline = self.loop.call_later(self.cfg.host_timeout, self._expire)
        self._fill()
        return self.done

    def _later(self, seconds):
        if self.wake is None:
            self.wake = self.loop.call_later(seconds, self._wake)

    def _wake(self):
        self.wake = None
        self._fill()

    def _fill(self):
        if self.filling or self.done.done():
            return
        self.filling = True
        try:
            while self.todo and self.active < self.slots:
                wait = self.rate.reserve(self.loop.time())
                if wait:
                    self._later(wait)
                    break
                port = self.todo.popleft()
                self.active += 1
                if not self._connect(port):
                    self._later(FD_RETRY)
                    break
        finally:
            self.filling = False
        need = min(self.slots, self.active + len(self.todo))
        if need < self.slots:
            self.sc._slots.give(self.slots - need)
            self.slots = need
        if not self.active and not self.todo:
            self._finish()

    def _connect(self, port):
        try:
            sock = _RawSocket(self.family, socket.SOCK_STREAM)
        except OSError:
            return self._short(port)
        sock.setblocking(False)
        try:
            err = sock.connect_ex((self.address, port))
        except OSError as exc:
            err = exc.errno
        if err in LOCAL_SHORTAGE:
            sock.close()
            return self._short(port)
        self.sc.stats["tcp_connects"] += 1
        if err in CONNECTING:
            # asking again costs one system call and, where the answer is already there (a
            # near or local device), saves registering the socket with the event loop
            err = sock.connect_ex((self.address, port))
            if err == errno.EISCONN:
                err = 0
        if err == 0:
            self._opened(sock, port)
        elif err in CONNECTING:
            fd = sock.fileno()
            timer = self.loop.call_later(self.cfg.connect_timeout, self._connected, fd, True)
            self.connecting[fd] = (sock, port, timer)
            self.loop.add_writer(fd, self._connected, fd, False)
        else:  # refused or unreachable: closed
            sock.close()
            self._port_done(port, None)
        return True

    def _short(self, port):
        self.sc.stats["fd_refused"] += 1
        self.todo.appendleft(port)
        self.active -= 1
        return False

    def _connected(self, fd, timed_out):
        entry = self.connecting.pop(fd, None)
        if entry is None:
            return
        sock, port, timer = entry
        self.loop.remove_writer(fd)
        if not timed_out:
            timer.cancel()
        if timed_out or sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            sock.close()
            self._port_done(port, None)
        else:
            self._opened(sock, port)

    def _opened(self, raw, port):
        self.sc.stats["tcp_open"] += 1
        sock = socket.socket(self.family, socket.SOCK_STREAM, fileno=raw.detach())
        task = self.loop.create_task(self.sc._probe_open(sock, self.address, port))
        self.probing[task] = port
        task.add_done_callback(self._probed)

    def _probed(self, task):
        port = self.probing.pop(task, None)
        if port is None or task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            info = task.result()
        else:
            info = {
                "protocol": self.cfg.port_protocols.get(port, "generic"),
                "error": hostile.text("%s: %s" % (type(exc).__name__, exc), 120),
            }
        self._port_done(port, info)

    def _port_done(self, port, info):
        self.active -= 1
        self.answered += 1
        if info is not None:
            self.found[port] = info
        self._fill()

    def _finish(self):
        if self.done.done():
            return
        self.deadline.cancel()
        if self.wake is not None:
            self.wake.cancel()
            self.wake = None
        self.sc._slots.give(self.slots)
        self.slots = 0
        self.done.set_result(None)

    def _expire(self):
        if self.done.done():
            return
        self.expired = True
        self.not_probed = len(self.todo) + len(self.connecting) + len(self.probing)
        for fd, (sock, _port, timer) in self.connecting.items():
            timer.cancel()
            self.loop.remove_writer(fd)
            sock.close()
        self.connecting.clear()
        probing, self.probing = self.probing, {}
        for task in probing:
            task.cancel()
        self.todo.clear()
        self.active = 0
        self._finish()

    def result(self):
        ports = [p for p in dict.fromkeys(self.cfg.ports) if p in self.found]
        out = {"open_ports": ports, "services": {"%d/tcp" % p: self.found[p] for p in ports}}
        if self.expired:
            stats = self.sc.stats
            # what finished in time is still reported
            out["error"] = "host_timeout (%ss) reached; %d port(s) not probed" % (
                self.cfg.host_timeout,
                self.not_probed,
            )
            out["status"] = "partial" if self.answered else "not_scanned"
            out["ports_not_probed"] = self.not_probed
            stats["hosts_deadline"] += 1
            stats["ports_not_probed"] += self.not_probed
        unanswered = [
            "%d/%s" % (p, self.found[p]["protocol"]) for p in ports if self.found[p].get("unanswered")
        ]
        if unanswered:
            out["unanswered_ports"] = unanswered
            self.sc.stats["hosts_unanswered"] += 1
            if not self.expired:
                out["status"] = "partial"
                out["error"] = (
                    "open but silent within read_timeout (%ss): %s; classified without their answer"
                    % (
                        self.cfg.read_timeout,
                        ", ".join(unanswered),
                    )
                )
        return out


class _UdpProbes:
    """Per probe kind, one socket for each chunk of ``UDP_CHUNK`` hosts (a burst of replies
    never overflows one socket's receive buffer; a lost reply is a device misread). Replies
    are read by callbacks and kept only for hosts still in their window."""

    def __init__(self, scanner):
        self.sc = scanner
        self.loop = asyncio.get_running_loop()
        self.socks = {}  # kind -> [socket, hosts sent from it]
        self.open = set()
        self.replies = {kind: {} for kind in scanner.cfg.udp_probes}
        self.expect = {}
        self.rid = int.from_bytes(os.urandom(3), "big")

    def send(self, address):
        stats = self.sc.stats
        for kind, waiting in self.replies.items():
            sock, name = self._sock(kind)
            if sock is None:
                stats["udp_unsent"] += 1
                continue
            waiting[address] = []
            for payload in self.sc._udp_payloads(kind, address, name, self.rid, self.expect):
                try:
                    sock.sendto(payload, (address, UDP_PORTS[kind]))
                    stats["udp_datagrams"] += 1
                except OSError:
                    stats["udp_unsent"] += 1

    def take(self, address):
        """``({kind: [datagram, ...]}, SNMP request ids)`` of one host; forgets them here."""
        replies = {kind: waiting.pop(address, []) for kind, waiting in self.replies.items()}
        return replies, self.expect.pop(address, None)

    def _sock(self, kind):
        entry = self.socks.get(kind)
        if entry is not None and entry[1] < UDP_CHUNK:
            entry[1] += 1
            return entry[0], entry[2]
        if entry is not None:
            # its last host's window ends within udp_timeout
            self.loop.call_later(self.sc.cfg.udp_timeout + 0.5, self._close, entry[0])
        self.socks.pop(kind, None)
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        except OSError:
            self.sc.stats["fd_refused"] += 1
            return None, None
        try:
            sock.setblocking(False)
            sock.bind((ANY_ADDRESS, 0))
            name = sock.getsockname()
        except OSError:
            sock.close()
            self.sc.stats["fd_refused"] += 1
            return None, None
        _grow_rcvbuf(sock)
        self.loop.add_reader(sock.fileno(), self._readable, sock, self.replies[kind])
        self.open.add(sock)
        self.socks[kind] = [sock, 1, name]
        return sock, name

    def _readable(self, sock, waiting):
        stats = self.sc.stats
        while True:
            try:
                data, addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            stats["udp_replies"] += 1
            box = waiting.get(addr[0])
            if box is not None and len(box) < 8:
                box.append(data)

    def _close(self, sock):
        if sock in self.open:
            self.open.discard(sock)
            self.loop.remove_reader(sock.fileno())
            sock.close()

    def close(self):
        for sock in list(self.open):
            self._close(sock)


class Scanner:
    """Scan addresses; ``stats`` counts what was sent and what was cut short.

    Hosts are admitted as the socket budget (``concurrency``) frees up: a host starts when
    there are slots for its ports, so it never waits on the budget mid-way and its deadline
    (``host_timeout``) measures its own probes. Each host's UDP datagrams go out when it
    starts, so UDP sweeps and TCP probes advance together and neither starves the other.
    """

    STATS = (
        "tcp_connects",
        "tcp_open",
        "udp_datagrams",
        "udp_replies",
        "udp_unsent",
        "fd_refused",
        "hosts_deadline",
        "ports_not_probed",
        "open_silent",
        "hosts_unanswered",
    )

    def __init__(self, cfg):
        self.cfg = cfg
        self.stats = dict.fromkeys(self.STATS, 0)
        self._tls = None
        self._slots = None
        self._udp = None

    # ---------------------------------------------------------------- TCP
    async def _probe_open(self, sock, address, port):
        proto = self.cfg.port_protocols.get(port, "generic")
        tls = None
        if proto == "https":
            if self._tls is None:
                self._tls = tls_context()
            tls = self._tls
        try:
            reader, writer = await _within(
                asyncio.open_connection(sock=sock, ssl=tls, server_hostname=None if tls is None else ""),
                self.cfg.read_timeout,
            )
        except ssl.SSLError as exc:
            sock.close()
            # the port is open, the TLS handshake failed: say so
            return {"protocol": proto, "error": hostile.text("TLS: %s" % exc.reason, 120)}
        except (OSError, asyncio.TimeoutError):
            sock.close()
            return {"protocol": proto, "error": "open, but the session could not start"}
        conn = _Conn(reader, writer, self.cfg, address, port)
        info = {"protocol": proto}
        try:
            info.update(await _within(PROBES[proto](conn), self.cfg.read_timeout * 3))
        except (asyncio.TimeoutError, ConnectionError, OSError, ValueError, IndexError) as exc:
            info["error"] = hostile.text("%s: %s" % (type(exc).__name__, exc), 120)
        finally:
            # closed, not awaited: the socket is gone on the loop's next turn
            writer.close()
        if len(info) == 1:  # open, but nothing came back within read_timeout
            self.stats["open_silent"] += 1
            if proto != "generic":
                # a known protocol that did not answer (a slow device, a loaded scanner):
                # what the device is rests on its ports alone, and the host says so
                info["unanswered"] = True
        return info

    # ---------------------------------------------------------------- UDP
    def _udp_payloads(self, kind, address, sock, rid, expect):
        if kind == "snmp":
            ids = {}
            for i, community in enumerate(self.cfg.snmp_communities):
                request_id = (rid + i) & 0x7FFFFFFF
                ids[request_id] = i
                yield wire.snmp_get_request(community, request_id, "2c")
            expect[address] = ids
        elif kind == "ssdp":
            yield wire.ssdp_msearch()
        elif kind == "mdns":
            yield wire.dns_query([MDNS_SERVICES])
        elif kind == "sip":
            yield wire.sip_options(address, "0.0.0.0", sock[1], os.urandom(6).hex())  # noqa: S104 - Via host is informative only
        elif kind == "bacnet":
            yield wire.BACNET_WHO_IS

    def _udp_parse(self, kind, datagrams, expect):
        for data in datagrams:
            try:
                if kind == "snmp":
                    request_id, values = wire.parse_snmp_response(data)
                    if expect is None or request_id not in expect:
                        continue
                    community = self.cfg.snmp_communities[expect[request_id]]
                    values["community"] = (
                        community
                        if community in KNOWN_SNMP_COMMUNITIES
                        else "configured #%d" % expect[request_id]
                    )
                    values["version"] = "2c"
                    return values
                if kind == "ssdp":
                    headers = wire.parse_http_like(data)[1]
                    out = {}
                    for key in ("server", "location", "st", "usn"):
                        if headers.get(key):
                            out[key] = hostile.text(headers[key], 200)
                    if out:
                        return out
                if kind == "mdns":
                    records = wire.parse_dns_response(data)
                    return _mdns_summary(records)
                if kind == "sip":
                    return wire.sip_summary(data)
                if kind == "bacnet":
                    return wire.parse_bacnet_i_am(data)
            except (ValueError, IndexError, KeyError, UnicodeError):
                continue
        return None

    async def _mdns_followup(self, address, services):
        """Ask one responder for instances of the service types it announced."""
        loop = asyncio.get_running_loop()
        got = []

        def on_reply(data, addr):
            if addr[0] == address:
                got.append(data[:65536])

        def protocol_factory():
            return _Datagrams(on_reply)

        transport, _proto = await loop.create_datagram_endpoint(protocol_factory, local_addr=(ANY_ADDRESS, 0))
        try:
            transport.sendto(wire.dns_query(services[:8]), (address, 5353))
            self.stats["udp_datagrams"] += 1
            await asyncio.sleep(min(0.5, self.cfg.udp_timeout))
        finally:
            transport.close()
        records = []
        for data in got:
            try:
                records.extend(wire.parse_dns_response(data))
            except (ValueError, IndexError):
                continue
        return _mdns_summary(records)

    async def _ssdp_location(self, address, location):
        """Fetch the UPnP description, but only from the probed address itself."""
        from urllib.parse import urlsplit

        try:
            u = urlsplit(location)
            port = u.port or 80
        except ValueError:
            return {}
        if u.scheme != "http" or u.hostname != address:
            return {}
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port), self.cfg.connect_timeout
            )
        except (OSError, asyncio.TimeoutError):
            return {}
        self.stats["tcp_connects"] += 1
        try:
            path = (u.path or "/") + ("?" + u.query if u.query else "")
            req = "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (path, address, port)
            writer.write(req.encode("ascii", "replace"))
            await writer.drain()
            data = await _read(reader, 65536, self.cfg.read_timeout, _http_done)
        finally:
            writer.close()
        body = data.partition(b"\r\n\r\n")[2]
        return wire.upnp_description(body)

    # ---------------------------------------------------------------- one host
    async def _host(self, address, slots):
        loop = asyncio.get_running_loop()
        udp_until = None
        if self._udp is not None and ":" not in address:
            self._udp.send(address)
            udp_until = loop.time() + self.cfg.udp_timeout
        if slots:
            scan = _HostScan(self, address, slots)
            await scan.start()
            result = scan.result()
        else:
            result = {"open_ports": [], "services": {}}
        if udp_until is not None:
            left = udp_until - loop.time()
            if left > 0:
                await asyncio.sleep(left)
            await self._udp_result(address, result)
        return result

    async def _udp_result(self, address, result):
        replies, expect = self._udp.take(address)
        follow = []
        for kind, datagrams in replies.items():
            if not datagrams:
                continue
            info = self._udp_parse(kind, datagrams, expect)
            if not info:
                continue
            result["services"]["%d/udp" % UDP_PORTS[kind]] = dict(info, protocol=kind)
            if kind == "mdns" and info.get("service_types") and not info.get("instances"):
                follow.append(("mdns", self._mdns_followup(address, info["service_types"])))
            if kind == "ssdp" and info.get("location"):
                follow.append(("ssdp", self._ssdp_location(address, info["location"])))
        if follow:
            done = await asyncio.gather(*(f[1] for f in follow), return_exceptions=True)
            for (kind, _coro), info in zip(follow, done):  # noqa: B905 - same length
                if isinstance(info, dict) and info:
                    merged = result["services"]["%d/udp" % UDP_PORTS[kind]]
                    for k, v in info.items():
                        if k not in merged or not merged[k]:
                            merged[k] = v

    # ---------------------------------------------------------------- all
    async def scan(self, addresses, on_host=None):
        """``{address: {"open_ports": [...], "services": {"80/tcp": {...}, "161/udp": {...}}}}``.

        With ``on_host(address, result)`` each host is handed over as it finishes (and
        nothing is kept here): memory stays bounded by the hosts in flight. A host cut short
        by ``host_timeout`` carries ``error``, ``ports_not_probed`` and ``status``
        (``partial``; ``not_scanned`` when no port had answered yet).
        """
        loop = asyncio.get_running_loop()
        self._slots = _Slots(self.cfg.concurrency)
        hosts = _Slots(HOSTS_IN_FLIGHT)
        per_host = min(len(self.cfg.ports), self.cfg.concurrency)
        self._udp = _UdpProbes(self) if self.cfg.udp_probes else None
        results = {}
        running = set()

        def finished(task, address):
            running.discard(task)
            hosts.give(1)
            if task.cancelled():
                return
            exc = task.exception()
            if exc is None:
                result = task.result()
            else:  # a bug, not the device: say so, and keep the host
                result = {
                    "open_ports": [],
                    "services": {},
                    "status": "not_scanned",
                    "error": hostile.text("scan failed: %s: %s" % (type(exc).__name__, exc), 200),
                }
            if on_host is None:
                results[address] = result
            else:
                on_host(address, result)

        try:
            for address in addresses:
                await hosts.take(1)
                if per_host:
                    await self._slots.take(per_host)
                task = loop.create_task(self._host(address, per_host))
                running.add(task)
                task.add_done_callback(functools.partial(finished, address=address))
            while running:
                await asyncio.wait(set(running))
        finally:
            for task in running:
                task.cancel()
            if self._udp is not None:
                self._udp.close()
        return results


class _Datagrams(asyncio.DatagramProtocol):
    """Hands every datagram to a callback."""

    def __init__(self, on_reply):
        self.on_reply = on_reply

    def datagram_received(self, data, addr):
        self.on_reply(data, addr)


def _mdns_summary(records):
    out = {}
    types, instances, txt = [], [], []
    for r in records:
        if r["type"] == 12 and r["name"].lower() == MDNS_SERVICES:
            types.append(r["value"])
        elif r["type"] == 12:
            instances.append(r["value"])
        elif r["type"] == 16:
            txt.extend(r["value"])
        elif r["type"] == 1 and r["name"].endswith(".local"):
            out.setdefault("hostname", hostile.hostname(r["name"][: -len(".local")]))
        elif r["type"] == 33:
            out.setdefault("hostname", hostile.hostname(r["value"]["target"].replace(".local", "")))
    if types:
        out["service_types"] = sorted(set(types))[:16]
    if instances:
        out["instances"] = sorted(set(instances))[:16]
    if txt:
        out["txt"] = txt[:32]
    return out


def run(coro):
    """Run a coroutine from synchronous code (inventory plugin, module)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def scan(addresses, cfg, on_host=None):
    """``(results, stats)``; with ``on_host`` results are handed over host by host instead."""
    scanner = Scanner(cfg)
    results = run(scanner.scan(addresses, on_host))
    return results, scanner.stats
