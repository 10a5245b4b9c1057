# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device drivers and the registry that picks one (like netmiko's ssh_dispatcher).

``DRIVERS`` maps a driver name (what the fingerprint data or ``iot_driver`` says) to its
class. ``driver_name_for(facts)`` picks the name from discovery's host facts.
"""

from __future__ import annotations

import importlib

# name -> "module:Class", imported on first use so a missing optional library (netmiko,
# paramiko) only matters for the drivers that need it
DRIVERS = {
    "ssh_shell": "ssh_shell:SshShellDriver",
    "telnet_busybox": "telnet:TelnetBusyboxDriver",
    "hikvision_isapi": "cameras:HikvisionIsapiDriver",
    "axis_vapix": "cameras:AxisVapixDriver",
    "hp_ews": "appliances:HpEwsDriver",
    "phone_http": "appliances:PhoneHttpDriver",
    "router_http": "appliances:RouterHttpDriver",
    "thermostat_api": "appliances:ThermostatApiDriver",
    "cisco_ios": "switches:CiscoIosDriver",
    "hp_procurve": "switches:HpProcurveDriver",
}

# Driver names the fingerprint data uses for the same protocol as one of ours.
ALIASES = {
    "netmiko:cisco_ios": "cisco_ios",
    "netmiko:hp_procurve": "hp_procurve",
    "linux_ssh": "ssh_shell",
    # the phones' admin API as the simulated site exposes it (one HTTP form for all makes)
    "yealink_http": "phone_http",
    "polycom_rest": "phone_http",
    # the thermostats' local API as the simulated site exposes it (JSON login, settings)
    "venstar_local": "thermostat_api",
}

_PKG = "ansible_collections.iotguard.hardening.plugins.module_utils.drivers"


class UnknownDriver(ValueError):
    pass


def get_driver_class(name):
    try:
        target = DRIVERS[ALIASES.get(name, name)]
    except (KeyError, TypeError):
        raise UnknownDriver(
            "driver=%r is unknown; use one of: %s (or set iot_driver for the host)"
            % (name, ", ".join(sorted(DRIVERS)))
        ) from None
    module, cls = target.split(":")
    return getattr(importlib.import_module("%s.%s" % (_PKG, module)), cls)


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
