# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VoIP desk phones.

* Polycom / Poly VVX (``polycom_rest``). Source: "Poly UC Software REST API Reference
  Manual" (UC Software 5.9-6.4, 3725-46212) and the Poly community FAQ "Locking the Web
  Configuration Utility after Failed Login" (UC Software 5.5.0). Basic or Digest auth with
  the admin account ``Polycom``; ``GET /api/v1/mgmt/device/info`` proves a credential and
  names the firmware; ``POST /api/v1/mgmt/config/get`` ``{"data": [param, ...]}`` reads and
  ``POST /api/v1/mgmt/config/set`` ``{"data": {param: value}}`` writes configuration
  parameters, answering ``{"Status": "2000", ...}`` (4xxx/5xxx codes otherwise). The admin
  password is the parameter ``device.auth.localAdminPassword``; the web UI lock is
  ``httpd.cfg.lockWebUI.enable`` (1 by default since UCS 5.5.0),
  ``httpd.cfg.lockWebUI.noOfInvalidAttempts`` (3-20, default 5) and
  ``httpd.cfg.lockWebUI.lockOutDuration`` (60-300 s, default 60). Older UCS does not know
  those parameters: the lock does not exist there and cannot be set.
  The second web account ``User`` (factory password 123; Poly "UC Software Administrator
  Guide", "Administrator and User Passwords") has no REST access: it proves a credential
  through the Web Configuration Utility's sign-in, ``POST /form-submit/auth.htm`` with Basic
  credentials, answered ``lockparams|SUCCESS|0`` (else ``INVALID_LOGIN`` or
  ``ONE_ATTEMPT_LEFT``), as public clients of the VVX web UI use it. Its password is the
  parameter ``device.auth.localUserPassword``, set with ``config/set`` as the admin: the admin's
  password comes as the second credential the access resolver gives (``enable_account`` =
  ``Polycom``: the store's current one, else the factory 456, or ``driver_options.enable_secret``).
  Unverified on a real phone: that ``config/set`` takes ``device.auth.localUserPassword`` (the
  REST manual lists no per-parameter exceptions) and the sign-in's answer to a locked web UI
  (taken as no verdict).
* Yealink SIP-T4x/T5x (``yealink_http``, alias ``phone_http``): the phone's own web UI, the
  ``servlet`` session of firmware 8x (e.g. T46S 66.86). Sources: Yealink "SIP-T4 Series IP
  Phones Administrator Guide" (security chapter "User and Administrator Passwords": accounts
  ``admin``/``admin`` and ``user``/``user``; "A user or an administrator can change the user
  password. The administrator password can only be changed by an administrator"; the page
  ``servlet?p=security&q=load``; ``static.security.user_password = user:123`` in provisioning;
  passwords up to 32 characters) and public client code of that web UI (Yealink config
  backup and phone set-up scripts on GitHub, Greenbone's "Yealink IP Phone Detection"):

  - ``GET /servlet?m=mod_listener&p=login&q=loginForm`` sets the ``JSESSIONID`` cookie and
    carries ``g_rsa_n``/``g_rsa_e`` (the page's RSA key, hex), ``g_strFirmware`` and
    ``g_phonetype``;
  - ``POST /servlet?m=mod_listener&p=login&q=login`` with ``username``, ``pwd``, ``rsakey``
    and ``rsaiv``: a random 16-byte AES key and IV, each sent as its 32 hex digits encrypted
    with the page's RSA key (PKCS#1 v1.5, hex); ``pwd`` is base64 of AES-128-CBC (zero
    padding) over ``random;JSESSIONID;password``. ``{"authstatus":"done"}`` is success;
  - ``GET /servlet?m=mod_data&p=security&q=load`` gives the page token ``g_strToken``;
    ``POST /servlet?m=mod_password&p=security&q=change`` with ``editOldPassword``,
    ``editNewPassword`` (each encrypted as ``pwd``), ``rsakey``, ``rsaiv``, ``token`` and
    ``mode`` (the account) answers ``{'result' : '0'}`` when the password changed.

  Not documented publicly, so the driver takes the conservative reading: the answer of a
  refused login (anything but ``done`` is a refusal), the change's other result codes (the
  old password was proved by the sign-in of the same session a moment before, so another
  code is taken as the phone refusing the new password), and the web login lock: Greenbone's
  detection script shows the page "You are not authorized ... try again N minutes later",
  so a lock exists, but no public source gives its threshold or a setting for it. The driver
  therefore reads no lockout (the product data sizes the login budget) and sets none; a
  locked answer is an error naming the wait, never a verdict on the password. Each account
  signs in and changes its own password (``admin`` or ``user``); ``var`` and others are not
  supported.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets

try:
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - cryptography comes with ansible-core
    HAS_CRYPTOGRAPHY = False

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    CookieSession,
    HttpApiDriver,
    json_object,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    NotSupported,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    LockoutRange,
    LockoutSet,
)

