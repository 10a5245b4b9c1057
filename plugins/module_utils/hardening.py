# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device hardening: one client policy applied to one device through its driver.

The policy (``normalise_policy``)::

    lockout: {threshold: 5, duration: 600}     # enabled; duration in seconds
    services_disabled: [telnet, ftp, upnp]     # of capabilities.SERVICE_NAMES
    remove_port_mappings: true                 # every UPnP/IGD mapping on a router
    snmp_community: generate                   # a random community, kept in the store
    mqtt_auth: true                            # the broker refuses anonymous clients

``DeviceHardening.run()`` reads the device's settings (one shape for every driver), plans
the changes, checks every value against the device's own range BEFORE anything is sent
(a bad value fails the device with the field, the value and the range: the device is left
as it was), applies the changes one at a time and reads the settings back after each one.
The result names what changed, what was not done and why, and whether the device needs a
compensating control: it cannot lock out (``no_lockout``), or it runs a cleartext
management service (telnet, FTP) the driver cannot switch off (``cleartext_telnet``,
``cleartext_ftp``). The control is the gateway firewall's rate limit in front of the
device's management ports; only with the role's ``management_only`` (new connections only
from the management zones: the VPN) does it stand for a cleartext service too
(``risk.compensation``). Secrets (the SNMP community) never appear in
the result: it says ``default`` or ``custom``.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import string

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import capabilities as caps
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import DriverError, clean

#: the store account that holds a device's SNMP community (like a password; never a login)
SNMP_ACCOUNT = "snmp_community"
COMMUNITY_ALPHABET = string.ascii_letters + string.digits
COMMUNITY_LENGTH = 24
#: the ports a service listens on: a service a driver cannot switch is reported as not done
#: only when discovery saw one of them open (otherwise the device does not run it)
SERVICE_PORTS = {"telnet": (23,), "ftp": (21,), "ssh": (22,), "upnp": (1900, 5000)}
MQTT_PORTS = (1883,)
#: management ports a compensating rate limit covers (those discovery saw open, else all)
MANAGEMENT_PORTS = (21, 22, 23, 80, 443, 8000, 8080, 8443)
#: the services that send the administrator's password in clear text: one the driver cannot
#: switch off (and discovery saw open) asks for the compensating control too
CLEARTEXT_SERVICES = ("telnet", "ftp")
_RATE = re.compile(r"^[1-9][0-9]{0,4}/(second|minute|hour)$")


class PolicyError(ValueError):
    """The policy itself is wrong; the message names the field, the value and the fix."""


