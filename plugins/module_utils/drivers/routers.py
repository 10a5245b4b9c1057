# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOHO routers: NETGEAR's web admin and the UPnP Internet Gateway Device.

* Admin (NETGEAR firmware, HTTP Basic as ``admin``): ``GET /`` logs in and, on newer
  firmware, sets an ``XSRF_TOKEN`` cookie that every later request carries. Each form page
  names the CGI it posts to with a per-page token in its ``action``: the password on
  ``PWD_password.htm`` -> ``password.cgi?id=<token>`` (``sysOldPasswd``,
  ``sysNewPasswd``, ``sysConfirmPasswd``), UPnP on ``UPNP_upnp.htm`` ->
  ``upnp.cgi?id=<token>`` (``UPnP``, ``AdverTime``, ``TimeToLive`` and the hidden
  ``hiddenTurnUPnPOn`` 0/1, ``hiddenAdverTime``, ``hiddenTimeToLive``, ``apply``). A stale
  token gets the "expired" page instead of the change. Sources: NETGEAR's GPL firmware
  pages (``UPNP_upnp.htm``, ``PWD_password.htm``), NETGEAR's own validation test for
  PSV-2017-0806 (``upnp.cgi`` with ``hiddenTurnUPnPOn``) and public clients of the
  ``XSRF_TOKEN`` cookie.
