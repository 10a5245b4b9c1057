# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IP camera / NVR HTTP APIs, modelled on the vendors' published interfaces.

* Hikvision ISAPI: digest auth; ``GET /ISAPI/Security/userCheck`` to log in (newer
  firmware adds ``isDefaultPassword``: the device's own word that the password is the
  default), ``GET /ISAPI/Security/users`` for the account id, ``PUT /ISAPI/Security/users/<id>``
  with a ``<User>`` document carrying the new ``password`` (and ``loginPassword``, the
  current one, which newer firmware requires). Answers come in the
  ``http://www.hikvision.com/ver20/XMLSchema`` namespace (older firmware) or
  ``http://www.isapi.org/ver20/XMLSchema`` (newer); both are read, and what we send uses
  the namespace the device answered in.
* Hikvision activation (Hikvision "ISAPI Developer Guide", 3.2 Activation): new firmware
  ships un-activated, ``admin`` without a password. ``GET /SDK/activateStatus`` (no auth)
  says ``<Activated>false</Activated>``; ``POST /ISAPI/Security/challenge`` with our
  1024-bit RSA modulus (hex, Base64) answers a 32-hex-digit random string encrypted to it
  (PKCS#1 v1.5, hex, Base64); ``PUT /ISAPI/System/activate`` carries the password as
  AES-128-ECB (key: the random string as bytes, zero padding) of the random string's first
  16 characters followed by the password, hex, Base64.
* Axis VAPIX: digest auth; ``/axis-cgi/pwdgrp.cgi?action=get`` to log in,
  ``action=update&user=<u>&pwd=<new>`` to change (``Modified account <u>.`` or
  ``Error: ...``).

Settings (capabilities):

* Hikvision ISAPI (Hikvision "ISAPI Core Protocol" / "Intelligent Security API" developer
  guide): ``GET/PUT /ISAPI/Security/illegalLoginLock`` (``IllegalLoginLock``: ``enabled``,
  ``maxIllegalLoginTimes``, the lock time as ``maxIllegalLoginLockTime`` on newer firmware,
  ``lockDuration`` on older; written back under the name the device reported), and
  ``GET/PUT /ISAPI/System/Network/telnetd`` and ``/ISAPI/System/Network/ssh``
  (``<enabled>true|false</enabled>``).
* Axis VAPIX (VAPIX "Parameter management" API): ``param.cgi?action=list`` /
  ``action=update&Network.FTP.Enabled=no``. Brute force delay protection (AXIS OS
  Knowledge base, "Brute force delay protection": AXIS OS 7.30 and later, on by default from
  11.5) is read from the System group: ``PreventDoSAttack`` (on/off), ``DOSPageCount``
  (failed requests per ``DOSPageInterval`` before the client is blocked) and
  ``DOSBlockingPeriod`` (seconds blocked). Firmware before 7.30 has none.
* Axis initial admin (AXIS OS Knowledge base, "Device access"; VAPIX "Systemready API" and
  "System settings"): AXIS OS 11.6 and later ships with no VAPIX user (9.40 on: ``root``
  without a password). ``POST /axis-cgi/systemready.cgi`` (no auth, AXIS OS 9.50 on) says
  ``needsetup``; the initial admin is created without credentials with
  ``pwdgrp.cgi?action=add&user=root&pwd=<new>&grp=root&sgrp=admin:operator:viewer:ptz``.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    NotSupported,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    InitialPassword,
    LockoutRange,
    LockoutRead,
    LockoutSet,
    ServiceSwitch,
)

__all__ = ["AxisVapixDriver", "HikvisionIsapiDriver", "HttpApiDriver"]

HIK_NS = "http://www.hikvision.com/ver20/XMLSchema"  # older firmware
ISAPI_NS = "http://www.isapi.org/ver20/XMLSchema"  # newer firmware
KNOWN_NS = (HIK_NS, ISAPI_NS)


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


