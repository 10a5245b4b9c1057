# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""iotguard WireGuard authenticator: a TOTP second factor in front of the management zone.

Listens on the hub's tunnel address only. A peer proves a TOTP code with

    curl -d code=123456 http://<hub tunnel address>:<port>/

and its source address (which WireGuard has already bound to the peer's key) is added to
an nftables set with a per-element timeout; the gateway forwards to the management zone
only from that set. The TOTP algorithm is the collection's one implementation, ``totp.py``,
installed beside this program (the hub has no pip).

Robustness: a bounded pool of workers, a cap of concurrent connections per source, and an
overall deadline per request (a reaper closes connections past it), so one peer's slow
connections cannot starve the others. Wrong codes, lockouts (with backoff) and the last
accepted time step (replay protection) are the collection's TOTP ledger (``totp.Ledger``,
shared with the OpenVPN verifier), kept in a state file that survives restarts. Codes and
secrets are never logged. The configuration file (JSON) is re-read when it changes, so
enrolling an engineer needs no restart.

Usage: iotguard-wg-auth CONFIG.json
"""

import errno
import http.server
import ipaddress
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

try:  # in the collection (tests)
    from ansible_collections.iotguard.hardening.plugins.module_utils import totp
except ImportError:  # on the hub: totp.py is installed beside this program
    sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
    import totp

MAX_BODY = 256
NFT = "/usr/sbin/nft"


def log(msg):
    sys.stderr.write("%s iotguard-wg-auth: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg))
    sys.stderr.flush()


class Guard:
    """Config and the peer addresses; failures, lockouts and replay protection are the
    collection's TOTP ledger (``totp.Ledger``, persisted in the state file)."""

    def __init__(self, path, clock=time.time, nft=None, state_path=None):
        self.path = path
        self.clock = clock
        self.lock = threading.Lock()
        self.mtime = None
        self.conf = {}
        self.nft = nft or self._nft
        self.reload()
        self.state_path = state_path or self.conf.get("state_file")
        self.ledger = totp.Ledger(self.state_path, clock)
        self.ledger.load(self.conf.get("peers", {}), int(self.conf.get("lockout_seconds", 900)))
        if self.ledger.unreadable:
            log("state file unreadable; starting with every peer locked out for safety")

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
        target = [c.get("nft_family", "inet"), c.get("nft_table", "iotguard"), c.get("nft_set", "wg_authed")]
        # a refreshed session gets a fresh timeout: drop the element (if any), add it again
        # argument lists, no shell; ip comes from the socket and was parsed by ipaddress
        subprocess.run([NFT, "delete", "element", *target, "{ %s }" % ip], capture_output=True, check=False)  # noqa: S603
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
            outcome = self.ledger.check(name, c["peers"][name]["secret"], code, **totp.policy(c))
            kind = outcome[0]
            if kind == "locked":
                log("refused peer %s from %s: locked out for %ds more" % (name, addr, outcome[1]))
                return 429, "locked out after repeated wrong codes; try again in %d s\n" % outcome[1]
            if kind == "broken":
                log("peer %s: its secret is unusable; re-enrol" % name)
                return 500, "this peer's enrolment is broken; ask for a new one\n"
            if kind == "lockout":
                log(
                    "peer %s from %s: wrong code, locked out for %ds (lockout %d)"
                    % (name, addr, outcome[1], outcome[2])
                )
                return 429, "wrong code; locked out for %d s\n" % outcome[1]
            if kind == "wrong":
                log("peer %s from %s: wrong code (%d)" % (name, addr, outcome[1]))
                return 401, "wrong code\n"
            seconds = int(c.get("session_seconds", 3600))
            self.nft(addr, seconds)
            log("peer %s from %s: session opened for %ds" % (name, addr, seconds))
            return 200, "ok: management zone open for %d s\n" % seconds


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "iotguard-wg-auth"
    sys_version = ""

    def log_message(self, fmt, *args):  # request lines carry nothing secret, but keep quiet
        pass

    def _send(self, status, text):
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
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


class Server(http.server.HTTPServer):
    """A fixed pool of workers behind a bounded queue; per-source cap; per-request deadline."""

    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, handler, workers=16, per_source=8, deadline=5.0, backlog=32):
        super().__init__(address, handler)
        self.per_source = per_source
        self.deadline = deadline
        self.jobs = queue.Queue(maxsize=backlog)
        self.active = {}  # source -> count of connections queued or served
        self.started = {}  # socket -> deadline
        self.mutex = threading.Lock()
        for _unused in range(workers):
            threading.Thread(target=self._worker, daemon=True).start()
        threading.Thread(target=self._reaper, daemon=True).start()

    def process_request(self, request, client_address):
        src = client_address[0]
        with self.mutex:
            if self.active.get(src, 0) >= self.per_source:
                busy = True
            else:
                busy = False
                self.active[src] = self.active.get(src, 0) + 1
                self.started[request] = time.monotonic() + self.deadline
        if busy:
            self._drop(request, src, "too many connections from this source")
            return
        try:
            self.jobs.put_nowait((request, client_address))
        except queue.Full:
            self._release(request, src)
            self._drop(request, src, "server busy")

    def _drop(self, request, src, why):
        log("closed a connection from %s: %s" % (src, why))
        self.shutdown_request(request)

    def _release(self, request, src):
        with self.mutex:
            self.started.pop(request, None)
            left = self.active.get(src, 1) - 1
            if left > 0:
                self.active[src] = left
            else:
                self.active.pop(src, None)

    def _worker(self):
        while True:
            request, client_address = self.jobs.get()
            try:
                remaining = self.started.get(request, 0) - time.monotonic()
                if remaining > 0:
                    request.settimeout(remaining)
                    self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001, S110 - a broken client must not stop a worker
                pass
            finally:
                self._release(request, client_address[0])
                self.shutdown_request(request)

    def _reaper(self):
        # the overall deadline: a client trickling bytes resets no per-read timeout here
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self.mutex:
                late = [s for s, d in self.started.items() if d < now]
            for s in late:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: iotguard-wg-auth CONFIG.json\n")
        return 2
    threading.stack_size(512 * 1024)  # a fixed pool of small workers
    guard = Guard(argv[1])
    c = guard.conf
    address = (c["listen"], int(c.get("port", 8181)))
    for attempt in range(20):  # a restarted predecessor may still hold the port for a moment
        try:
            srv = Server(
                address,
                Handler,
                workers=int(c.get("workers", 16)),
                per_source=int(c.get("connections_per_source", 8)),
                deadline=float(c.get("request_deadline", 5)),
            )
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
