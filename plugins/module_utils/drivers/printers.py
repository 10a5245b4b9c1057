# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HP printers: the Embedded Web Server (EWS), in its two generations.

The driver asks the device which one it runs (``GET /hp/device/SignIn/Index``: a sign-in
form with a ``CSRFToken`` means FutureSmart, a 404 the legacy EWS); the driver option
``ews_generation`` (``futuresmart`` / ``legacy``) skips the question.

* FutureSmart (LaserJet Enterprise, FutureSmart 3-5), as HP's own EWS pages post it and
  public clients of them use it (e.g. the nuclei template ``hp-printer-default-login``;
  HP's ``Ews.py`` test helper for ``GeneralSecurity/Save``):

  - sign in: ``GET /hp/device/SignIn/Index`` gives a ``sessionId`` cookie and a hidden
    ``CSRFToken``; ``POST`` the same path with ``CSRFToken``,
    ``agentIdSelect=hp_EmbeddedPin_v1``, ``PinDropDown=AdminItem``, ``PasswordTextBox``
    and ``signInOk``. Accepted: a redirect away from the sign-in page with a new
    ``sessionId``; refused: the sign-in page again (with its error text).
  - the administrator password: ``GET /hp/device/GeneralSecurity/Index`` (a fresh
    ``CSRFToken`` and ``isSet``), then ``POST /hp/device/GeneralSecurity/Save`` with
    ``CSRFToken``, ``isSet``, ``newPassword``, ``verifyPassword`` and
    ``FormButtonSubmit=Apply``; a redirect is success, the page again carries the refusal.
    Once a password is set the page asks for the old one too: the public helper only posts
    to printers without one, so the driver takes that field's name from the page (its one
    other password input; the lab names it ``oldPassword``) and refuses a page where it
    cannot tell.

