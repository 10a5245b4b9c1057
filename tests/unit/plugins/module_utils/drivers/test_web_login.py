# SPDX-License-Identifier: GPL-3.0-or-later
"""A web interface no driver speaks that asks for HTTP Basic (BusyBox httpd): the resolver
gives it ``web_login``, rotation makes the change the engineer's manual step with the
device's address in the instruction, and the next run proves the password the engineer
set. A real HTTP server on loopback answers the logins."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import rotation
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import AccessError, resolve
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.web import web_login_port
from test_drivers import vault_store


class BasicAuthSite(http.server.ThreadingHTTPServer):
    """``/`` behind Basic auth for one user:password, as BusyBox httpd's ``/:user:pass``."""

    def __init__(self):
        self.account = "admin:factory1"
        self.requests = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.command)
        given = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(self.server.account.encode()).decode()
        if given != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="httpd"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"<html><title>device</title></html>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = BasicAuthSite()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def hostvars(port):
    return {
        "ansible_host": "127.0.0.1",
        "iot_open_ports": [port],
        "iot_services": {"%d/tcp" % port: {"protocol": "http", "auth": "basic", "realm": "httpd"}},
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


def test_manual_step_then_proven_against_a_real_basic_auth_server(tmp_path, site):
    store = vault_store(tmp_path)
    port = site.server_address[1]
    drv = resolve("box", hostvars(port), {}, store).driver("admin", timeout=3)
    assert drv.name == "web_login" and drv.port == port

    def run():
        return rotation.Rotation(
            "box", "admin", drv, store, factory_passwords=["factory1"], retry_delay=0
        ).run()

    r = run()
    assert r["status"] == "manual", r
    assert "http://127.0.0.1:%d/" % port in r["manual_step"] and "httpd.conf" in r["manual_step"]
    assert "factory default" in r["reason"] and "a new password is pending in the store" in r["reason"]
    new = store.account("box", "admin")["pending"]
    assert new and new.isalnum() and len(new) == 20
    assert site.requests and set(site.requests) == {"GET"}, "only logins were sent, no change"

    # the engineer sets it on the device: the next run proves it and the factory one is refused
    site.account = "admin:" + new
    done = run()
    assert done["status"] == "reconciled" and done["credential_source"] == "pending", done
    acct = store.account("box", "admin")
    assert acct["current"] == new and acct["pending"] is None
