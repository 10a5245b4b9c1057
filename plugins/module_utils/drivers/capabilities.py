# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a driver can read and change on a device besides passwords: capability mixins.

A driver says what it can do by the mixins it inherits (the way netmiko composes its
connection classes); ``capabilities_of(cls)`` reads them back, and the registry, the module
docs and the hardening module derive from that, never from a hand-kept list.

Every driver reports its settings in ONE shape (``read_settings``)::

    {"lockout": {"enabled": bool, "threshold": int|None, "duration": int|None} | None,
     "services": {"telnet": bool, "ftp": bool, "ssh": bool, "upnp": bool},  # what it can see
     "port_mappings": [{"external_port", "protocol", "internal_client", "internal_port",
                        "description"}] | None,
     "snmp_community": "default" | "custom" | None,   # never the community itself
     "mqtt_auth": bool | None}

``None`` (or a missing service) means "this driver cannot tell". Durations are seconds.

Changes are checked against the device's own range (``LockoutRange``) before anything is
sent: ``SettingRejected`` names the field, the value and what the device accepts.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    NotSupported,
)

#: capability names, in the order the docs list them
PASSWORD = "password"  # noqa: S105 - a capability name, not a password
LOCKOUT_READ = "lockout_read"
LOCKOUT_SET = "lockout_set"
SERVICES = "services"
PORT_MAPPINGS = "port_mappings"
SNMP_COMMUNITY = "snmp_community"
MQTT_AUTH = "mqtt_auth"
INITIAL_PASSWORD = "initial_password"  # noqa: S105 - a capability name, not a password
ORDER = (
    PASSWORD, LOCKOUT_READ, LOCKOUT_SET, SERVICES, PORT_MAPPINGS, SNMP_COMMUNITY, MQTT_AUTH, INITIAL_PASSWORD
)  # fmt: skip

#: management services a driver may switch (``upnp`` is a router's UPnP IGD)
SERVICE_NAMES = ("telnet", "ftp", "ssh", "upnp")


class SettingRejected(DriverError):
    """A requested setting the device cannot take; nothing was sent to the device."""

    def __init__(self, field, value, accepted):
        self.field = field
        self.value = value
        self.accepted = accepted
        super().__init__("%s=%r is not accepted; the device takes %s" % (field, value, accepted))


def empty_settings():
    return {"lockout": None, "services": {}, "port_mappings": None, "snmp_community": None, "mqtt_auth": None}


def normal_lockout(enabled, threshold=None, duration=None):
    """The one lockout value: bools and positive ints, anything else ``None``."""

    def number(value):
        if isinstance(value, bool):
            return None
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            return None
        return value if 0 < value < 10**6 else None

    return {"enabled": bool(enabled), "threshold": number(threshold), "duration": number(duration)}


class Capability:
    """Marker base of the capability mixins; ``capability`` is the name it adds."""

    capability = None


