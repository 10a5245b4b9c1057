# SPDX-License-Identifier: GPL-3.0-or-later
"""Small real servers for driver tests: HTTP digest camera APIs, BusyBox-style telnet, SSH.

Each keeps what the device holds (``password``) and what it was sent, so tests assert
device state, not only return values. All bind to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import hashlib
import http.server
import re
import socket
import socketserver
import threading
import time
import urllib.parse

PARAM = re.compile(r'(\w+)="?([^",]*)"?')


class CameraState:
    def __init__(self, user="admin", password="12345", min_length=8):
        self.user = user
        self.password = password
        self.min_length = min_length
        self.requests = []
        self.failed_logins = 0
        self.drop_after_change = False


def _md5(s):
    return hashlib.md5(s.encode()).hexdigest()  # noqa: S324 - digest auth is MD5


class CameraHandler(http.server.BaseHTTPRequestHandler):
    state: CameraState
    kind = "hikvision"
    protocol_version = "HTTP/1.0"

    def log_message(self, *a):
        pass

    def _authorised(self):
        hdr = self.headers.get("Authorization", "")
        if not hdr.startswith("Digest "):
            return False
        p = dict(PARAM.findall(hdr[7:]))
        ha1 = _md5("%s:%s:%s" % (p.get("username"), "cam", self.state.password))
        ha2 = _md5("%s:%s" % (self.command, p.get("uri")))
        want = _md5(
            "%s:%s:%s:%s:%s:%s" % (ha1, p.get("nonce"), p.get("nc"), p.get("cnonce"), p.get("qop"), ha2)
        )
        ok = p.get("username") == self.state.user and p.get("response") == want and p.get("uri") == self.path
        if not ok:
            self.state.failed_logins += 1
        return ok

    def _reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _challenge(self):
        self._reply(
            401, b"", [("WWW-Authenticate", 'Digest realm="cam", qop="auth", nonce="n0nce42", algorithm=MD5')]
        )

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode()

    def do_GET(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        body = self._body() if self.command in ("PUT", "POST") else ""
        if not self._authorised():
            return self._challenge()
        self.state.requests.append((self.command, self.path, body))
        st = self.state
        if self.kind == "hikvision":
            if self.path == "/ISAPI/Security/userCheck":
                return self._reply(200, b"<userCheck><statusValue>200</statusValue></userCheck>")
            if self.path == "/ISAPI/Security/users":
                xml = (
                    '<UserList xmlns="http://www.hikvision.com/ver20/XMLSchema"><User><id>1</id>'
                    "<userName>%s</userName></User></UserList>" % st.user
                )
                return self._reply(200, xml.encode())
            if self.path == "/ISAPI/Security/users/1" and self.command == "PUT":
                new = re.search(r"<password>(.*?)</password>", body).group(1)
                new = new.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                if len(new) < st.min_length:
                    return self._reply(
                        400,
                        b"<ResponseStatus><statusCode>4</statusCode><subStatusCode>passwordError</subStatusCode></ResponseStatus>",
                    )
                st.password = new
                if st.drop_after_change:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                return self._reply(200, b"<ResponseStatus><statusCode>1</statusCode></ResponseStatus>")
        if self.kind == "axis":
            if self.path == "/axis-cgi/pwdgrp.cgi?action=get":
                return self._reply(200, b'admins="root"\n')
            if self.path.startswith("/axis-cgi/pwdgrp.cgi?action=update"):
                form = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                if form.get("action") != "update" or form.get("user") != st.user:
                    return self._reply(200, b"Error: no such account")
                if len(form["pwd"]) < st.min_length:
                    return self._reply(200, b"Error: password too short")
                st.password = form["pwd"]
                return self._reply(200, ("Modified account %s." % st.user).encode())
        return self._reply(404, b"not found")


class _Threaded(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_camera(kind, state):
    handler = type("H", (CameraHandler,), {"state": state, "kind": kind})
    srv = _Threaded(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


# --- BusyBox-like telnet ------------------------------------------------------------------
IAC, DO, WILL, WONT, DONT, SB, SE = 255, 253, 251, 252, 254, 250, 240
CURSOR_QUERY = b"\x1b[6n"


class TelnetState:
    def __init__(self, user="root", password="xc3511", pam=False):
        self.user = user
        self.password = password
        self.negotiation_replies = b""
        self.min_length = 8
        self.pam = pam  # a build whose login(1) goes through PAM (could lock accounts)
        self.logins = []  # every (user, password) tried, in order
        self.failure_delay = 0.0  # login(1)'s pause after a refused password (BusyBox: 3 s)
        self.ask_terminal = True  # the shell prints ESC[6n after its prompt (Debian's build)
        self.cursor_reports = []  # what the client answered to ESC[6n
        self.read_only = False  # /etc on a read-only file system (firmware image)
        self.uid = 0  # 0: passwd only warns about a weak password


class TelnetHandler(socketserver.StreamRequestHandler):
    state: TelnetState

    def _readline(self):
        buf = b""
        while True:
            c = self.rfile.read(1)
            if not c:
                raise EOFError
            if c[0] == IAC:
                rest = self.rfile.read(2)
                self.state.negotiation_replies += c + rest
                if rest[0] == SB:  # up to IAC SE
                    sub = b""
                    while not sub.endswith(bytes([IAC, SE])):
                        more = self.rfile.read(1)
                        if not more:
                            raise EOFError
                        sub += more
                    self.state.negotiation_replies += sub
                continue
            if c == b"\x1b":  # a terminal's answer to ESC[6n: ESC [ row ; col R
                report = c
                while not report.endswith(b"R") and len(report) < 16:
                    report += self.rfile.read(1)
                self.state.cursor_reports.append(report)
                continue
            if c in (b"\n",):
                return buf.rstrip(b"\r").decode()
            if c == b"\x00":
                continue
            buf += c

    def _prompt(self):
        return b"# " + (CURSOR_QUERY if self.state.ask_terminal else b"")

    def handle(self):
        st = self.state
        w = self.wfile.write
        try:
            # what BusyBox telnetd sends first (networking/telnetd.c)
            w(bytes([IAC, DO, 1, IAC, DO, 31, IAC, WILL, 1, IAC, WILL, 3]))
            w(b"\r\nBusyBox v1.19.4 built-in shell\r\n(none) login: ")
            user = self._readline()
            w(b"Password: ")
            pw = self._readline()
            st.logins.append((user, pw))
            if user != st.user or pw != st.password:
                time.sleep(st.failure_delay)
                w(b"\r\nLogin incorrect\r\n(none) login: ")
                return
            w(b"\r\n\r\nBusyBox v1.19.4 (2014-06-11) built-in shell (ash)\r\n" + self._prompt())
            while True:
                line = self._readline()
                if line.startswith("passwd"):
                    self._passwd(w)
                elif line == "exit":
                    return
                else:
                    out = b"".join(self._run(part.strip()) for part in line.split(";"))
                    w(b"\r\n" + out + self._prompt())
        except (EOFError, OSError):
            return

    def _passwd(self, w):
        st = self.state
        # BusyBox loginutils/passwd.c and libbb/obscure.c: a weak password is refused for a
        # user, only warned about for root
        w(b"Changing password for %s\r\nNew password: " % st.user.encode())
        new = self._readline()
        weak = len(new) < st.min_length
        if weak:
            w(b"\r\nBad password: too short\r\n")
            if st.uid != 0:
                w(b"passwd: password for %s is unchanged\r\n" % st.user.encode() + self._prompt())
                return
        w(b"\r\nRetype password: ")
        again = self._readline()
        if new != again:
            w(b"\r\nPasswords don't match\r\npasswd: password for root is unchanged\r\n" + self._prompt())
        elif st.read_only:
            w(
                b"\r\npasswd: /etc/passwd: Read-only file system\r\n"
                b"passwd: can't update password file /etc/passwd\r\n" + self._prompt()
            )
        else:
            st.password = new
            w(b"\r\npasswd: password for root changed by root\r\n" + self._prompt())

    def _run(self, command):
        return busybox_run(self.state, command)


def busybox_run(state, command):
    """What a BusyBox shell prints for the few commands the drivers send."""
    if command == "busybox" or command == "busybox | head -n 1":
        return b"BusyBox v1.19.4 (2014-06-11) multi-call binary.\r\n"
    if command == "cat /etc/os-release":
        return b'NAME="OpenWrt"\r\nID="openwrt"\r\nVERSION_ID="19.07.7"\r\nPRETTY_NAME="OpenWrt 19.07.7"\r\n'
    if command == "uname -srm":
        return b"Linux 4.14.221 mips\r\n"
    if command.startswith("echo "):
        return command[5:].replace('"', "").encode() + b"\r\n"
    if command == "cat /etc/passwd":
        return b"%s:x:0:0::/root:/bin/sh\r\ndaemon:x:1:1::/:/bin/false\r\n" % state.user.encode()
    if command == "cat /etc/pam.d/login":
        if state.pam:
            return b"auth required pam_unix.so\r\nauth required pam_faillock.so\r\n"
        return b"cat: can't open '/etc/pam.d/login': No such file or directory\r\n"
    return b"-sh: %s: not found\r\n" % command.split(" ")[0].encode()[:32] if command else b""


class _ThreadedTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_telnet(state):
    handler = type("T", (TelnetHandler,), {"state": state})
    srv = _ThreadedTCP(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


# --- SSH shell (paramiko server) --------------------------------------------------------------
def start_ssh(state):
    """An SSH server with a ``# `` prompt and BusyBox's ``passwd`` dialog, on a thread."""
    import paramiko

    host_key = paramiko.RSAKey.generate(2048)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    class Server(paramiko.ServerInterface):
        def check_auth_password(self, username, password):
            ok = username == state.user and password == state.password
            return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

        def get_allowed_auths(self, username):
            return "password"

        def check_channel_request(self, kind, chanid):
            return (
                paramiko.OPEN_SUCCEEDED
                if kind == "session"
                else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
            )

        def check_channel_pty_request(self, *a):
            return True

        def check_channel_shell_request(self, channel):
            return True

    def readline(chan):
        buf = b""
        while not buf.endswith(b"\n") and not buf.endswith(b"\r"):
            c = chan.recv(1)
            if not c:
                raise EOFError
            buf += c
        for report in re.findall(rb"\x1b\[[\d;]*R", buf):
            state.cursor_reports.append(report)
        return re.sub(rb"\x1b\[[\d;]*R", b"", buf).strip().decode()

    def serve(sock):
        t = paramiko.Transport(sock)
        t.add_server_key(host_key)
        try:
            t.start_server(server=Server())
            chan = t.accept(10)
            if chan is None:
                return
            prompt = b"~ # " + (CURSOR_QUERY if state.ask_terminal else b"")
            chan.sendall(b"BusyBox v1.31.1 built-in shell (ash)\r\n" + prompt)
            while True:
                line = readline(chan)
                if line.startswith("passwd"):
                    chan.sendall(b"Changing password for %s\r\nNew password: " % state.user.encode())
                    new = readline(chan)
                    chan.sendall(b"\r\nRetype password: ")
                    again = readline(chan)
                    if new == again and len(new) >= state.min_length:
                        state.password = new
                        chan.sendall(b"\r\npasswd: password for root changed by root\r\n" + prompt)
                    else:
                        chan.sendall(b"\r\npasswd: password for root is unchanged\r\n" + prompt)
                else:
                    out = b"".join(busybox_run(state, part.strip()) for part in line.split(";"))
                    chan.sendall(b"\r\n" + out + prompt)
        except (EOFError, OSError, paramiko.SSHException):
            pass
        finally:
            t.close()

    stop = threading.Event()
    # the listener is polled, never blocked on: a thread blocked in accept() on a descriptor
    # another thread closes stays there, and once the number is reused it takes the next
    # socket's connections (an HTTP test once got "SSH-2.0-paramiko" as its answer)
    listener.settimeout(0.2)

    def accept_loop():
        while not stop.is_set():
            try:
                sock = listener.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(None)
            threading.Thread(target=serve, args=(sock,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    return _Listening(listener, stop, thread), listener.getsockname()[1]


class _Listening:
    """``close()`` stops the accept loop first, then closes its socket."""

    def __init__(self, listener, stop, thread):
        self._listener, self._stop, self._thread = listener, stop, thread

    def close(self):
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
