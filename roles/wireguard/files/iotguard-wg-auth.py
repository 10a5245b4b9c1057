# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""iotguard WireGuard authenticator: a TOTP second factor in front of the management zone.

Listens on the hub's tunnel address only. A peer proves a TOTP code (RFC 6238, written here
on the standard library: the hub has no pip) with

    curl -d code=123456 http://<hub tunnel address>:<port>/

and its source address (which WireGuard has already bound to the peer's key) is added to
an nftables set with a per-element timeout; the gateway forwards to the management zone
only from that set. Wrong codes are counted per peer and lock it out for a while.
Codes and secrets are never logged. The configuration file (JSON, 0600) is re-read when it
changes, so enrolling an engineer needs no restart.

Usage: iotguard-wg-auth CONFIG.json
"""

import base64
import errno
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

MAX_BODY = 256
NFT = "/usr/sbin/nft"


def hotp(key, counter, digits=6):
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return str((struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 10**digits).zfill(digits)


def b32key(secret):
    s = secret.replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def totp_match(secret, code, now, window=1, last=None, period=30, digits=6):
    """The time step ``code`` matches within +-window, later than ``last``; else None."""
    if len(code) != digits or not code.isdigit():
        return None
    key = b32key(secret)
    cur = int(now // period)
    for step in range(cur - window, cur + window + 1):
        if step < 0 or (last is not None and step <= last):
            continue
        if hmac.compare_digest(hotp(key, step, digits), code):
            return step
    return None


def log(msg):
    sys.stderr.write("%s iotguard-wg-auth: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg))
    sys.stderr.flush()


class Guard:
    """Config, per-peer failure counters, lockouts and replay protection."""

    def __init__(self, path, clock=time.time, nft=None):
        self.path = path
        self.clock = clock
        self.lock = threading.Lock()
        self.mtime = None
        self.conf = {}
        self.failures = {}
        self.locked_until = {}
        self.last_step = {}
        self.nft = nft or self._nft
        self.reload()

    def reload(self):
        st = os.stat(self.path)
        if self.mtime == st.st_mtime_ns:
            return
        with open(self.path, encoding="utf-8") as fh:
            conf = json.load(fh)
        nets = []
        for name, peer in conf.get("peers", {}).items():
            nets.append((ipaddress.ip_network(peer["address"] + "/32"), name))
            for n in peer.get("networks") or []:
                nets.append((ipaddress.ip_network(n), name))
        conf["_nets"] = nets
        self.conf = conf
        self.mtime = st.st_mtime_ns

    def peer_for(self, addr):
        ip = ipaddress.ip_address(addr)
        best = None
        for net, name in self.conf["_nets"]:
            if (
                ip.version == net.version
                and ip in net
                and (best is None or net.prefixlen > best[0].prefixlen)
            ):
                best = (net, name)
        return best[1] if best else None

    def _nft(self, ip, seconds):
        c = self.conf
        target = [c.get("nft_family", "inet"), c.get("nft_table", "iotguard_wg"), c.get("nft_set", "authed")]
        # a refreshed session gets a fresh timeout: drop the element (if any), add it again
        # argument lists, no shell; ip comes from the socket and was parsed by ipaddress
        subprocess.run(  # noqa: S603
            [NFT, "delete", "element", *target, "{ %s }" % ip], capture_output=True, check=False
        )
        r = subprocess.run(  # noqa: S603
            [NFT, "add", "element", *target, "{ %s timeout %ds }" % (ip, seconds)],
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode != 0:
            raise RuntimeError("nft add element failed: %s" % r.stderr.strip()[:200])

    def attempt(self, addr, code):
        """Return (http status, message)."""
        with self.lock:
            self.reload()
            c = self.conf
            name = self.peer_for(addr)
            if name is None:
                log("refused %s: not an enrolled peer address" % addr)
                return 403, "this address belongs to no enrolled peer\n"
            now = self.clock()
            until = self.locked_until.get(name, 0)
            if until > now:
                log("refused peer %s from %s: locked out for %ds more" % (name, addr, until - now))
                return 429, "locked out after repeated wrong codes; try again in %d s\n" % (until - now)
            step = totp_match(
                c["peers"][name]["secret"], code, now, int(c.get("window", 1)), self.last_step.get(name)
            )
            if step is None:
                window = int(c.get("failure_window", 300))
                fails = [t for t in self.failures.get(name, []) if t > now - window] + [now]
                self.failures[name] = fails
                if len(fails) >= int(c.get("max_failures", 3)):
                    self.locked_until[name] = now + int(c.get("lockout_seconds", 900))
                    self.failures[name] = []
                    log(
                        "peer %s from %s: wrong code, locked out for %ss"
                        % (name, addr, c.get("lockout_seconds", 900))
                    )
                    return 429, "wrong code; locked out for %s s\n" % c.get("lockout_seconds", 900)
                log("peer %s from %s: wrong code (%d)" % (name, addr, len(fails)))
                return 401, "wrong code\n"
            self.last_step[name] = step
            self.failures[name] = []
            seconds = int(c.get("session_seconds", 3600))
            self.nft(addr, seconds)
            log("peer %s from %s: session opened for %ds" % (name, addr, seconds))
            return 200, "ok: management zone open for %d s\n" % seconds


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "iotguard-wg-auth"
    sys_version = ""
    timeout = 10

    def log_message(self, fmt, *args):  # request lines carry nothing secret, but keep quiet
        pass

    def _send(self, status, text):
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send(200, "POST code=<6 digits> to open the management zone\n")

    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(413, "request too large\n")
            return
        fields = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii", "replace"))
        code = (fields.get("code") or [""])[0].strip()
        try:
            status, text = self.server.guard.attempt(self.client_address[0], code)
        except Exception as exc:  # noqa: BLE001 - one bad request must not stop the service
            log("error: %s" % exc)
            status, text = 500, "internal error\n"
        self._send(status, text)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: iotguard-wg-auth CONFIG.json\n")
        return 2
    guard = Guard(argv[1])
    address = (guard.conf["listen"], int(guard.conf.get("port", 8181)))
    for attempt in range(20):  # a restarted predecessor may still hold the port for a moment
        try:
            srv = Server(address, Handler)
            break
        except OSError as exc:
            if attempt == 19 or exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
                raise
            time.sleep(0.5)
    srv.guard = guard
    log("listening on %s:%s" % srv.server_address[:2])
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
