# SPDX-License-Identifier: GPL-3.0-or-later
"""Web logins whose password no request changes. BusyBox httpd's Basic-auth account: the
driver proves it over HTTP, and rotation reports the manual step (the account is a line of
httpd.conf) instead of leaving it silently open. Any other web interface no driver speaks
that asks for Basic: the resolver gives it ``web_login``, with the same manual step and proof
on the next run. The server answers as httpd.c does: 401 with realm "Web Server
Authentication" until the Basic credential of a ``/:user:pass`` line is sent."""

from __future__ import annotations

import base64
import http.server
import threading
from typing import ClassVar

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import rotation
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import AccessError, resolve
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import ManualStep
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.web import (
    HTTPD_CONF_STEP,
    web_login_port,
)
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


def hostvars(port):
    return {
        "ansible_host": "127.0.0.1",
        "iot_open_ports": [port],
        "iot_services": {"%d/tcp" % port: {"protocol": "http", "auth": "basic", "realm": "admin"}},
    }


def test_the_web_login_port_comes_from_discovery():
    assert web_login_port({"80/tcp": {"protocol": "http", "auth": "Basic"}}) == (80, False)
    two = {
        "8443/tcp": {"protocol": "https", "auth": "digest"},
        "443/tcp": {"protocol": "https", "auth": "basic"},
    }
    assert web_login_port(two) == (443, True)
    # no auth asked, a form login, a UDP service, junk: no web login
    assert web_login_port({"80/tcp": {"protocol": "http", "status": 200}}) == (None, False)
    assert web_login_port({"80/udp": {"protocol": "http", "auth": "basic"}}) == (None, False)
    assert web_login_port({"x/tcp": {"protocol": "http", "auth": "basic"}, "81/tcp": "text"}) == (None, False)
    assert web_login_port(None) == (None, False) and web_login_port(["80/tcp"]) == (None, False)


def test_a_device_without_driver_or_web_login_still_has_no_driver(tmp_path):
    access = resolve("box", {"ansible_host": "127.0.0.1", "iot_open_ports": [80]}, {}, vault_store(tmp_path))
    with pytest.raises(AccessError, match="no driver for this device"):
        access.driver("admin")


def test_a_web_login_without_driver_is_a_manual_step_then_proven(tmp_path, httpd):
    store = vault_store(tmp_path)
    port = httpd
    drv = resolve("box", hostvars(port), {}, store).driver("admin", timeout=3)
    assert drv.name == "web_login" and drv.port == port

    def run():
        return rotation.Rotation("box", "admin", drv, store, factory_passwords=["admin"], retry_delay=0).run()

    r = run()
    assert r["status"] == "manual", r
    assert "http://127.0.0.1:%d/" % port in r["manual_step"] and "product's own page" in r["manual_step"]
    assert "factory default" in r["reason"] and "a new password is pending in the store" in r["reason"]
    new = store.account("box", "admin")["pending"]
    assert new and new.isalnum() and len(new) == 20
    assert Httpd.requests and all(r == "GET /" for r in Httpd.requests), "only logins were sent, no change"

    # the engineer sets it on the device: the next run proves it and the factory one is refused
    Httpd.conf = {"admin": new}
    try:
        done = run()
    finally:
        Httpd.conf = {"admin": "admin"}
    assert done["status"] == "reconciled" and done["credential_source"] == "pending", done
    acct = store.account("box", "admin")
    assert acct["current"] == new and acct["pending"] is None
