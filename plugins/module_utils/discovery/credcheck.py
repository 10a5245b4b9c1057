# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Opt-in check of factory-default credentials on a device's web interface.

Only called when the operator set ``try_default_credentials``. Every login spends from the
device's shared login budget (``access.budget``: the lockout the device reported earlier,
else the product's, labelled as fallback; one failure when unknown), capped by
``max_credential_attempts``; the ledger beside the inventory carries what was spent to the
assessment and rotation that follow.
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

from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    Ledger,
    LoginBudget,
    device_keys,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import engine, fingerprints, probes


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


def check_host(address, scan, fp, max_attempts, timeout, ledger=None, mac=None):
    creds = fp.get("default_credentials") or []
    budget = LoginBudget.for_device(
        device_keys(address=address, mac=mac), ledger, product=fp.get("lockout"), who="discovery",
        max_attempts=max_attempts,
    )  # fmt: skip
    result = {"iot_default_credential_valid": None, "iot_default_credential_username": None, "tried": 0}
    result["budget"] = budget.report()
    if not creds or not budget.remaining():
        return result
    for key, svc in sorted(scan.get("services", {}).items()):
        if svc.get("protocol") not in ("http", "https") or svc.get("status_code") != 401:
            continue
        port = int(key.split("/")[0])
        tls = svc["protocol"] == "https"

        def login(user, password, port=port, tls=tls):
            status, challenge = _request(address, port, tls, timeout)
            if status != 401:
                raise OSError("no longer asks for credentials")
            if challenge.lower().startswith("digest"):
                auth = _digest_header(challenge, user, password, "GET", "/")
            elif challenge.lower().startswith("basic"):
                raw = ("%s:%s" % (user, password)).encode()
                auth = "Basic " + base64.b64encode(raw).decode()
            else:
                raise OSError("unknown challenge")
            return _request(address, port, tls, timeout, auth)[0] < 400

        for cred in creds:
            try:
                ok = budget.attempt(login, cred["username"], cred["password"], "default")
            except (OSError, http.client.HTTPException):
                break
            if ok is None:
                break
            result["tried"] += 1
            if ok:
                result["iot_default_credential_valid"] = True
                result["iot_default_credential_username"] = cred["username"]
                break
            result["iot_default_credential_valid"] = False
        break
    result["budget"] = budget.report()
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
    ledger = Ledger(options.get("login_ledger"))
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [
            (
                entry,
                pool.submit(
                    check_host,
                    address,
                    entry["scan"],
                    fp,
                    options.get("max_credential_attempts", 1),
                    timeout,
                    ledger,
                    (entry.get("target") or {}).get("mac"),
                ),
            )
            for address, entry, fp in jobs
        ]
        for entry, fut in futures:
            entry["credentials"] = fut.result()
