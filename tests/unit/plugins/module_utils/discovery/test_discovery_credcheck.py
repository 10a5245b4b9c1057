# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Opt-in default-credential check: bounded by the product's lockout, never keeps passwords."""

from __future__ import annotations

import base64
import hashlib
import re

import fakedevices as fd
import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    LoginBudget,
    lockout_evidence,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import credcheck, engine


@pytest.mark.parametrize(
    ("lockout", "wanted", "allowed"),
    [
        ({"supported": True, "threshold": 7}, 10, 2),
        ({"supported": True, "threshold": 7}, 2, 2),
        ({"supported": True, "threshold": 1}, 5, 0),
        ({"supported": False, "threshold": None}, 3, 2),
        ({"supported": None, "threshold": None}, 3, 1),
        ({"supported": True, "threshold": None}, 3, 1),
        (None, 4, 1),
    ],
)
def test_attempts_stay_below_the_lockout_threshold(lockout, wanted, allowed):
    budget = LoginBudget(lockout_evidence(None, lockout), ["addr:x"], max_attempts=wanted)
    assert budget.size == allowed
    assert budget.lockout["source"] in ("product data (fallback)", "unknown")


class AuthDevice:
    """An HTTP device with one account; Basic or Digest (MD5, qop=auth) as the product does."""

    def __init__(self, address, server, realm, user, password, scheme="Basic"):
        self.attempts = []
        self.user, self.password, self.realm, self.scheme = user, password, realm, scheme
        self.server = server
        self.device = fd.FakeDevice(address, tcp={80: self.handle})

    def _ok(self, auth):
        if not auth:
            return False
        if self.scheme == "Basic" and auth.startswith("Basic "):
            return base64.b64decode(auth[6:]).decode() == "%s:%s" % (self.user, self.password)
        if self.scheme == "Digest" and auth.startswith("Digest "):
            p = dict(re.findall(r'(\w+)="?([^",]*)"?', auth[7:]))
            ha1 = hashlib.md5(  # noqa: S324 - HTTP Digest is MD5
                ("%s:%s:%s" % (p["username"], self.realm, self.password)).encode()
            ).hexdigest()
            ha2 = hashlib.md5(  # noqa: S324
                ("GET:%s" % p["uri"]).encode()
            ).hexdigest()
            want = hashlib.md5(  # noqa: S324
                ("%s:%s:%s:%s:%s:%s" % (ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2)).encode()
            ).hexdigest()
            return p["username"] == self.user and p["response"] == want
        return False

    async def handle(self, reader, writer, dev):
        req = (await reader.readuntil(b"\r\n\r\n")).decode()
        auth = next(
            (
                line.split(":", 1)[1].strip()
                for line in req.split("\r\n")
                if line.lower().startswith("authorization:")
            ),
            None,
        )
        if auth:
            self.attempts.append(auth)
        if self._ok(auth):
            writer.write(fd.http_reply(headers=[("Server", self.server)], body=b"<title>ok</title>"))
        else:
            challenge = 'Basic realm="%s"' % self.realm
            if self.scheme == "Digest":
                challenge = 'Digest realm="%s", qop="auth", nonce="4e6f6e6365", opaque="0pq"' % self.realm
            writer.write(
                fd.http_reply("401 Unauthorized", [("Server", self.server), ("WWW-Authenticate", challenge)])
            )
        await writer.drain()


def discover(addresses):
    return engine.discover({"networks": addresses, "ports": [80], "udp_probes": [], "read_timeout": 1})


def test_factory_default_found_and_only_the_user_name_kept():
    cam = AuthDevice("127.99.6.10", "App-webs/", "IP Camera(C40567890)", "admin", "12345", "Digest")
    with fd.FakeSite([cam.device]):
        res = discover(["127.99.6.10"])
        credcheck.check_all(res, {}, {"max_credential_attempts": 5, "read_timeout": 1})
    got = dict(res["hosts"]["127.99.6.10"]["credentials"])
    assert got.pop("budget")["lockout_source"] == "product data (fallback)"
    assert got == {
        "iot_default_credential_valid": True,
        "iot_default_credential_username": "admin",
        "tried": 1,
    }
    assert len(cam.attempts) == 1
    assert "12345" not in repr(res)


def test_changed_password_is_reported_and_attempts_are_bounded():
    # Dahua: one network factory pair (its 888888 account logs in only at the console),
    # lockout after 5 by the product data -> at most 2 failures; the one pair is tried once
    # (product data is a capped fallback: the device may be set stricter)
    cam = AuthDevice("127.99.6.11", "Webs", "Login to 4L0C8F3PAZ12345", "admin", "S0mething-Rotated!")
    with fd.FakeSite([cam.device]):
        res = discover(["127.99.6.11"])
        assert engine.facts(res["hosts"]["127.99.6.11"], {})["iot_fingerprint_id"] == "dahua.camera"
        credcheck.check_all(res, {}, {"max_credential_attempts": 10, "read_timeout": 1})
    got = res["hosts"]["127.99.6.11"]["credentials"]
    assert got["iot_default_credential_valid"] is False
    assert got["tried"] == len(cam.attempts) == 1  # admin/admin
    assert "S0mething" not in repr(res)


def test_unknown_lockout_gets_one_attempt():
    # Brother: lockout behaviour unknown
    prn = AuthDevice("127.99.6.12", "debut/1.20", "Brother", "admin", "nope")
    with fd.FakeSite([prn.device]):
        res = discover(["127.99.6.12"])
        credcheck.check_all(res, {}, {"max_credential_attempts": 10, "read_timeout": 1})
    assert res["hosts"]["127.99.6.12"]["credentials"]["tried"] == 1
    assert len(prn.attempts) == 1


def test_discovery_spends_from_the_ledger_the_assessment_and_rotation_read(tmp_path):
    ledger = str(tmp_path / "login-ledger.json")
    cam = AuthDevice("127.99.6.13", "Webs", "Login to 4L0C8F3PAZ12345", "admin", "S0mething-Rotated!")
    with fd.FakeSite([cam.device]):
        res = discover(["127.99.6.13"])
        opts = {"max_credential_attempts": 10, "read_timeout": 1, "login_ledger": ledger}
        credcheck.check_all(res, {}, opts)
        assert res["hosts"]["127.99.6.13"]["credentials"]["tried"] == 1
        # a second discovery run in the same lockout window starts from what the first spent
        credcheck.check_all(res, {}, opts)
    got = res["hosts"]["127.99.6.13"]["credentials"]
    assert got["budget"]["spent_before"] == 1 and got["budget"]["remaining"] <= 1
    assert len(cam.attempts) <= 2, "at most 2 failures on product data, all runs together"
