# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Printers, VoIP phones and SOHO routers: small HTTP admin APIs (thermostats: ``thermostats``).

* HP Embedded Web Server (Basic, user ``admin``): ``POST /hp/device/SecuritySettings/Save``
  with ``NewPassword`` / ``ConfirmPassword``. The EWS has no side-effect-free login page, so a
  credential is proven by posting deliberately different ``NewPassword``/``ConfirmPassword``:
  the device authenticates first (401 when refused) and then declines the mismatch without
  changing anything.
* Phone admin (Basic): ``GET /api/status`` to log in; ``POST /api/password`` form
  ``username``, ``new_password``, ``confirm``.
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

import json
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
    LockoutRead,
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


def _json_object(resp, where):
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


def _lockout_flag(settings, where):
    """``(enabled, evidence)`` from a ``{"lockout": {"enabled": bool, ...}}`` answer."""
    lockout = settings.get("lockout") if isinstance(settings, dict) else None
    enabled = lockout.get("enabled") if isinstance(lockout, dict) else None
    if not isinstance(enabled, bool):
        return None
    return enabled, "%s reports lockout enabled=%s" % (where, str(enabled).lower())


def _lockout_policy(settings, where):
    """The full lockout policy from a ``{"lockout": {...}}`` answer (threshold when given)."""
    flag = _lockout_flag(settings, where)
    if flag is None:
        return None
    lockout = settings["lockout"]
    th, du = lockout.get("threshold"), lockout.get("duration")
    ok = isinstance(th, int) and not isinstance(th, bool) and 0 < th < 100000
    return {
        "enabled": flag[0],
        "threshold": th if ok and flag[0] else None,
        "duration": du if isinstance(du, int) and not isinstance(du, bool) and du > 0 else None,
        "evidence": flag[1] + (", threshold=%d" % th if ok else ""),
    }


class PhoneHttpDriver(LockoutRead, BasicHttpDriver):
    name = "phone_http"
    abstract = False
    # the phones' admin API as the simulated site exposes it (one HTTP form for all makes)
    aliases = ("yealink_http", "polycom_rest")
    login_path = "/api/status"
    password_policy = PasswordPolicy(min_length=6, max_length=32, length=20)

    def _status(self, username, password):
        return _json_object(self.http.request("GET", self.login_path, username, password), "GET /api/status")

    def lockout_policy(self, username, password):
        return _lockout_policy(self._status(username, password), "GET " + self.login_path)

    def change_password(self, username, old_password, new_password):
        _form_change(
            self,
            "/api/password",
            username,
            old_password,
            {"username": username, "new_password": new_password, "confirm": new_password},
        )


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
