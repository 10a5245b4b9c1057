# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device drivers and the registry that picks one (like netmiko's ssh_dispatcher).

The registry is derived from the driver classes: every ``BaseDriver`` subclass in
``MODULES`` that names itself (``name``) and is not ``abstract`` is registered under it, and its ``aliases``
(the names the fingerprint data uses for the same protocol) point at it. What each driver
can do besides passwords comes from its capability mixins (``capabilities``).
``driver_name_for(facts)`` picks the name from discovery's host facts.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

#: the modules holding drivers (netmiko and paramiko are optional: those modules import
#: without them and their drivers say what is missing when used)
MODULES = (
    "ssh_shell",
    "telnet",
    "cameras",
    "dahua",
    "mikrotik",
    "edgeos",
    "appliances",
    "switches",
    "printers",
    "routers",
    "thermostats",
    "phones",
    "webservers",
)

_PKG = "ansible_collections.iotguard.hardening.plugins.module_utils.drivers"


def _collect():
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import BaseDriver

    drivers, aliases = {}, {}
    for module in MODULES:
        mod = importlib.import_module("%s.%s" % (_PKG, module))
        for obj in vars(mod).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseDriver)
                and obj.__module__ == mod.__name__
                and "name" in obj.__dict__
                and not obj.__dict__.get("abstract", False)
            ):
                drivers[obj.name] = obj
                for alias in obj.aliases:
                    aliases[alias] = obj.name
    return drivers, aliases


class _Lazy(Mapping):
    """A read-only mapping filled from the driver classes on first use."""

    _data = None

    def __init__(self, part):
        self._part = part

    def _get(self):
        if _Lazy._data is None:
            _Lazy._data = _collect()
        return _Lazy._data[self._part]

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())


#: driver name -> class
DRIVERS = _Lazy(0)
#: name the fingerprint data uses -> driver name
ALIASES = _Lazy(1)


class UnknownDriver(ValueError):
    pass


def get_driver_class(name):
    try:
        return DRIVERS[ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise UnknownDriver(
            "driver=%r is unknown; use one of: %s (or set iot_driver for the host)"
            % (name, ", ".join(sorted(DRIVERS)))
        ) from None


def driver_capabilities():
    """``{driver name: [capability, ...]}`` for every registered driver (the docs' list)."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
        capabilities_of,
    )

    return {name: capabilities_of(cls) for name, cls in sorted(DRIVERS.items())}


def get_driver(name, host, **options):
    return get_driver_class(name)(host, **options)


# A product whose own API no driver speaks yet is often still managed through its shell
# (Mirai-era cameras and DVRs: BusyBox over telnet). When the named driver is not one of
# ours, the first of these whose port discovery found open stands in, in this order.
SHELL_FALLBACKS = ((23, "telnet_busybox"), (22, "ssh_shell"))


def _shell_may_stand_in(fingerprint_id):
    """False for products whose shell would not change the password for good (the product
    data's ``shell_fallback``: RouterOS has no ``passwd``; EdgeOS would undo it at boot)."""
    if not fingerprint_id:
        return True
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints

    return (fingerprints.by_id(fingerprint_id) or {}).get("shell_fallback", True)


def driver_name_for(facts):
    """The driver for a host: explicit ``iot_driver``, else the fingerprint's ``driver``;
    a product with no driver we speak (or no identity at all) gives way to a shell driver on
    an open shell port."""
    facts = facts or {}
    name = None
    for key in ("iot_driver", "driver"):
        if facts.get(key):
            name = facts[key]
            break
    if not name:
        fp = facts.get("iot_fingerprint") or {}
        if isinstance(fp, dict) and fp.get("driver"):
            name = fp["driver"]
    if name is not None and ALIASES.get(name, name) in DRIVERS:
        return name
    if not _shell_may_stand_in(facts.get("iot_fingerprint_id")):
        return name
    ports = facts.get("iot_open_ports") or []
    for port, shell in SHELL_FALLBACKS:
        if port in ports:
            return shell
    return name