* The UPnP IGD (UPnP Forum "InternetGatewayDevice:1", "WANIPConnection:1"): found where the
  router says, the ``LOCATION`` of its SSDP answer (NETGEAR:
  ``http://<router>:5000/Public_UPNP_gatedesc.xml``, control URL ``/Public_UPNP_C3``);
  port mappings listed with ``GetGenericPortMappingEntry`` and removed with
  ``DeletePortMapping`` (SOAP, no credential, as the standard has none); the IGD switched
  off with the admin form and read back by whether the IGD still answers. The driver
  option ``upnp_description`` names the description URL when SSDP is filtered.
"""

from __future__ import annotations

import re
import urllib.parse

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    HttpApiDriver,
    HttpClient,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    PortMappingRemoval,
    ServiceSwitch,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_ACTION = re.compile(r"""action\s*=\s*["']/?([A-Za-z_]{1,32}\.cgi)\?id=([0-9A-Za-z]{1,64})["']""", re.I)
_XSRF = re.compile(r"(?:^|[;,]\s*)XSRF_TOKEN=([0-9A-Za-z]{1,128})")


def form_action(html, cgi):
    """``"<cgi>?id=<token>"`` a NETGEAR form page posts to; None when the page has no such form."""
    for m in _ACTION.finditer(html[:262144]):
        if m.group(1).lower() == cgi.lower():
            return "/%s?id=%s" % (m.group(1), m.group(2))
    return None


def xsrf_cookie(headers):
    m = _XSRF.search(headers.get("set-cookie", "") or "")
    return m.group(1) if m else None


#: NETGEAR's IGD description (miniupnpd on port 5000 while UPnP is on)
DEFAULT_DESCRIPTION = "http://{host}:5000/Public_UPNP_gatedesc.xml"


class RouterHttpDriver(ServiceSwitch, PortMappingRemoval, HttpApiDriver):
    name = "router_http"
    abstract = False
    login_path = "/"
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=20)
    switchable_services = ("upnp",)

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")
        super().__init__(host, port, timeout, **options)
        self._description = options.get("upnp_description")

    # -- the admin forms -----------------------------------------------------------------
    def _admin(self, username, password):
        """Log in (``GET /``): the XSRF cookie when the firmware sets one; None when refused."""
        resp = self.http.request("GET", "/", username, password)
        if not self._auth_status(resp, "/"):
            return None
        token = xsrf_cookie(resp.headers)
        return {"Cookie": "XSRF_TOKEN=" + token} if token else {}

    def login(self, username, password):
        return self._admin(username, password) is not None

    def _post_form(self, page, cgi, username, password, fields, what, sending=False):
        cookie = self._admin(username, password)
        if cookie is None:
            raise DriverError("the router refused the login just before %s" % what)
        resp = self.http.request("GET", "/" + page, username, password, headers=cookie)
        self._ok(resp, "GET /" + page)
        action = form_action(resp.text, cgi)
        if action is None:
            raise DriverError("/%s holds no form posting to %s?id=...; not NETGEAR's page" % (page, cgi))
        headers = dict(FORM, **cookie)
        body = urllib.parse.urlencode(fields)
        if sending:
            self._sending()
        resp = self.http.request("POST", action, username, password, body=body, headers=headers)
        if resp.status == 200 and b"expired" in resp.body.lower():
            raise DriverError("%s: the router says the page expired; nothing was changed" % cgi)
        if resp.status == 200:
            return
        if resp.status in (401, 403):
            raise DriverError("%s refused the login just before %s (HTTP %d)" % (cgi, what, resp.status))
        if resp.status == 400:
            raise PasswordRejected("%s: %s" % (cgi, clean(resp.body[:160])))
        raise DriverError("%s answered HTTP %d: %s" % (cgi, resp.status, clean(resp.body[:160])))

    def change_password(self, username, old_password, new_password):
        fields = {
            "sysOldPasswd": old_password,
            "sysNewPasswd": new_password,
            "sysConfirmPasswd": new_password,
            "cfAlert_Apply": "Apply",
        }
        self._post_form(
            "PWD_password.htm", "password.cgi", username, old_password, fields, "the change", sending=True
        )

    # -- the IGD -------------------------------------------------------------------------
    def _description_url(self):
        """Where the IGD describes itself: the option, else its SSDP ``LOCATION``, else
        NETGEAR's own description URL. SSDP silence alone does not say UPnP is off: a gateway
        firewall between the controller and the router drops it; the description page
        answers only while UPnP is on."""
        host = self.host if ":" not in self.host else "[%s]" % self.host.strip("[]")
        if self._description:
            return self._description.format(host=host)
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        found = probes.ssdp_locations(self.host.strip("[]"), timeout=min(self.timeout, 2.0))
        return found[0] if found else DEFAULT_DESCRIPTION.format(host=host)

    def _wan_service(self):
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        url = self._description_url()
        try:
            return url, probes.find_wan_service(url, timeout=self.timeout)
        except probes.ProbeError:
            return None

    def read_services(self, username, password):
        return {"upnp": self._wan_service() is not None}

    def _write_service(self, username, password, service, enabled):
        on = "1" if enabled else "0"
        fields = {"apply": "Apply", "AdverTime": "30", "TimeToLive": "4", "hiddenTurnUPnPOn": on}
        if enabled:
            fields["UPnP"] = "UPnP"
        fields.update({"hiddenAdverTime": "30", "hiddenTimeToLive": "4"})
        self._post_form("UPNP_upnp.htm", "upnp.cgi", username, password, fields, "the UPnP change")

    def read_port_mappings(self, username, password):
        """The IGD's table (``GetGenericPortMappingEntry`` walk); [] when no IGD answers."""
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        found = self._wan_service()
        if found is None:
            return []
        try:
            mappings = probes.upnp_port_mappings(found[0], timeout=self.timeout)
        except probes.ProbeError as exc:
            raise DriverError("UPnP port mappings: %s" % clean(exc)) from exc
        keys = ("external_port", "protocol", "internal_client", "internal_port", "description")
        return [{k: m[k] for k in keys} for m in mappings]

    def remove_port_mapping(self, username, password, mapping):
        """``DeletePortMapping`` for one (external port, protocol)."""
        found = self._wan_service()
        if found is None:
            raise Unreachable("UPnP IGD: the router names no answering IGD (SSDP LOCATION)")
        _url, (service, control) = found
        u = urllib.parse.urlsplit(control)
        if u.hostname != self.host.strip("[]"):
            raise DriverError("UPnP control URL points away from the router; refusing to follow it")
        body = (
            '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            '<u:DeletePortMapping xmlns:u="%s"><NewRemoteHost></NewRemoteHost>'
            "<NewExternalPort>%d</NewExternalPort><NewProtocol>%s</NewProtocol>"
            "</u:DeletePortMapping></s:Body></s:Envelope>"
            % (
                service,
                int(mapping["external_port"]),
                "UDP" if str(mapping.get("protocol")).upper() == "UDP" else "TCP",
            )
        )
        client = HttpClient(u.hostname, u.port or 80, self.timeout)
        resp = client.request(
            "POST",
            (u.path or "/") + ("?" + u.query if u.query else ""),
            body=body,
            headers={
                "Content-Type": 'text/xml; charset="utf-8"',
                "SOAPAction": '"%s#DeletePortMapping"' % service,
            },
        )
        if resp.status == 200:
            return
        code = re.search(rb"<errorCode>\s*(\d+)\s*</errorCode>", resp.body)
        if code and code.group(1) == b"714":
            return  # NoSuchEntryInArray: already gone
        raise DriverError(
            "DeletePortMapping %s/%s answered HTTP %d (UPnP error %s)"
            % (
                mapping["external_port"],
                mapping.get("protocol"),
                resp.status,
                clean(code.group(1) if code else "?", 8),
            )
        )
