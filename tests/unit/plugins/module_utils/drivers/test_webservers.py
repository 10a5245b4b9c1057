# SPDX-License-Identifier: GPL-3.0-or-later
"""BusyBox httpd's Basic-auth account: the driver proves it over HTTP, and rotation reports
the manual step (the account is a line of httpd.conf) instead of leaving it silently open.
The server answers as httpd.c does: 401 with realm "Web Server Authentication" until the
Basic credential of a ``/:user:pass`` line is sent."""

from __future__ import annotations

import base64
import http.server
import threading
from typing import ClassVar

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import rotation
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import ManualStep
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.webservers import HTTPD_CONF_STEP
from test_drivers import vault_store


class Httpd(http.server.BaseHTTPRequestHandler):
    conf: ClassVar[dict[str, str]] = {"admin": "admin"}  # the /:user:pass lines
    requests: ClassVar[list[str]] = []

    def _auth(self):
        scheme, _sep, token = self.headers.get("Authorization", "").partition(" ")
        if scheme != "Basic":
            return False
        user, _sep, password = base64.b64decode(token).decode().partition(":")
        return self.conf.get(user) == password

    def do_GET(self):
        self.requests.append("%s %s" % (self.command, self.path))
        if not self._auth():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="Web Server Authentication"')
            self.end_headers()
            return
        body = b"<html><body>status: ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # a change attempt would show here

    def log_message(self, *args):
        pass


@pytest.fixture
def httpd():
    Httpd.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Httpd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_driver_proves_the_basic_credential_and_changes_nothing(httpd):
    drv = get_driver("busybox_httpd", "127.0.0.1", port=httpd, timeout=5)
    assert drv.login("admin", "admin") is True
    assert drv.login("admin", "wrong") is False
    assert Httpd.requests == ["GET /", "GET /"], "one request per attempt, Basic sent at once"
    with pytest.raises(ManualStep) as exc:
        drv.change_password("admin", "admin", "New-Pass-2026")
    assert "httpd.conf" in exc.value.instruction and "SIGHUP" in exc.value.instruction
    assert Httpd.requests == ["GET /", "GET /"]


def rotate(drv, store):
    return rotation.Rotation("web", "admin", drv, store, factory_passwords=["admin"], retry_delay=0).run()


def test_rotation_lists_the_account_as_a_manual_step(httpd, tmp_path):
    store = vault_store(tmp_path)
    drv = get_driver("busybox_httpd", "127.0.0.1", port=httpd, timeout=5)
    r = rotate(drv, store)
    assert r["status"] == "manual", r
    assert "factory default" in r["reason"] and "configuration file" in r["reason"]
    assert r["manual_step"].startswith(HTTPD_CONF_STEP)
    assert all(req == "GET /" for req in Httpd.requests), "nothing but logins was sent"
    acct = store.account("web", "admin")
    assert acct["current"] == "admin" and acct["pending"] and acct["pending"] != "admin"
    row = rotation.cannot_rotate([dict(r, host="web")])
    assert row and row[0]["status"] == "manual" and row[0]["manual_step"].startswith(HTTPD_CONF_STEP)
    # the engineer edits httpd.conf: the next run proves the pending password and promotes it
    Httpd.conf = {"admin": acct["pending"]}
    try:
        again = rotation.Rotation(
            "web", "admin", drv, store, factory_passwords=["admin"], retry_delay=0
        ).run()
    finally:
        Httpd.conf = {"admin": "admin"}
    assert again["status"] in ("reconciled", "compliant"), again
    assert store.account("web", "admin")["current"] == acct["pending"]
