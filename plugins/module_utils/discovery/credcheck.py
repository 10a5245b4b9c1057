# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Opt-in check of factory-default credentials on a device's web interface.

Only called when the operator set ``try_default_credentials``. Per device it tries at most
``max_credential_attempts`` candidates and never as many as the product's lockout threshold
(threshold - 1 at most; one attempt when the product's lockout behaviour is unknown).
Only HTTP Basic and Digest (MD5) challenges on ports that answered 401 are tried. The result
says whether a default worked and for which user name; passwords are never kept.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import engine, fingerprints, probes


def attempts_allowed(lockout, wanted):
    """How many candidates may be tried on a device with this lockout data."""
    wanted = max(0, int(wanted))
    threshold = (lockout or {}).get("threshold")
    supported = (lockout or {}).get("supported")
    if threshold:
        return min(wanted, max(0, int(threshold) - 1))
    if supported is False:
        return wanted
    return min(wanted, 1)


def _digest_header(challenge, username, password, method, uri):
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    qop = "auth" if "auth" in params.get("qop", "").split(",") else None
    ha1 = hashlib.md5(("%s:%s:%s" % (username, realm, password)).encode()).hexdigest()  # noqa: S324 - RFC 7616 MD5
    ha2 = hashlib.md5(("%s:%s" % (method, uri)).encode()).hexdigest()  # noqa: S324
    if qop:
        cnonce = os.urandom(8).hex()
        resp = hashlib.md5(("%s:%s:00000001:%s:%s:%s" % (ha1, nonce, cnonce, qop, ha2)).encode()).hexdigest()  # noqa: S324
        extra = ', qop=%s, nc=00000001, cnonce="%s"' % (qop, cnonce)
    else:
        resp = hashlib.md5(("%s:%s:%s" % (ha1, nonce, ha2)).encode()).hexdigest()  # noqa: S324
        extra = ""
    opaque = ', opaque="%s"' % params["opaque"] if "opaque" in params else ""
    return 'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"%s%s' % (
        username,
        realm,
        nonce,
        uri,
        resp,
        extra,
        opaque,
    )


def _request(address, port, tls, timeout, auth=None):
    if tls:
        conn = http.client.HTTPSConnection(address, port, timeout=timeout, context=probes.tls_context())
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        headers = {"User-Agent": "iotguard-discovery/1.0", "Connection": "close"}
        if auth:
            headers["Authorization"] = auth
        conn.request("GET", "/", headers=headers)
        resp = conn.getresponse()
        resp.read(65536)
        return resp.status, resp.getheader("WWW-Authenticate") or ""
    finally:
        conn.close()


def check_host(address, scan, fp, max_attempts, timeout):
    creds = fp.get("default_credentials") or []
    allowed = attempts_allowed(fp.get("lockout"), max_attempts)
    result = {"iot_default_credential_valid": None, "iot_default_credential_username": None, "tried": 0}
    if not creds or not allowed:
        return result
    for key, svc in sorted(scan.get("services", {}).items()):
        if svc.get("protocol") not in ("http", "https") or svc.get("status_code") != 401:
            continue
        port = int(key.split("/")[0])
        tls = svc["protocol"] == "https"
        for cred in creds[:allowed]:
            if result["tried"] >= allowed:
                break
            try:
                status, challenge = _request(address, port, tls, timeout)
                if status != 401:
                    break
                if challenge.lower().startswith("digest"):
                    auth = _digest_header(challenge, cred["username"], cred["password"], "GET", "/")
                elif challenge.lower().startswith("basic"):
                    raw = ("%s:%s" % (cred["username"], cred["password"])).encode()
                    auth = "Basic " + base64.b64encode(raw).decode()
                else:
                    break
                result["tried"] += 1
                status = _request(address, port, tls, timeout, auth)[0]
            except (OSError, http.client.HTTPException):
                break
            if status < 400:
                result["iot_default_credential_valid"] = True
                result["iot_default_credential_username"] = cred["username"]
                return result
            result["iot_default_credential_valid"] = False
        return result
    return result


def check_all(results, oui_table, options):
    """Adds ``credentials`` to each host entry of a discovery result."""
    jobs = []
    for address, entry in results.get("hosts", {}).items():
        facts = engine.facts(entry, oui_table)
        fp = fingerprints.by_id(facts.get("iot_fingerprint_id"))
        if fp:
            jobs.append((address, entry, fp))
    timeout = float(options.get("read_timeout") or 2.0)
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [
            (
                entry,
                pool.submit(
                    check_host, address, entry["scan"], fp, options.get("max_credential_attempts", 1), timeout
                ),
            )
            for address, entry, fp in jobs
        ]
        for entry, fut in futures:
            entry["credentials"] = fut.result()
