# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP for device APIs: one request, one authentication attempt; the HTTP driver base.

Digest (RFC 7616, MD5/SHA-256, qop=auth) is computed here rather than with urllib's
handler, which silently retries a refused credential several times and so burns a
device's lockout budget. A 401 after our single authenticated attempt means "refused".
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    DriverError,
    Unreachable,
    clean,
)

MAX_BODY = 256 * 1024
_PARAM = re.compile(r'(\w+)=("([^"\\]*(?:\\.[^"\\]*)*)"|[^,\s]+)')


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def parse_challenge(header):
    if not header:
        return None, {}
    scheme, _sep, rest = header.strip().partition(" ")
    params = {}
    for m in _PARAM.finditer(rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return scheme.lower(), params


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - RFC 7616 MD5 digest


def digest_header(params, method, uri, username, password):
    algo = params.get("algorithm", "MD5").upper()
    if algo.startswith("SHA-256"):
        h = _sha256
    elif algo.startswith("MD5"):
        h = _md5
    else:
        raise DriverError("device asks for digest algorithm %r, which is not supported" % clean(algo, 32))
    realm = params.get("realm", "")
    nonce = params.get("nonce", "")
    qop = params.get("qop")
    ha1 = h("%s:%s:%s" % (username, realm, password))
    cnonce = nc = None
    if algo.endswith("-SESS"):
        cnonce = os.urandom(8).hex()
        ha1 = h("%s:%s:%s" % (ha1, nonce, cnonce))
    ha2 = h("%s:%s" % (method, uri))
    if qop:
        qop = "auth" if "auth" in [q.strip() for q in qop.split(",")] else qop.split(",")[0].strip()
        cnonce = cnonce or os.urandom(8).hex()
        nc = "00000001"
        resp = h("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    else:
        resp = h("%s:%s:%s" % (ha1, nonce, ha2))
    parts = [
        'username="%s"' % username.replace('"', '\\"'),
        'realm="%s"' % realm,
        'nonce="%s"' % nonce,
        'uri="%s"' % uri,
        'response="%s"' % resp,
        "algorithm=%s" % params.get("algorithm", "MD5"),
    ]
    if "opaque" in params:
        parts.append('opaque="%s"' % params["opaque"])
    if qop:
        parts += ["qop=%s" % qop, "nc=%s" % nc, 'cnonce="%s"' % cnonce]
    return "Digest " + ", ".join(parts)


def json_object(resp, where):
    """The JSON object a 200 answer carries; ``DriverError`` naming ``where`` otherwise."""
    if resp.status != 200:
        raise DriverError("%s answered HTTP %d" % (where, resp.status))
    try:
        data = json.loads(resp.body.decode("utf-8"))
    except ValueError as exc:
        raise DriverError("%s is not JSON" % where) from exc
    if not isinstance(data, dict):
        raise DriverError("%s is not a JSON object" % where)
    return data


class HttpClient:
    def __init__(self, host, port, timeout, use_tls=False, validate_certs=False, auth="auto"):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.use_tls = use_tls
        self.validate_certs = validate_certs
        self.auth = auth

    def _conn(self):
        if self.use_tls:
            ctx = ssl.create_default_context()
            if not self.validate_certs:
                # factory-fresh devices present self-signed certificates
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _once(self, method, path, body, headers):
        conn = self._conn()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_BODY + 1)[:MAX_BODY]
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        except TimeoutError as exc:
            raise Unreachable(
                "%s:%s http timed out after %.0fs" % (self.host, self.port, self.timeout)
            ) from exc
        except (OSError, http.client.HTTPException, socket.error) as exc:
            raise Unreachable(
                "%s:%s http: %s" % (self.host, self.port, clean(exc) or type(exc).__name__)
            ) from exc
        finally:
            conn.close()

    def request(self, method, path, username=None, password=None, body=None, headers=None):
        headers = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        if username is None:
            return self._once(method, path, body, headers)
        if self.auth == "basic":
            token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic " + token
            return self._once(method, path, body, headers)
        first = self._once(method, path, body, headers)
        if first.status != 401:
            return first
        scheme, params = parse_challenge(first.headers.get("www-authenticate", ""))
        if scheme == "digest":
            headers["Authorization"] = digest_header(params, method, path, username, password)
        elif scheme == "basic" and self.auth in ("auto", "basic"):
            token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic " + token
        else:
            raise DriverError(
                "device asks for HTTP auth scheme %r, which is not supported" % clean(scheme, 32)
            )
        return self._once(method, path, body, headers)


def cookie_value(headers, name):
    """The value of cookie ``name`` an answer sets (bounded, token characters only), or None."""
    pattern = r"(?:^|[;,]\s*)%s=([A-Za-z0-9+/=_.-]{1,256})" % re.escape(name)
    m = re.search(pattern, headers.get("set-cookie", "") or "")
    return m.group(1) if m else None


class CookieSession:
    """One web UI session: the cookie ``name`` carried from answer to answer; ``fields`` go
    form-encoded."""

    def __init__(self, http, name):
        self.http = http
        self.name = name
        self.cookie = None

    def request(self, method, path, fields=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if fields is not None else {}
        if self.cookie:
            headers["Cookie"] = "%s=%s" % (self.name, self.cookie)
        body = urllib.parse.urlencode(fields) if fields is not None else None
        resp = self.http.request(method, path, body=body, headers=headers)
        self.cookie = cookie_value(resp.headers, self.name) or self.cookie
        return resp


class HttpApiDriver(BaseDriver):
    """Base of the HTTP API drivers: one ``HttpClient`` (TLS when ``use_tls``, the auth
    scheme from ``http_auth``); ``login`` is an authenticated GET of ``login_path``. On its
    own it is the generic driver for a web interface that asks for Basic/Digest."""

    name = "http_auth"
    abstract = True  # not a registry entry: the assessment builds it for unknown web UIs
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

    def _ok(self, resp, what):
        """The answer of an authenticated request that must succeed."""
        if resp.status in (401, 403):
            raise DriverError("%s: the device refused the login (HTTP %d)" % (what, resp.status))
        if not 200 <= resp.status < 300:
            raise DriverError("%s answered HTTP %d: %s" % (what, resp.status, clean(resp.body[:160])))
        return resp