def _isapi_doc(root, inner, namespace=HIK_NS):
    """An ISAPI request document; ``inner`` is built from numbers and fixed tags only."""
    return '<?xml version="1.0" encoding="UTF-8"?><%s version="2.0" xmlns="%s">%s</%s>' % (
        root,
        namespace,
        inner,
        root,
    )


def _namespace_of(root):
    """The ISAPI namespace an answer uses (one of ``KNOWN_NS``), or None."""
    tag = root.tag
    ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else None
    return ns if ns in KNOWN_NS else None


def _first(root, name):
    return next((e.text.strip() for e in _xml_find(root, name) if e.text), None)


def _rsa_keypair():
    """A fresh 1024-bit RSA key (what the activation handshake asks for), or NotSupported."""
    try:
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError as exc:  # pragma: no cover - cryptography comes with ansible-core
        raise NotSupported("activating needs the Python package cryptography on the controller") from exc
    # the device takes a 1024-bit modulus and nothing else; the key lives for one handshake
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


def seal_activation_password(random_text, password):
    """The ``<password>`` of ``PUT /ISAPI/System/activate``: AES-128-ECB (key: the 32 hex
    digits of the challenge as 16 bytes, zero padding) of the challenge's first 16
    characters followed by the password, as hex, then Base64."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = bytes.fromhex(random_text)
    plain = (random_text[:16] + password).encode("utf-8")
    plain += b"\0" * (-len(plain) % 16)
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - the device's protocol
    return base64.b64encode((enc.update(plain) + enc.finalize()).hex().encode("ascii")).decode("ascii")


class HikvisionIsapiDriver(LockoutSet, ServiceSwitch, InitialPassword, HttpApiDriver):
    """Hikvision ISAPI. Sources: Hikvision "ISAPI Developer Guide" (3.2 Activation; 4.2.1.1
    XML: the ``isapi.org`` namespace), "Intelligent Security API" (``/ISAPI/Security/*``,
    ``/ISAPI/System/Network/*``)."""

    name = "hikvision_isapi"
    abstract = False
    #: the one account an un-activated device has
    initial_account = "admin"
    login_path = "/ISAPI/Security/userCheck"
    # ISAPI: 8..16 characters, at least two kinds out of lower, upper, digit, special
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=16)
    # the web UI offers 3..20 attempts; the lock lasts 1..60 minutes
    lockout_range = LockoutRange((3, 20), (60, 3600))
    switchable_services = ("telnet", "ssh")
    LOCK_PATH = "/ISAPI/Security/illegalLoginLock"
    #: service -> (ISAPI path, root element)
    SERVICE_PATHS = (
        ("telnet", "/ISAPI/System/Network/telnetd", "Telnetd"),
        ("ssh", "/ISAPI/System/Network/ssh", "SSH"),
    )
    DURATION_FIELDS = ("maxIllegalLoginLockTime", "lockDuration")

    #: the namespace the device answers in (what we send uses it too)
    namespace = HIK_NS

    def _parse(self, body, what):
        root = _parse_xml(body, what)
        self.namespace = _namespace_of(root) or self.namespace
        return root

    def login(self, username, password):
        resp = self.http.request("GET", self.login_path, username, password)
        if not self._auth_status(resp, self.login_path):
            return False
        # userCheck answers 200 with <statusValue>; 401 inside a 200 means refused
        m = re.search(rb"<statusValue>\s*(\d+)\s*</statusValue>", resp.body)
        return not (m and m.group(1) != b"200")

    def reports_default(self, username, password):
        """The device's own ``isDefaultPassword`` for this login: True/False, or None when
        the firmware does not report it (older generations)."""
        resp = self.http.request("GET", self.login_path, username, password)
        if resp.status != 200:
            return None
        value = _first(self._parse(resp.body, self.login_path), "isDefaultPassword")
        return {"true": True, "false": False}.get((value or "").lower())

    def _get_xml(self, path, username, password):
        resp = self.http.request("GET", path, username, password)
        if resp.status != 200:
            raise DriverError("GET %s answered HTTP %d" % (path, resp.status))
        return _leaves(self._parse(resp.body, path))

    # -- activation (ISAPI Developer Guide 3.2) -----------------------------------------------
    def unclaimed(self, username):
        """``GET /SDK/activateStatus`` (no credentials): True when not activated."""
        resp = self.http.request("GET", "/SDK/activateStatus")
        if resp.status != 200 or not resp.body.strip().startswith(b"<"):
            return None  # firmware from before activation: it has a factory password instead
        value = _first(self._parse(resp.body, "/SDK/activateStatus"), "Activated")
        return {"false": True, "true": False}.get((value or "").lower())

    def claim(self, username, new_password):
        """Activate: the challenge handshake, then the sealed password (only ``admin`` exists
        on an un-activated device)."""
        from cryptography.hazmat.primitives.asymmetric import padding

        if username != "admin":
            raise NotSupported("an un-activated Hikvision has only 'admin', not %r" % clean(username, 64))
        key = _rsa_keypair()
        modulus = key.public_key().public_numbers().n.to_bytes(128, "big").hex()
        doc = _isapi_doc(
            "PublicKey",
            "<key>%s</key>" % base64.b64encode(modulus.encode("ascii")).decode("ascii"),
            self.namespace,
        )
        resp = self.http.request(
            "POST", "/ISAPI/Security/challenge", body=doc, headers={"Content-Type": "application/xml"}
        )
        if resp.status != 200:
            raise DriverError("POST /ISAPI/Security/challenge answered HTTP %d" % resp.status)
        sealed = _first(self._parse(resp.body, "/ISAPI/Security/challenge"), "key") or ""
        try:
            random_text = key.decrypt(
                bytes.fromhex(base64.b64decode(sealed, validate=True).decode("ascii")), padding.PKCS1v15()
            ).decode("ascii")
            bytes.fromhex(random_text)
        except ValueError as exc:
            raise DriverError("the activation challenge could not be read: %s" % clean(exc, 80)) from exc
        if len(random_text) != 32:
            raise DriverError("the activation challenge is %d characters, not 32" % len(random_text))
        body = _isapi_doc(
            "ActivateInfo",
            "<password>%s</password>" % seal_activation_password(random_text, new_password),
            self.namespace,
        )
        self._check_status(
            self.http.request(
                "PUT", "/ISAPI/System/activate", body=body, headers={"Content-Type": "application/xml"}
            ),
            "PUT /ISAPI/System/activate",
        )

    def _put_xml(self, path, username, password, doc):
        resp = self.http.request(
            "PUT", path, username, password, body=doc, headers={"Content-Type": "application/xml"}
        )
        code = None
        if resp.body.strip().startswith(b"<"):
            try:
                code = next((e.text for e in _xml_find(self._parse(resp.body, path), "statusCode")), None)
            except DriverError:
                pass
        if resp.status == 200 and code in (None, "1"):
            return
        raise DriverError("PUT %s answered HTTP %d statusCode=%s" % (path, resp.status, clean(code, 8)))

    def lockout_policy(self, username, password):
        """ISAPI IllegalLoginLock: enabled, maxIllegalLoginTimes, the lock time (seconds)."""
        leaves = self._get_xml(self.LOCK_PATH, username, password)
        enabled = str(leaves.get("enabled", "")).strip().lower()
        if enabled not in ("true", "false"):
            return None

        def number(key):
            value = str(leaves.get(key, "")).strip()
            return int(value) if value.isdigit() and 0 < int(value) < 100000 else None

        threshold = number("maxIllegalLoginTimes")
        duration = next((number(k) for k in self.DURATION_FIELDS if number(k)), None)
        return {
            "enabled": enabled == "true",
            "threshold": threshold if enabled == "true" else None,
            "duration": duration,
            "evidence": "illegal-login lock <enabled>%s</enabled> <maxIllegalLoginTimes>%s (ISAPI)"
            % (enabled, threshold if threshold else "?"),
        }

    def _write_lockout(self, username, password, lockout):
        leaves = self._get_xml(self.LOCK_PATH, username, password)
        field = next((k for k in self.DURATION_FIELDS if k in leaves), self.DURATION_FIELDS[-1])
        parts = ["<enabled>%s</enabled>" % str(bool(lockout.get("enabled", True))).lower()]
        if lockout.get("threshold") is not None:
            parts.append("<maxIllegalLoginTimes>%d</maxIllegalLoginTimes>" % lockout["threshold"])
        if lockout.get("duration") is not None:
            parts.append("<%s>%d</%s>" % (field, lockout["duration"], field))
        self._put_xml(
            self.LOCK_PATH, username, password, _isapi_doc("IllegalLoginLock", "".join(parts), self.namespace)
        )

    def read_services(self, username, password):
        out = {}
        for service, path, _tag in self.SERVICE_PATHS:
            value = str(self._get_xml(path, username, password).get("enabled", "")).strip().lower()
            if value in ("true", "false"):
                out[service] = value == "true"
        return out

    def _write_service(self, username, password, service, enabled):
        path, tag = next((p, t) for s, p, t in self.SERVICE_PATHS if s == service)
        inner = "<enabled>%s</enabled>" % str(enabled).lower()
        self._put_xml(path, username, password, _isapi_doc(tag, inner, self.namespace))

    def _user_id(self, username, password):
        resp = self.http.request("GET", "/ISAPI/Security/users", username, password)
        if resp.status in (401, 403):
            raise DriverError("ISAPI refused %r reading the user list" % username)
        if resp.status != 200:
            raise DriverError("GET /ISAPI/Security/users answered HTTP %d" % resp.status)
        root = self._parse(resp.body, "/ISAPI/Security/users")
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
            % (self.namespace, uid, escape(username), escape(new_password), escape(old_password))
        )
        self._sending()
        resp = self.http.request(
            "PUT",
            "/ISAPI/Security/users/%s" % uid,
            username,
            old_password,
            body=doc,
            headers={"Content-Type": "application/xml"},
        )
        self._check_status(resp, "PUT /ISAPI/Security/users")

    def _check_status(self, resp, what):
        """A ``ResponseStatus`` answer to a change: fine, ``PasswordRejected`` (with the
        device's own words, often the rule it wants) or ``DriverError``."""
        code = sub = msg = None
        if resp.body.strip().startswith(b"<"):
            try:
                root = self._parse(resp.body, what)
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


class AxisVapixDriver(LockoutRead, ServiceSwitch, InitialPassword, HttpApiDriver):
    """Axis VAPIX. Sources: VAPIX library ("Parameter management", "System settings",
    "Systemready API"), AXIS OS Knowledge base ("Device access", "Brute force delay
    protection")."""

    name = "axis_vapix"
    abstract = False
    #: the account the initial admin is created as
    initial_account = "root"
    INITIAL_GROUPS = "admin:operator:viewer:ptz"
    login_path = "/axis-cgi/pwdgrp.cgi?action=get"
    password_policy = PasswordPolicy(min_length=8, max_length=64, length=24)
    switchable_services = ("ftp",)
    SERVICE_PARAMS = (("ftp", "Network.FTP.Enabled"),)

    def _params(self, group, username, password):
        path = "/axis-cgi/param.cgi?action=list&group=" + urllib.parse.quote(group)
        resp = self._ok(self.http.request("GET", path, username, password), "GET " + path)
        out = {}
        for line in resp.text.splitlines()[:64]:
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                out[clean(key, 64)] = clean(value, 128)
        return out

    def identify(self, username, password):
        """The Brand parameter group (make, model, firmware)."""
        return self._params("Brand", username, password)

    # brute force delay protection came with AXIS OS 7.30
    LOCKOUT_FROM = (7, 30)

    def lockout_policy(self, username, password):
        """Brute force delay protection from the System group; firmware before 7.30 has none."""
        system = self._params("System", username, password)
        enabled = system.get("root.System.PreventDoSAttack", "").strip().lower()
        if enabled in ("yes", "no"):

            def number(key):
                value = system.get("root.System." + key, "").strip()
                return int(value) if value.isdigit() and 0 < int(value) < 100000 else None

            threshold, duration = number("DOSPageCount"), number("DOSBlockingPeriod")
            return {
                "enabled": enabled == "yes",
                "threshold": threshold if enabled == "yes" else None,
                "duration": duration if enabled == "yes" else None,
                "evidence": "brute force delay PreventDoSAttack=%s DOSPageCount=%s/%ss "
                "DOSBlockingPeriod=%ss (VAPIX)"
                % (
                    enabled,
                    threshold or "?",
                    number("DOSPageInterval") or "?",
                    duration or "?",
                ),
            }
        firmware = self._params("Properties.Firmware.Version", username, password)
        m = re.match(r"(\d+)\.(\d+)", firmware.get("root.Properties.Firmware.Version", ""))
        if m and (int(m.group(1)), int(m.group(2))) < self.LOCKOUT_FROM:
            return {
                "enabled": False,
                "threshold": None,
                "duration": None,
                "evidence": "AXIS OS %s.%s predates brute force delay protection (7.30)" % m.groups(),
            }
        return None  # a firmware that should have it does not list it: cannot tell

    def unclaimed(self, username):
        """``systemready.cgi`` (no credentials): True when the device needs its initial admin."""
        body = json.dumps({"apiVersion": "1.0", "method": "systemready"})
        resp = self.http.request(
            "POST", "/axis-cgi/systemready.cgi", body=body, headers={"Content-Type": "application/json"}
        )
        if resp.status != 200:
            return None  # before AXIS OS 9.50
        try:
            data = json.loads(resp.body[:8192].decode("utf-8", "replace")).get("data") or {}
        except (ValueError, AttributeError):
            return None
        return {"yes": True, "no": False}.get(str(data.get("needsetup", "")).lower())

    def claim(self, username, new_password):
        """Create the initial admin (no credentials: the device has none yet)."""
        query = urllib.parse.urlencode(
            {
                "action": "add",
                "user": username,
                "pwd": new_password,
                "grp": "root",
                "sgrp": self.INITIAL_GROUPS,
            }
        )
        resp = self.http.request("GET", "/axis-cgi/pwdgrp.cgi?" + query)
        text = resp.text
        if resp.status == 200 and text.strip().startswith("Created account"):
            return
        if resp.status == 200 and "error" in text.lower():
            raise PasswordRejected("VAPIX: %s" % clean(text[:160]))
        raise DriverError("/axis-cgi/pwdgrp.cgi add answered HTTP %d: %s" % (resp.status, clean(text[:160])))

    def read_services(self, username, password):
        out = {}
        for service, param in self.SERVICE_PARAMS:
            value = self._params(param, username, password).get("root." + param, "").lower()
            if value in ("yes", "no"):
                out[service] = value == "yes"
        return out

    def _write_service(self, username, password, service, enabled):
        query = urllib.parse.urlencode(
            {"action": "update", dict(self.SERVICE_PARAMS)[service]: "yes" if enabled else "no"}
        )
        resp = self._ok(
            self.http.request("GET", "/axis-cgi/param.cgi?" + query, username, password), "param.cgi update"
        )
        if not resp.text.strip().startswith("OK"):
            raise DriverError("VAPIX param.cgi update: %s" % clean(resp.text[:160]))

    def change_password(self, username, old_password, new_password):
        # VAPIX takes the account and password in the query string (GET or POST); what we
        # send is never logged, and device answers are cleaned before they are shown.
        query = urllib.parse.urlencode({"action": "update", "user": username, "pwd": new_password})
        self._sending()
        resp = self.http.request("GET", "/axis-cgi/pwdgrp.cgi?" + query, username, old_password)
        text = resp.text
        if resp.status == 200 and "error" not in text.lower():
            return
        if resp.status in (200, 400) and "error" in text.lower():
            raise PasswordRejected("VAPIX: %s" % clean(text[:160]))
        raise DriverError(
            "/axis-cgi/pwdgrp.cgi update answered HTTP %d: %s" % (resp.status, clean(text[:160]))
        )
