# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP camera / NVR HTTP APIs, modelled on the vendors' published interfaces.

* Hikvision ISAPI: digest auth; ``GET /ISAPI/Security/userCheck`` to log in,
  ``GET /ISAPI/Security/users`` for the account id, ``PUT /ISAPI/Security/users/<id>``
  with a ``<User>`` document carrying the new ``password`` (and ``loginPassword``, the
  current one, which newer firmware requires).
* Axis VAPIX: digest auth; ``/axis-cgi/pwdgrp.cgi?action=get`` to log in,
  ``action=update&user=<u>&pwd=<new>`` to change (``Modified account <u>.`` or
  ``Error: ...``).
"""

from __future__ import annotations

import re
import urllib.parse
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpClient
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    clean,
)

HIK_NS = "http://www.hikvision.com/ver20/XMLSchema"


class HttpApiDriver(BaseDriver):
    """Common part of the HTTP API drivers."""

    default_port = 80
    login_path = "/"

    def __init__(self, host, port=None, timeout=10.0, **options):
        use_tls = bool(options.get("use_tls"))
        if port is None and use_tls:
            port = 443
        super().__init__(host, port, timeout, **options)
        self.http = HttpClient(
            self.host,
            self.port,
            self.timeout,
            use_tls=use_tls,
            validate_certs=bool(options.get("validate_certs")),
            auth=options.get("http_auth", "auto"),
        )

    def _auth_status(self, resp, what):
        if resp.status in (401, 403):
            return False
        if 200 <= resp.status < 300:
            return True
        raise DriverError("%s answered HTTP %d: %s" % (what, resp.status, clean(resp.body[:200])))

    def login(self, username, password):
        resp = self.http.request("GET", self.login_path, username, password)
        return self._auth_status(resp, self.login_path)


def _xml_find(root, name):
    """Find ``name`` with or without the vendor namespace."""
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == name:
            yield el


def _parse_xml(body, what):
    if len(body) > 128 * 1024:
        raise DriverError("%s answer is too large" % what)
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise DriverError("%s answer holds a DTD; refusing to parse it" % what)
    try:
        return ElementTree.fromstring(body)  # noqa: S314 - bounded, DTDs refused above
    except ElementTree.ParseError as exc:
        raise DriverError("%s answer is not XML: %s" % (what, clean(exc))) from exc


def _leaves(root, limit=64):
    """Leaf elements of an XML answer as a flat dict (bounded, cleaned)."""
    out = {}
    for el in root.iter():
        if len(el) == 0 and el.text and el.text.strip():
            out[clean(el.tag.rsplit("}", 1)[-1], 64)] = clean(el.text, 128)
            if len(out) >= limit:
                break
    return out


class HikvisionIsapiDriver(HttpApiDriver):
    name = "hikvision_isapi"
    login_path = "/ISAPI/Security/userCheck"
    # ISAPI: 8..16 characters, at least two kinds out of lower, upper, digit, special
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=16)

    def login(self, username, password):
        resp = self.http.request("GET", self.login_path, username, password)
        if not self._auth_status(resp, self.login_path):
            return False
        # userCheck answers 200 with <statusValue>; 401 inside a 200 means refused
        m = re.search(rb"<statusValue>\s*(\d+)\s*</statusValue>", resp.body)
        return not (m and m.group(1) != b"200")

    def read_settings(self, username, password):
        """The illegal-login lock (lockout) settings."""
        path = "/ISAPI/Security/illegalLoginLock"
        resp = self.http.request("GET", path, username, password)
        if resp.status != 200:
            raise DriverError("GET %s answered HTTP %d" % (path, resp.status))
        return {"lockout": _leaves(_parse_xml(resp.body, path))}

    def read_lockout(self, username, password):
        enabled = str(self.read_settings(username, password)["lockout"].get("enabled", "")).strip().lower()
        if enabled not in ("true", "false"):
            return None
        return enabled == "true", "illegal-login lock <enabled>%s</enabled> (ISAPI)" % enabled

    def lockout_policy(self, username, password):
        """ISAPI IllegalLoginLock: enabled, maxIllegalLoginTimes, lockDuration (seconds)."""
        leaves = self.read_settings(username, password)["lockout"]
        enabled = str(leaves.get("enabled", "")).strip().lower()
        if enabled not in ("true", "false"):
            return None

        def number(key):
            value = str(leaves.get(key, "")).strip()
            return int(value) if value.isdigit() and 0 < int(value) < 100000 else None

        threshold = number("maxIllegalLoginTimes")
        return {
            "enabled": enabled == "true",
            "threshold": threshold if enabled == "true" else None,
            "duration": number("lockDuration"),
            "evidence": "illegal-login lock <enabled>%s</enabled> <maxIllegalLoginTimes>%s (ISAPI)"
            % (enabled, threshold if threshold else "?"),
        }

    def _user_id(self, username, password):
        resp = self.http.request("GET", "/ISAPI/Security/users", username, password)
        if resp.status in (401, 403):
            raise DriverError("ISAPI refused %r reading the user list" % username)
        if resp.status != 200:
            raise DriverError("GET /ISAPI/Security/users answered HTTP %d" % resp.status)
        root = _parse_xml(resp.body, "/ISAPI/Security/users")
        for user in _xml_find(root, "User"):
            name = next((e.text for e in _xml_find(user, "userName")), None)
            uid = next((e.text for e in _xml_find(user, "id")), None)
            if name == username and uid and uid.strip().isdigit():
                return uid.strip()
        raise DriverError("ISAPI lists no user named %r" % clean(username, 64))

    def change_password(self, username, old_password, new_password):
        uid = self._user_id(username, old_password)
        doc = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<User version="2.0" xmlns="%s"><id>%s</id><userName>%s</userName>'
            "<password>%s</password><loginPassword>%s</loginPassword></User>"
            % (HIK_NS, uid, escape(username), escape(new_password), escape(old_password))
        )
        resp = self.http.request(
            "PUT",
            "/ISAPI/Security/users/%s" % uid,
            username,
            old_password,
            body=doc,
            headers={"Content-Type": "application/xml"},
        )
        code = sub = msg = None
        if resp.body.strip().startswith(b"<"):
            try:
                root = _parse_xml(resp.body, "PUT /ISAPI/Security/users")
                code = next((e.text for e in _xml_find(root, "statusCode")), None)
                sub = next((e.text for e in _xml_find(root, "subStatusCode")), None)
                msg = next((e.text for e in _xml_find(root, "errorMsg")), None)
            except DriverError:
                pass
        if resp.status == 200 and code in (None, "1"):
            return
        detail = "HTTP %d statusCode=%s subStatusCode=%s" % (resp.status, clean(code, 8), clean(sub, 48))
        if msg:
            # the device's own words, often the password rule it wants (the rotation learns it)
            detail += ": %s" % clean(msg, 160)
        if resp.status in (400, 403) or code in ("4", "6"):
            raise PasswordRejected(detail)
        raise DriverError(detail)


class AxisVapixDriver(HttpApiDriver):
    name = "axis_vapix"
    login_path = "/axis-cgi/pwdgrp.cgi?action=get"
    password_policy = PasswordPolicy(min_length=8, max_length=64, length=24)

    def read_settings(self, username, password):
        """The Brand parameter group (make, model, firmware)."""
        path = "/axis-cgi/param.cgi?action=list&group=Brand"
        resp = self.http.request("GET", path, username, password)
        if resp.status != 200:
            raise DriverError("GET %s answered HTTP %d" % (path, resp.status))
        out = {}
        for line in resp.text.splitlines()[:64]:
            key, sep, value = line.partition("=")
            if sep:
                out[clean(key, 64)] = clean(value, 128)
        return {"params": out}

    # AXIS OS 10 brought brute-force delay protection; older firmware has none
    LOCKOUT_FROM_MAJOR = 10

    def read_lockout(self, username, password):
        path = "/axis-cgi/param.cgi?action=list&group=Properties.Firmware.Version"
        resp = self.http.request("GET", path, username, password)
        m = re.search(r"Properties\.Firmware\.Version=(\d+)\.", resp.text) if resp.status == 200 else None
        if not m:
            return None
        major = int(m.group(1))
        return major >= self.LOCKOUT_FROM_MAJOR, "AXIS OS %d (brute-force delay from %d on)" % (
            major,
            self.LOCKOUT_FROM_MAJOR,
        )

    def change_password(self, username, old_password, new_password):
        # VAPIX takes the account and password in the query string (GET or POST); what we
        # send is never logged, and device answers are cleaned before they are shown.
        query = urllib.parse.urlencode({"action": "update", "user": username, "pwd": new_password})
        resp = self.http.request("GET", "/axis-cgi/pwdgrp.cgi?" + query, username, old_password)
        text = resp.text
        if resp.status == 200 and "error" not in text.lower():
            return
        if resp.status in (200, 400) and "error" in text.lower():
            raise PasswordRejected("VAPIX: %s" % clean(text[:160]))
        raise DriverError(
            "/axis-cgi/pwdgrp.cgi update answered HTTP %d: %s" % (resp.status, clean(text[:160]))
        )