MAX_PAGE = 64 * 1024


#: Yealink's web UI (firmware 8x servlet): the pages the driver uses
YL_LOGIN_FORM = "/servlet?m=mod_listener&p=login&q=loginForm&jumpto=status"
YL_LOGIN = "/servlet?m=mod_listener&p=login&q=login"
YL_SECURITY = "/servlet?m=mod_data&p=security&q=load"
YL_CHANGE = "/servlet?m=mod_password&p=security&q=change"
YL_ACCOUNTS = ("admin", "user")
_JS_VAR = r'var\s+%s\s*=\s*["\']([^"\'<>]{0,%d})["\']'
_LOCKED = re.compile(r"try again\s+(\d{1,4})\s+minutes? later", re.I)
_RESULT = re.compile(r"""["']result["']\s*:\s*["']?(-?\d{1,6})""")


def page_var(html, name, limit=64):
    """The string a Yealink page assigns to ``var NAME = "..."`` (bounded), or None."""
    m = re.search(_JS_VAR % (re.escape(name), limit), html[:MAX_PAGE])
    return m.group(1) if m else None


def login_page(html):
    """What the login form says: the RSA key (``n``, ``e`` as ints), model and firmware."""
    n, e = page_var(html, "g_rsa_n", 1100), page_var(html, "g_rsa_e", 16)
    try:
        n, e = int(n, 16), int(e, 16)
    except (TypeError, ValueError):
        raise DriverError(
            "the login form carries no RSA key (g_rsa_n/g_rsa_e); is this a Yealink web UI of firmware 8x?"
        ) from None
    if n.bit_length() < 512 or e < 3:
        raise DriverError("the login form's RSA key is not usable (%d-bit modulus)" % n.bit_length())
    return {
        "n": n,
        "e": e,
        "model": clean(page_var(html, "g_phonetype"), 64),
        "firmware": clean(page_var(html, "g_strFirmware"), 64),
    }


def login_verdict(body):
    """True (signed in), False (refused) or ``DriverError`` (the web login is locked)."""
    text = body[:MAX_PAGE]
    if re.search(r'"authstatus"\s*:\s*"done"', text):
        return True
    locked = _LOCKED.search(text)
    if locked:
        raise DriverError(
            "the phone's web login is locked: it says try again %s minute(s) later" % locked.group(1)
        )
    return False


def change_result(body):
    """The ``result`` code of a password change answer, or None."""
    m = _RESULT.search(body[:MAX_PAGE])
    return m.group(1) if m else None


class WebCipher:
    """The web UI's field encryption for one request: a fresh AES-128 key and IV, sent
    RSA-encrypted with the page's key; each secret field is AES-CBC over
    ``random;JSESSIONID;secret`` with zero padding, in base64."""

    def __init__(self, n, e, session_id):
        if not HAS_CRYPTOGRAPHY:
            raise DriverError("yealink_http needs the Python package cryptography on the controller")
        self.session_id = session_id
        self._public = rsa.RSAPublicNumbers(e, n).public_key()
        self._key, self._iv = os.urandom(16), os.urandom(16)

    def _rsa_hex(self, raw):
        return self._public.encrypt(raw.hex().encode("ascii"), padding.PKCS1v15()).hex()

    def keys(self):
        return {"rsakey": self._rsa_hex(self._key), "rsaiv": self._rsa_hex(self._iv)}

    def encrypt(self, secret):
        nonce = "0.%016d" % secrets.randbelow(10**16)
        data = ("%s;%s;%s" % (nonce, self.session_id, secret)).encode("utf-8")
        data += b"\0" * (-len(data) % 16)
        enc = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        return base64.b64encode(enc.update(data) + enc.finalize()).decode("ascii")