* legacy EWS (LaserJet Pro and the pre-FutureSmart LaserJets): HTTP Basic as user
  ``admin`` once a password is set; the password page ``GET
  /hp/device/set_config_password.html`` (a login check without side effects) posts
  ``Password`` and ``ConfirmPassword`` to ``/hp/device/set_config_password.html/config``
  (the form NVD's CVE-2009-0940 describes).

SNMP community: HP documents it in the Jetdirect pages (Networking > SNMP, "Get
Community Name"; HP Jetdirect Print Servers Administrator's Guide) but not that form's
field names. The driver posts ``ReadCommunity`` to ``/hp/device/SnmpSettings/Save`` (the
lab's form, in the session of either generation) and trusts only SNMP itself for the
answer: the new community must answer an RFC 3416 GET of sysDescr, and "default" is
reported while ``public``/``private`` answer.
"""

from __future__ import annotations

import re
import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    CookieSession,
    HttpApiDriver,
    cookie_value,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    SnmpCommunitySet,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SIGN_IN = "/hp/device/SignIn/Index"
SECURITY_PAGE = "/hp/device/GeneralSecurity/Index"
SECURITY_SAVE = "/hp/device/GeneralSecurity/Save"
SNMP_SAVE = "/hp/device/SnmpSettings/Save"
LEGACY_PAGE = "/hp/device/set_config_password.html"
LEGACY_SAVE = LEGACY_PAGE + "/config"
GENERATIONS = ("futuresmart", "legacy")

_INPUT = re.compile(r"<input\b[^>]{0,1000}>", re.I)
_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]{0,1000})"|'([^']{0,1000})'|([^\s>]{1,1000}))""")
_ERROR = re.compile(r"""class=["'][^"']*error[^"']*["'][^>]*>([^<]{1,300})<""", re.I)
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_.:-]{8,512}$")


def _inputs(html):
    """The attributes of a page's ``<input>`` tags (bounded: 200 tags of a 256 KiB page)."""
    for tag in _INPUT.findall(html[:262144])[:200]:
        attrs = {}
        for m in _ATTR.finditer(tag):
            attrs[m.group(1).lower()] = m.group(2) or m.group(3) or m.group(4) or ""
        yield attrs


def hidden_inputs(html):
    """``{name: value}`` of the hidden inputs of an EWS page (first one wins)."""
    out = {}
    for attrs in _inputs(html):
        if attrs.get("type", "").lower() == "hidden" and attrs.get("name"):
            out.setdefault(attrs["name"], attrs.get("value", ""))
    return out


def password_inputs(html):
    """The names of an EWS page's password inputs, in page order."""
    out = []
    for attrs in _inputs(html):
        name = clean(attrs.get("name", ""), 64)
        if attrs.get("type", "").lower() == "password" and name and name not in out:
            out.append(name)
    return out


def page_error(html):
    """The refusal an EWS page shows (its error element's text), cleaned; "" when none."""
    m = _ERROR.search(html[:262144])
    return clean(m.group(1).strip(), 160) if m else ""


def session_cookie(headers):
    """The ``sessionId`` a response sets, or None."""
    return cookie_value(headers, "sessionId")


def csrf_token(html, where):
    """The page's ``CSRFToken``; ``DriverError`` naming ``where`` when it carries none."""
    token = hidden_inputs(html).get("CSRFToken", "")
    if not _TOKEN.match(token):
        raise DriverError("%s carries no usable CSRFToken; is this an HP FutureSmart EWS?" % where)
    return token


class _Session(CookieSession):
    """One FutureSmart EWS session: the ``sessionId`` cookie carried from answer to answer."""

    def __init__(self, http):
        super().__init__(http, "sessionId")


def _redirected_away(resp):
    location = resp.headers.get("location", "")
    return resp.status in (302, 303) and "signin" not in location.lower()


class HpEwsDriver(SnmpCommunitySet, HttpApiDriver):
    name = "hp_ews"
    abstract = False
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=16)

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")
        super().__init__(host, port, timeout, **options)
        self._generation = options.get("ews_generation")
        if self._generation is not None and self._generation not in GENERATIONS:
            raise DriverError(
                "ews_generation=%r: use one of %s (or leave it out to ask the device)"
                % (clean(self._generation, 32), ", ".join(GENERATIONS))
            )

    # -- which EWS ---------------------------------------------------------------------------
    def generation(self):
        """``futuresmart`` or ``legacy``, from what the device's sign-in page says."""
        if self._generation is None:
            resp = self.http.request("GET", SIGN_IN)
            if resp.status == 200 and "CSRFToken" in resp.text and "PasswordTextBox" in resp.text:
                self._generation = "futuresmart"
            elif resp.status == 404:
                self._generation = "legacy"
            else:
                raise DriverError(
                    "%s answered HTTP %d without a sign-in form: neither a FutureSmart nor a legacy HP EWS"
                    % (SIGN_IN, resp.status)
                )
        return self._generation

    # -- FutureSmart -------------------------------------------------------------------------
    def _sign_in(self, password):
        """A signed-in ``_Session``, or None when the EWS refuses ``password``."""
        sess = _Session(self.http)
        page = sess.request("GET", SIGN_IN)
        if page.status != 200:
            raise DriverError("GET %s answered HTTP %d" % (SIGN_IN, page.status))
        fields = {
            "CSRFToken": csrf_token(page.text, SIGN_IN),
            "agentIdSelect": "hp_EmbeddedPin_v1",
            "PinDropDown": "AdminItem",
            "PasswordTextBox": password,
            "signInOk": "Sign In",
        }
        resp = sess.request("POST", SIGN_IN, fields)
        if _redirected_away(resp):
            return sess
        if resp.status == 200 and "PasswordTextBox" in resp.text:
            return None  # the sign-in page again: refused
        raise DriverError(
            "POST %s answered HTTP %d: %s"
            % (SIGN_IN, resp.status, page_error(resp.text) or "no sign-in result")
        )

    def _signed_in(self, password, what):
        sess = self._sign_in(password)
        if sess is None:
            raise DriverError("the EWS refused the sign-in just before %s" % what)
        return sess

    def _security_form(self, sess):
        page = sess.request("GET", SECURITY_PAGE)
        if page.status != 200:
            raise DriverError("GET %s answered HTTP %d (signed out?)" % (SECURITY_PAGE, page.status))
        hidden = hidden_inputs(page.text)
        return csrf_token(page.text, SECURITY_PAGE), hidden.get("isSet", ""), password_inputs(page.text)

    def _futuresmart_change(self, old_password, new_password):
        sess = self._signed_in(old_password, "the password change")
        token, is_set, inputs = self._security_form(sess)
        fields = {"CSRFToken": token, "isSet": is_set}
        if is_set.lower() == "true":
            old = [n for n in inputs if n not in ("newPassword", "verifyPassword")]
            if len(old) != 1 or "newPassword" not in inputs:
                raise DriverError(
                    "%s asks for the old password, but its password fields (%s) do not say which; "
                    "change it in the EWS (Security > General Security) by hand"
                    % (SECURITY_PAGE, ", ".join(inputs) or "none")
                )
            fields[old[0]] = old_password
        fields["newPassword"] = fields["verifyPassword"] = new_password
        fields["FormButtonSubmit"] = "Apply"
        self._sending()
        resp = sess.request("POST", SECURITY_SAVE, fields)
        if _redirected_away(resp):
            return
        if resp.status in (302, 303):
            raise DriverError("%s sent us back to the sign-in page: the session ended" % SECURITY_SAVE)
        if resp.status == 200:
            refusal = page_error(resp.text) or "the page did not take it"
            raise PasswordRejected("%s: %s" % (SECURITY_SAVE, refusal))
        raise DriverError("%s answered HTTP %d: %s" % (SECURITY_SAVE, resp.status, page_error(resp.text)))

    # -- legacy ------------------------------------------------------------------------------
    def _legacy_post(self, path, username, password, fields):
        body = urllib.parse.urlencode(fields)
        resp = self.http.request("POST", path, username, password, body=body, headers=FORM)
        if resp.status == 200:
            return
        if resp.status in (401, 403):
            raise DriverError("%s refused the login just before the change (HTTP %d)" % (path, resp.status))
        if resp.status == 400:
            raise PasswordRejected("%s: %s" % (path, clean(resp.body[:160])))
        raise DriverError("%s answered HTTP %d: %s" % (path, resp.status, clean(resp.body[:160])))

    # -- the driver interface ----------------------------------------------------------------
    def login(self, username, password):
        if self.generation() == "futuresmart":
            return self._sign_in(password) is not None
        return self._auth_status(self.http.request("GET", LEGACY_PAGE, username, password), LEGACY_PAGE)

    def change_password(self, username, old_password, new_password):
        if self.generation() == "futuresmart":
            self._futuresmart_change(old_password, new_password)
        else:
            self._sending()
            self._legacy_post(
                LEGACY_SAVE,
                username,
                old_password,
                {"Password": new_password, "ConfirmPassword": new_password},
            )

    def _snmp_answers(self, community):
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk.probes import snmp_get

        port = int(self.options.get("snmp_port") or 161)
        return bool(snmp_get(self.host, community, port=port, timeout=min(self.timeout, 3.0)).get("answered"))

    def read_snmp_community(self, username, password):
        """ "default" while a factory community answers SNMP, else "custom" (asked over SNMP)."""
        return "default" if any(self._snmp_answers(c) for c in self.default_communities) else "custom"

    def set_snmp_community(self, username, password, community):
        if self.generation() == "futuresmart":
            sess = self._signed_in(password, "the SNMP change")
            token = self._security_form(sess)[0]
            resp = sess.request("POST", SNMP_SAVE, {"CSRFToken": token, "ReadCommunity": community})
            if resp.status != 200:
                raise DriverError(
                    "%s answered HTTP %d: %s" % (SNMP_SAVE, resp.status, clean(resp.body[:160]))
                )
        else:
            self._legacy_post(SNMP_SAVE, username, password, {"ReadCommunity": community})
        if not self._snmp_answers(community):
            raise DriverError("the device took the new SNMP community but does not answer with it")