def normalise_policy(policy):
    """The policy with defaults filled in; ``PolicyError`` for a value no device can take."""
    policy = dict(policy or {})
    unknown = sorted(
        set(policy) - {"lockout", "services_disabled", "remove_port_mappings", "snmp_community", "mqtt_auth"}
    )
    if unknown:
        raise PolicyError(
            "policy field %s is unknown; use lockout, services_disabled, remove_port_mappings, "
            "snmp_community, mqtt_auth" % ", ".join(unknown)
        )
    out = {
        "lockout": None,
        "services_disabled": [],
        "remove_port_mappings": False,
        "snmp_community": None,
        "mqtt_auth": False,
    }
    lockout = policy.get("lockout")
    if lockout:
        if not isinstance(lockout, dict):
            raise PolicyError("lockout=%r must be a dict with threshold and duration (seconds)" % (lockout,))
        for field in ("threshold", "duration"):
            value = lockout.get(field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PolicyError(
                    "lockout.%s=%r must be a whole number of %s, at least 1"
                    % (field, value, "failed logins" if field == "threshold" else "seconds")
                )
        out["lockout"] = {"enabled": True, "threshold": lockout["threshold"], "duration": lockout["duration"]}
    services = policy.get("services_disabled") or []
    bad = [s for s in services if s not in caps.SERVICE_NAMES]
    if bad:
        raise PolicyError(
            "services_disabled holds %s; the services that can be switched off are %s"
            % (", ".join(repr(b) for b in bad), ", ".join(caps.SERVICE_NAMES))
        )
    out["services_disabled"] = list(dict.fromkeys(services))
    out["remove_port_mappings"] = bool(policy.get("remove_port_mappings"))
    snmp = policy.get("snmp_community")
    if snmp not in (None, "", "generate"):
        raise PolicyError(
            "snmp_community=%r: use 'generate' (a random community kept in the store) or leave it out"
            % ("<hidden>",)
        )
    out["snmp_community"] = snmp or None
    out["mqtt_auth"] = bool(policy.get("mqtt_auth"))
    return out


def generate_community(length=COMMUNITY_LENGTH):
    return "".join(secrets.choice(COMMUNITY_ALPHABET) for _unused in range(length))


def check_rate(per_source, burst):
    if not isinstance(per_source, str) or not _RATE.match(per_source):
        raise PolicyError(
            "rate_limit=%r must look like 6/minute (per second, minute or hour)" % (per_source,)
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= 100:
        raise PolicyError("rate_burst=%r must be a whole number 1..100" % (burst,))


def rate_limit_for(address, open_ports, per_source="6/minute", burst=3):
    """The gateway firewall's rate limit (contract field ``rate_limits``) in front of a device
    that cannot lock out: new connections to its management ports, per source."""
    check_rate(per_source, burst)
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return None
    ports = sorted({int(p) for p in open_ports or () if str(p).isdigit()} & set(MANAGEMENT_PORTS))
    return {
        "to": ["%s/%d" % (ip, ip.max_prefixlen)],
        "ports": ports or list(MANAGEMENT_PORTS),
        "per_source": per_source,
        "burst": burst,
    }


def describe_rate_limit(limit):
    """``compensated: <control>`` wording for the reports."""
    return "rate limit of %s new connections per source (burst %d) to ports %s at the gateway firewall" % (
        limit["per_source"],
        limit["burst"],
        ", ".join(str(p) for p in limit["ports"]),
    )


class Change:
    """One planned change: ``field``, ``before``/``after`` (shown), ``apply()``, and the
    ``check(settings)`` the read-back must pass."""

    def __init__(self, field, before, after, apply, check):
        self.field = field
        self.before = before
        self.after = after
        self.apply = apply
        self.check = check

    def shown(self):
        return {"field": self.field, "before": self.before, "after": self.after}


class DeviceHardening:
    def __init__(
        self,
        host,
        driver,
        username,
        password,
        policy,
        store=None,
        check_mode=False,
        unsupported="skip",
        open_ports=(),
        rate_limit=None,
    ):
        self.host = host
        self.driver = driver
        self.username = username
        self.password = password
        self.policy = normalise_policy(policy)
        self.store = store
        self.check_mode = bool(check_mode)
        if unsupported not in ("skip", "fail"):
            raise PolicyError("unsupported=%r must be skip or fail" % (unsupported,))
        self.unsupported = unsupported
        self.open_ports = {int(p) for p in open_ports or () if str(p).isdigit()}
        self.not_done = []
        self.compensate = []
        #: ``(per_source, burst)`` for the compensating rate limit, or None
        self.rate_limit = rate_limit
        if rate_limit is not None:
            check_rate(*rate_limit)

    # -- planning ----------------------------------------------------------------------------
    def _cannot(self, field, reason, accepted, relevant=True):
        """A requested setting the driver cannot make: an error when ``unsupported=fail``,
        else a reason in ``not_done`` (only when the device runs the thing at all)."""
        if self.unsupported == "fail":
            raise caps.SettingRejected(field, "requested", accepted)
        if relevant:
            self.not_done.append({"field": field, "reason": reason})

    def plan(self, before):
        d, u, p = self.driver, self.username, self.password
        changes = []
        want = self.policy
        if want["remove_port_mappings"]:
            if isinstance(d, caps.PortMappingRemoval):
                for m in before["port_mappings"] or []:
                    changes.append(
                        Change(
                            "port_mappings",
                            "%s/%s -> %s:%s"
                            % (m["external_port"], m["protocol"], m["internal_client"], m["internal_port"]),
                            "removed",
                            (lambda m=m: d.remove_port_mapping(u, p, m)),
                            (
                                lambda s, m=m: (
                                    not any(
                                        (x["external_port"], x["protocol"])
                                        == (m["external_port"], m["protocol"])
                                        for x in s["port_mappings"] or []
                                    )
                                )
                            ),
                        )
                    )
        lockout = want["lockout"]
        if lockout:
            # a driver that can set a lockout, on a device whose firmware has none (read in
            # ``before``: the driver marks it ``lockout_fixed``), cannot set it there
            if isinstance(d, caps.LockoutSet) and not getattr(d, "lockout_fixed", False):
                d.lockout_range.check(lockout["threshold"], lockout["duration"])
                if before["lockout"] != lockout:
                    changes.append(
                        Change(
                            "lockout",
                            before["lockout"],
                            dict(lockout),
                            (lambda: d.set_lockout(u, p, lockout)),
                            (lambda s: s["lockout"] == lockout),
                        )
                    )
            else:
                have = before.get("lockout")
                if not (have and have["enabled"]):
                    self.compensate.append("no_lockout")
                self._cannot(
                    "lockout",
                    "driver %s cannot set the lockout (the device reports %s)"
                    % (d.name, "enabled=%s" % str(have["enabled"]).lower() if have else "nothing"),
                    "drivers with lockout_set",
                    relevant=not (have and have["enabled"]),
                )
        for service in want["services_disabled"]:
            switchable = getattr(d, "switchable_services", ()) if isinstance(d, caps.ServiceSwitch) else ()
            if service in switchable:
                if before["services"].get(service, True):
                    changes.append(
                        Change(
                            "services.%s" % service,
                            before["services"].get(service),
                            False,
                            (lambda s=service: d.set_service(u, p, s, False)),
                            (lambda st, s=service: st["services"].get(s) is False),
                        )
                    )
                continue
            running = bool(self.open_ports & set(SERVICE_PORTS[service]))
            if running and service in CLEARTEXT_SERVICES:
                self.compensate.append("cleartext_%s" % service)
            self._cannot(
                "services.%s" % service,
                "driver %s cannot switch %s (it switches: %s)"
                % (d.name, service, ", ".join(switchable) or "nothing"),
                "services %s" % (", ".join(switchable) or "none"),
                relevant=running,
            )
        if want["snmp_community"]:
            if isinstance(d, caps.SnmpCommunitySet):
                if before["snmp_community"] != "custom":
                    changes.append(
                        Change(
                            "snmp_community",
                            before["snmp_community"],
                            "custom (generated, in the store)",
                            self._set_snmp,
                            (lambda s: s["snmp_community"] == "custom"),
                        )
                    )
            else:
                self._cannot(
                    "snmp_community",
                    "driver %s cannot set the SNMP community" % d.name,
                    "drivers with snmp_community",
                    relevant=False,
                )
        if want["mqtt_auth"]:
            if isinstance(d, caps.MqttAuthSet):
                if before["mqtt_auth"] is not True:
                    changes.append(
                        Change(
                            "mqtt_auth",
                            before["mqtt_auth"],
                            True,
                            (lambda: d.set_mqtt_auth(u, p, True)),
                            (lambda s: s["mqtt_auth"] is True),
                        )
                    )
            else:
                self._cannot(
                    "mqtt_auth",
                    "driver %s cannot require MQTT authentication" % d.name,
                    "drivers with mqtt_auth",
                    relevant=bool(self.open_ports & set(MQTT_PORTS)),
                )
        return changes

    def _set_snmp(self):
        community = generate_community()
        if self.store is not None:  # kept before the device is touched: nothing is lost
            self.store.set_pending(self.host, SNMP_ACCOUNT, community)
        self.driver.set_snmp_community(self.username, self.password, community)
        if self.store is not None:
            self.store.set_current(self.host, SNMP_ACCOUNT, community, "generated")

    # -- running -----------------------------------------------------------------------------
    def _result(self, status, changes, settings, reason):
        control = None
        if self.compensate and self.rate_limit is not None:
            # not the ports of a service the device reads back off (switched off by this run):
            # the next run's discovery no longer sees them, and the limit must not change then
            off = {
                port
                for name, on in ((settings or {}).get("services") or {}).items()
                if on is False
                for port in SERVICE_PORTS.get(name, ())
            }
            control = rate_limit_for(self.driver.host, self.open_ports - off, *self.rate_limit)
        return {
            "compensating_control": control,
            "compensated_by": describe_rate_limit(control) if control else None,
            "host": self.host,
            "driver": self.driver.name,
            "capabilities": caps.capabilities_of(type(self.driver)),
            "status": status,
            "changed": status == "changed",
            "changes": [c.shown() for c in changes],
            "not_done": self.not_done,
            "compensate": sorted(set(self.compensate)),
            "settings": settings,
            "reason": reason,
        }

    def run(self):
        try:
            before = self.driver.read_settings(self.username, self.password)
        except DriverError as exc:
            return self._result("failed", [], None, "reading the settings: %s" % clean(exc))
        try:
            changes = self.plan(before)
        except caps.SettingRejected as exc:
            return self._result("failed", [], before, "%s: %s; nothing was changed" % (self.host, exc))
        if not changes and self.not_done:
            # nothing to send, but not because the device meets the policy: the report must
            # not read "meets the policy" for a telnet the driver cannot switch off
            return self._result(
                "unchanged",
                [],
                before,
                "nothing the driver can change; the policy is not met on %s (not_done)"
                % ", ".join(n["field"] for n in self.not_done),
            )
        if not changes:
            return self._result("unchanged", [], before, "the device already meets the policy")
        if self.check_mode:
            return self._result("would_change", changes, before, "%d change(s) to make" % len(changes))
        done = []
        settings = before
        for change in changes:
            try:
                change.apply()
                settings = self.driver.read_settings(self.username, self.password)
            except DriverError as exc:
                return self._result(
                    "failed", done, settings, "%s: %s failed: %s" % (self.host, change.field, clean(exc))
                )
            done.append(change)
            if not change.check(settings):
                return self._result(
                    "failed",
                    done,
                    settings,
                    "%s: %s was sent but the device reads back otherwise" % (self.host, change.field),
                )
        return self._result("changed", done, settings, "%d change(s) made and read back" % len(done))