class YealinkWebDriver(HttpApiDriver):
    name = "yealink_http"
    abstract = False
    aliases = ("phone_http",)  # the lab phone form's driver before it followed the real web UI
    login_path = YL_LOGIN_FORM
    # the admin guide: "String within 32 characters"; our safe alphabet is inside ASCII 32-126
    password_policy = PasswordPolicy(min_length=6, max_length=32, length=20)

    def _form(self, session):
        resp = session.request("GET", YL_LOGIN_FORM)
        if resp.status != 200:
            raise DriverError("GET the login form answered HTTP %d" % resp.status)
        page = login_page(resp.text)
        if not session.cookie:
            raise DriverError("the login form set no JSESSIONID cookie")
        return page

    def _sign_in(self, username, password):
        """A signed-in session and its cipher, or None when the phone refused."""
        session = CookieSession(self.http, "JSESSIONID")
        page = self._form(session)
        cipher = WebCipher(page["n"], page["e"], session.cookie)
        fields = {"username": username, "pwd": cipher.encrypt(password), "jumpto": "status", "acc": ""}
        fields.update(cipher.keys())
        resp = session.request("POST", YL_LOGIN, fields)
        if resp.status != 200:
            raise DriverError("POST the login answered HTTP %d" % resp.status)
        return (session, cipher) if login_verdict(resp.text) else None

    def login(self, username, password):
        return self._sign_in(username, password) is not None

    def identify(self, username, password):
        page = self._form(CookieSession(self.http, "JSESSIONID"))
        return {"model": page["model"], "firmware": page["firmware"]}

    def change_password(self, username, old_password, new_password):
        if username not in YL_ACCOUNTS:
            raise NotSupported(
                "yealink_http changes the web accounts admin and user only, not %r" % clean(username, 32)
            )
        signed = self._sign_in(username, old_password)
        if signed is None:
            raise DriverError("the phone refused the login just before the change")
        session, cipher = signed
        resp = session.request("GET", YL_SECURITY)
        token = page_var(resp.text, "g_strToken", 128) if resp.status == 200 else None
        if not token:
            raise DriverError("the security page carries no token (HTTP %d)" % resp.status)
        fields = {
            "editOldPassword": cipher.encrypt(old_password),
            "editNewPassword": cipher.encrypt(new_password),
            "token": token,
            "mode": username,
        }
        fields.update(cipher.keys())
        self._sending()
        resp = session.request("POST", YL_CHANGE, fields)
        if resp.status != 200:
            raise DriverError("POST the password change answered HTTP %d" % resp.status)
        code = change_result(resp.text)
        if code is None:
            raise DriverError("the password change answered no result: %s" % clean(resp.body[:160]))
        if code != "0":
            raise PasswordRejected("the phone refused the new password of %s (result %s)" % (username, code))


#: Poly's REST status codes (REST API Reference Manual, "Status codes")
POLY_OK = "2000"
LOCK_ENABLE = "httpd.cfg.lockWebUI.enable"
LOCK_ATTEMPTS = "httpd.cfg.lockWebUI.noOfInvalidAttempts"
LOCK_DURATION = "httpd.cfg.lockWebUI.lockOutDuration"
ADMIN_PASSWORD = "device.auth.localAdminPassword"  # noqa: S105 - a parameter name
USER_PASSWORD = "device.auth.localUserPassword"  # noqa: S105 - a parameter name
POLY_ADMIN, POLY_USER = "Polycom", "User"
WEB_AUTH = "/form-submit/auth.htm"
_LOCKPARAMS = re.compile(r"^\s*lockparams\|([A-Z_]{1,32})\|(\d{0,8})")


