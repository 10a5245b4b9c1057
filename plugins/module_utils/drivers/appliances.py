# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Printers and SOHO routers: small HTTP admin APIs (thermostats: ``thermostats``, phones: ``phones``).

* HP Embedded Web Server (Basic, user ``admin``): ``POST /hp/device/SecuritySettings/Save``
  with ``NewPassword`` / ``ConfirmPassword``. The EWS has no side-effect-free login page, so a
  credential is proven by posting deliberately different ``NewPassword``/``ConfirmPassword``:
  the device authenticates first (401 when refused) and then declines the mismatch without
  changing anything.
* Router admin (Basic): ``GET /`` to log in; ``POST /password.cgi`` with ``sysOldPasswd``,
  ``sysNewPasswd``, ``sysConfirmPasswd``.

Settings (capabilities):

* HP EWS: ``POST /hp/device/SnmpSettings/Save`` with ``ReadCommunity``; read back over
  SNMP itself (RFC 3416 GET of sysDescr): "default" while ``public``/``private`` answers.
* Router: the UPnP IGD (UPnP Forum "WANIPConnection:1" service template): port mappings
  listed with ``GetGenericPortMappingEntry`` and removed with ``DeletePortMapping`` (SOAP,
  no credential, as the standard has none); the IGD switched off with the admin form
  ``POST /upnp.cgi`` ``upnp_enabled=0`` (the lab's form; NETGEAR's real page carries a
  per-page token, see the lab README) and read back by whether the IGD still answers.
"""

from __future__ import annotations

import re
import secrets
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
    SnmpCommunitySet,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _form_change(driver, path, username, password, fields, ok_statuses=(200,)):
    resp = driver.http.request(
        "POST", path, username, password, body=urllib.parse.urlencode(fields), headers=FORM
    )
    if resp.status in ok_statuses:
        return resp
    if resp.status in (401, 403):
        raise DriverError("%s refused the login just before the change (HTTP %d)" % (path, resp.status))
    if resp.status == 400:
        raise PasswordRejected("%s: %s" % (path, clean(resp.body[:160])))
    raise DriverError("%s answered HTTP %d: %s" % (path, resp.status, clean(resp.body[:160])))


class BasicHttpDriver(HttpApiDriver):
    """Devices that only know Basic auth: send it at once (one request per attempt)."""

    def __init__(self, host, port=None, timeout=10.0, **options):
        options.setdefault("http_auth", "basic")
        super().__init__(host, port, timeout, **options)


class HpEwsDriver(SnmpCommunitySet, BasicHttpDriver):
    name = "hp_ews"
    abstract = False
    snmp_path = "/hp/device/SnmpSettings/Save"
    save_path = "/hp/device/SecuritySettings/Save"
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=16)

    def login(self, username, password):
        a, b = secrets.token_hex(6), secrets.token_hex(6)
        resp = self.http.request(
            "POST",
            self.save_path,
            username,
            password,
            body=urllib.parse.urlencode({"NewPassword": a, "ConfirmPassword": b}),
            headers=FORM,
        )
        if resp.status in (401, 403):
            return False
        if resp.status in (200, 400):
            # 400 "do not match": authenticated, nothing changed. 200 would mean the device
            # ignored the confirmation: refuse to go on with such a device.
            if resp.status == 200:
                raise DriverError("the EWS accepted mismatched passwords; refusing to use it")
            return True
        raise DriverError("%s answered HTTP %d" % (self.save_path, resp.status))

    def change_password(self, username, old_password, new_password):
        _form_change(
            self,
            self.save_path,
            username,
            old_password,
            {"NewPassword": new_password, "ConfirmPassword": new_password},
        )

    def _snmp_answers(self, community):
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk.probes import snmp_get

        port = int(self.options.get("snmp_port") or 161)
        return bool(snmp_get(self.host, community, port=port, timeout=min(self.timeout, 3.0)).get("answered"))

    def read_snmp_community(self, username, password):
        """ "default" while a factory community answers SNMP, else "custom" (asked over SNMP)."""
        return "default" if any(self._snmp_answers(c) for c in self.default_communities) else "custom"

    def set_snmp_community(self, username, password, community):
        _form_change(self, self.snmp_path, username, password, {"ReadCommunity": community})
        if not self._snmp_answers(community):
            raise DriverError("the device took the new SNMP community but does not answer with it")


class RouterHttpDriver(ServiceSwitch, PortMappingRemoval, BasicHttpDriver):
    name = "router_http"
    abstract = False
    login_path = "/"
    password_policy = PasswordPolicy(min_length=8, max_length=32, length=20)
    switchable_services = ("upnp",)
    #: where the IGD describes itself (driver option ``upnp_description`` overrides it)
    UPNP_DESCRIPTION = "http://{host}:5000/rootDesc.xml"

    def _description_url(self):
        url = self.options.get("upnp_description") or self.UPNP_DESCRIPTION
        return url.format(host=self.host if ":" not in self.host else "[%s]" % self.host)

    def _igd_answers(self):
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        try:
            probes.find_wan_service(self._description_url(), timeout=self.timeout)
        except probes.ProbeError:
            return False
        return True

    def read_services(self, username, password):
        return {"upnp": self._igd_answers()}

    def _write_service(self, username, password, service, enabled):
        _form_change(self, "/upnp.cgi", username, password, {"upnp_enabled": "1" if enabled else "0"})

    def read_port_mappings(self, username, password):
        """The IGD's table (``GetGenericPortMappingEntry`` walk); [] when no IGD answers."""
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        if not self._igd_answers():
            return []
        try:
            found = probes.upnp_port_mappings(self._description_url(), timeout=self.timeout)
        except probes.ProbeError as exc:
            raise DriverError("UPnP port mappings: %s" % clean(exc)) from exc
        keys = ("external_port", "protocol", "internal_client", "internal_port", "description")
        return [{k: m[k] for k in keys} for m in found]

    def remove_port_mapping(self, username, password, mapping):
        """``DeletePortMapping`` for one (external port, protocol)."""
        from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

        try:
            service, control = probes.find_wan_service(self._description_url(), timeout=self.timeout)
        except probes.ProbeError as exc:
            raise Unreachable("UPnP IGD: %s" % clean(exc)) from exc
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

    def change_password(self, username, old_password, new_password):
        _form_change(
            self,
            "/password.cgi",
            username,
            old_password,
            {"sysOldPasswd": old_password, "sysNewPasswd": new_password, "sysConfirmPasswd": new_password},
        )