class LockoutRead(Capability):
    """Reads the account lockout: implement ``lockout_policy(username, password)`` returning
    ``{"enabled", "threshold", "duration", "evidence"}`` or None (the device does not say)."""

    capability = LOCKOUT_READ

    def lockout_policy(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError


class LockoutRange:
    """What a device takes for its lockout: threshold and duration (seconds) ranges."""

    def __init__(self, threshold, duration):
        self.threshold = tuple(threshold)
        self.duration = tuple(duration)

    def check(self, threshold=None, duration=None):
        """``SettingRejected`` for the first value outside the device's range."""
        for field, value, (lo, hi), unit in (
            ("lockout.threshold", threshold, self.threshold, " failed logins"),
            ("lockout.duration", duration, self.duration, " seconds"),
        ):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise SettingRejected(field, value, "%d..%d%s" % (lo, hi, unit))

    def describe(self):
        return {"threshold": list(self.threshold), "duration": list(self.duration)}


class LockoutSet(LockoutRead):
    """Sets the lockout: ``lockout_range`` and ``_write_lockout(username, password, lockout)``."""

    capability = LOCKOUT_SET
    lockout_range = LockoutRange((1, 100), (1, 86400))

    def set_lockout(self, username, password, lockout):
        """Check ``lockout`` against the device's range, then write it."""
        lockout = dict(lockout)
        self.lockout_range.check(lockout.get("threshold"), lockout.get("duration"))
        self._write_lockout(username, password, lockout)

    def _write_lockout(self, username, password, lockout):  # pragma: no cover - abstract
        raise NotImplementedError


class ServiceSwitch(Capability):
    """Switches management services on and off: ``switchable_services``, ``read_services``
    and ``_write_service``."""

    capability = SERVICES
    switchable_services = ()

    def read_services(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError

    def set_service(self, username, password, service, enabled):
        if service not in self.switchable_services:
            raise SettingRejected(
                "services.%s" % service,
                bool(enabled),
                "only %s switched by driver %s"
                % (", ".join(self.switchable_services) or "no service", self.name),
            )
        self._write_service(username, password, service, bool(enabled))

    def _write_service(self, username, password, service, enabled):  # pragma: no cover - abstract
        raise NotImplementedError


class PortMappingRemoval(Capability):
    """Lists and removes a router's port mappings: ``read_port_mappings`` and
    ``remove_port_mapping(username, password, mapping)``."""

    capability = PORT_MAPPINGS

    def read_port_mappings(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError

    def remove_port_mapping(self, username, password, mapping):  # pragma: no cover - abstract
        raise NotImplementedError


class SnmpCommunitySet(Capability):
    """Sets the SNMP read community: ``set_snmp_community`` and ``read_snmp_community``
    (``"default"`` while a factory community answers, else ``"custom"``)."""

    capability = SNMP_COMMUNITY
    default_communities = ("public", "private")

    def read_snmp_community(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError

    def set_snmp_community(self, username, password, community):  # pragma: no cover - abstract
        raise NotImplementedError


class MqttAuthSet(Capability):
    """Makes the device's MQTT broker require a login: ``read_mqtt_auth``, ``set_mqtt_auth``."""

    capability = MQTT_AUTH

    def read_mqtt_auth(self, username, password):  # pragma: no cover - abstract
        raise NotImplementedError

    def set_mqtt_auth(self, username, password, required):  # pragma: no cover - abstract
        raise NotImplementedError


class InitialPassword(Capability):
    """Sets the first password of a device that ships with none (an un-activated Hikvision,
    an Axis without its initial admin): until then anyone on the network can claim it.

    ``unclaimed(username)`` asks the device without credentials: True (no password yet, the
    account can be claimed), False (it has one), None (the device does not say).
    ``claim(username, new_password)`` sets it; ``PasswordRejected`` when the device's policy
    refuses the password, ``DriverError`` for anything else."""

    capability = INITIAL_PASSWORD

    def unclaimed(self, username):  # pragma: no cover - abstract
        raise NotImplementedError

    def claim(self, username, new_password):  # pragma: no cover - abstract
        raise NotImplementedError


def capabilities_of(cls):
    """The capability names a driver class has, in ``ORDER`` (every driver rotates passwords)."""
    found = {PASSWORD}
    for klass in getattr(cls, "__mro__", ()):
        name = klass.__dict__.get("capability")
        if name and issubclass(klass, Capability):
            found.add(name)
    return [c for c in ORDER if c in found]


def has(driver, capability):
    return capability in capabilities_of(type(driver) if not isinstance(driver, type) else driver)


def read_settings(driver, username, password):
    """The one settings shape, from whatever readers the driver's capabilities give it."""
    out = empty_settings()
    if isinstance(driver, LockoutRead):
        read = driver.lockout_policy(username, password)
        if read is not None:
            out["lockout"] = normal_lockout(read.get("enabled"), read.get("threshold"), read.get("duration"))
    if isinstance(driver, ServiceSwitch):
        out["services"] = {k: bool(v) for k, v in driver.read_services(username, password).items()}
    if isinstance(driver, PortMappingRemoval):
        out["port_mappings"] = list(driver.read_port_mappings(username, password))
    if isinstance(driver, SnmpCommunitySet):
        out["snmp_community"] = driver.read_snmp_community(username, password)
    if isinstance(driver, MqttAuthSet):
        out["mqtt_auth"] = driver.read_mqtt_auth(username, password)
    return out


def require(driver, capability, field):
    """``NotSupported`` naming the field when the driver lacks ``capability``."""
    if not has(driver, capability):
        raise NotSupported(
            "%s: driver %s cannot set %s (it can: %s)"
            % (field, driver.name, capability, ", ".join(capabilities_of(type(driver))))
        )