def web_auth_verdict(body):
    """True/False from the Web Configuration Utility's ``lockparams|STATE|n`` answer;
    ``DriverError`` for anything else (a locked web UI is no verdict on the password)."""
    m = _LOCKPARAMS.match(body[:256])
    if m and m.group(1) == "SUCCESS":
        return True
    if m and m.group(1) in ("INVALID_LOGIN", "ONE_ATTEMPT_LEFT"):
        return False
    raise DriverError(
        "%s answered %s: no verdict on the password (a locked web UI?)"
        % (WEB_AUTH, clean(body[:80]) or "nothing")
    )


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class PolycomRestDriver(LockoutSet, HttpApiDriver):
    name = "polycom_rest"
    abstract = False
    login_path = "/api/v1/mgmt/device/info"
    lockout_range = LockoutRange((3, 20), (60, 300))
    #: the admin, whose password the resolver hands over (``enable_secret``) to set ``User``'s
    enable_account = POLY_ADMIN
    # UCS takes printable ASCII up to 32; our safe symbols are JSON- and shell-safe
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=20)

    def _post(self, path, username, password, body):
        resp = self.http.request(
            "POST",
            path,
            username,
            password,
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        return json_object(self._ok(resp, "POST " + path), "POST " + path)

    def _config_get(self, username, password, params):
        data = self._post("/api/v1/mgmt/config/get", username, password, {"data": list(params)})
        if str(data.get("Status")) != POLY_OK:
            return None
        values = data.get("data")
        return values if isinstance(values, dict) else None

    def _config_set(self, username, password, values):
        data = self._post("/api/v1/mgmt/config/set", username, password, {"data": values})
        status = clean(data.get("Status"), 8)
        if status != POLY_OK:
            return status, clean(data.get("Message") or data.get("message") or "", 160)
        return None

    def identify(self, username, password):
        data = json_object(
            self._ok(self.http.request("GET", self.login_path, username, password), "GET " + self.login_path),
            "GET " + self.login_path,
        ).get("data")
        data = data if isinstance(data, dict) else {}
        return {
            k: clean(data.get(v), 64) for k, v in (("model", "ModelNumber"), ("firmware", "FirmwareRelease"))
        }

    def lockout_policy(self, username, password):
        if username != POLY_ADMIN:
            return None  # the User account has no REST access to ask with
        values = self._config_get(username, password, (LOCK_ENABLE, LOCK_ATTEMPTS, LOCK_DURATION))
        if values is None or LOCK_ENABLE not in values:
            self.lockout_fixed = True  # this firmware has no web UI lock to set
            firmware = self.identify(username, password).get("firmware") or "?"
            return {
                "enabled": False,
                "threshold": None,
                "duration": None,
                "evidence": "config/get does not know %s on UC Software %s (the web UI lock came in 5.5.0)"
                % (LOCK_ENABLE, firmware),
            }
        enabled = _int(values.get(LOCK_ENABLE)) == 1
        threshold, duration = _int(values.get(LOCK_ATTEMPTS)), _int(values.get(LOCK_DURATION))
        return {
            "enabled": enabled,
            "threshold": threshold if enabled else None,
            "duration": duration,
            "evidence": "config/get: %s=%s, %s=%s, %s=%s"
            % (LOCK_ENABLE, int(enabled), LOCK_ATTEMPTS, threshold, LOCK_DURATION, duration),
        }

    def _write_lockout(self, username, password, lockout):
        values = {LOCK_ENABLE: "1" if lockout.get("enabled", True) else "0"}
        if lockout.get("threshold") is not None:
            values[LOCK_ATTEMPTS] = str(lockout["threshold"])
        if lockout.get("duration") is not None:
            values[LOCK_DURATION] = str(lockout["duration"])
        failed = self._config_set(username, password, values)
        if failed:
            raise DriverError("config/set of the web UI lock answered Status %s: %s" % failed)

    def login(self, username, password):
        if username == POLY_ADMIN:
            return super().login(username, password)
        # the User account has no REST access: the web UI's own sign-in proves it
        token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
        resp = self.http.request("POST", WEB_AUTH, headers={"Authorization": "Basic " + token})
        if resp.status != 200:
            raise DriverError("%s answered HTTP %d" % (WEB_AUTH, resp.status))
        return web_auth_verdict(resp.text)

    def change_password(self, username, old_password, new_password):
        if username == POLY_ADMIN:
            admin, param = old_password, ADMIN_PASSWORD
        elif username == POLY_USER:
            admin, param = self.options.get("enable_secret"), USER_PASSWORD
            if not admin:
                raise DriverError(
                    "setting User's password needs the admin Polycom's: store it as account Polycom "
                    "or pass driver_options.enable_secret"
                )
        else:
            raise NotSupported(
                "polycom_rest sets the web accounts Polycom and User only, not %r" % clean(username, 32)
            )
        self._sending()
        failed = self._config_set(POLY_ADMIN, admin, {param: new_password})
        if failed:
            # 4xxx: the phone refused the input (the password); anything else is no verdict on it
            error = PasswordRejected if failed[0].startswith("4") else DriverError
            raise error("config/set %s answered Status %s: %s" % (param, *failed))
