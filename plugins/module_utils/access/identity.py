# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device identity for credential records: a record belongs to a device (its MAC and/or
serial), not to the address or name it was stored under.

Before a stored credential is used, :func:`reconcile` compares the identity the record was
written for with the identity discovery reports for the host now:

* same device (or nothing known on one side): the record is used; an identity learned now
  is written into it (``adopted``);
* another device (two cameras swapped addresses, a lease moved): the record is never used
  here. The record that belongs to this device is looked up by identity among all records
  and moved here (``moved``); the record that was here moves to its own device's host, or,
  when that device is not known under any host, is parked under ``mac-<mac>``/``serial-<s>``
  until it shows up again. Nothing is lost.

A host name is device data and may be claimed by another device: the MAC or serial decides,
never the name.
"""

from __future__ import annotations

import re

_MAC = re.compile(r"^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def normalise_mac(value):
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if not _MAC.match(v):
        return None
    hexes = re.sub(r"[^0-9a-f]", "", v)
    return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))


def device_identity(hostvars):
    """``{"mac", "serial"}`` from discovery's facts (None for what is unknown)."""
    hostvars = hostvars or {}
    serial = hostvars.get("iot_serial")
    serial = _SAFE.sub("", serial)[:64] if isinstance(serial, str) and serial.strip() else None
    return {"mac": normalise_mac(hostvars.get("iot_mac")), "serial": serial or None}


def same_device(a, b):
    """True / False when MAC or serial decide, None when neither side knows enough."""
    a, b = a or {}, b or {}
    for key in ("mac", "serial"):
        if a.get(key) and b.get(key):
            return a[key] == b[key]
    return None


def parking_key(ident):
    if ident.get("mac"):
        return "mac-" + ident["mac"].replace(":", "")
    if ident.get("serial"):
        return "serial-" + ident["serial"]
    return None


def _find(store, ident, skip):
    for host in store.hosts():
        if host == skip:
            continue
        if same_device(store.load(host).get("identity"), ident):
            return host
    return None


def reconcile(store, host, ident):
    """Make the record under ``host`` the one of the device with identity ``ident``.

    Returns ``(status, detail)``: ``unknown`` (no identity known now: nothing checked),
    ``ok``, ``adopted`` (a record without identity, an address-keyed one from before, is
    stamped with the device's), ``moved`` or ``none`` (no record for this device anywhere).
    Matching and moving happen under the store's identity lock."""
    if store is None or not (ident.get("mac") or ident.get("serial")):
        return "unknown", "no MAC or serial known for the device: the record is used as stored under its name"
    record = store.load(host)
    if record["accounts"] and same_device(record.get("identity"), ident) is True:
        return "ok", "record belongs to this device"
    with store.identity_lock():
        return _reconcile_locked(store, host, ident)


def _reconcile_locked(store, host, ident):
    record = store.load(host)
    here = record.get("identity")
    if record["accounts"] and same_device(here, ident) is not False:
        merged = {k: ident.get(k) or (here or {}).get(k) for k in ("mac", "serial")}
        if here != merged:
            store.set_identity(host, merged)
            return "adopted", "record stamped with the device's identity"
        return "ok", "record belongs to this device"
    ours = _find(store, ident, host)
    if ours is not None:
        store.swap(host, ours)
        return "moved", "record followed the device from %s (the record that was here went there)" % ours
    if record["accounts"]:
        key = parking_key(here) or "orphan-%s" % host
        store.move(host, key)
        store.set_identity(host, ident)
        return "none", "the record here belongs to another device; kept under %s until it shows up" % key
    store.set_identity(host, ident)
    return "none", "no record for this device yet"


_NAME_BAD = re.compile(r"[^a-z0-9-]+")


def safe_name(value, limit=63):
    """A device-reported name made safe as an inventory host name: lower case letters,
    digits and '-', at most ``limit`` characters; None when nothing usable is left."""
    if not isinstance(value, str):
        return None
    name = _NAME_BAD.sub("-", value.strip().lower().split(".")[0])[:limit].strip("-")
    if not name or name.replace("-", "").isdigit():
        return None  # empty, or digits only (an address in disguise)
    return name


def _claimed_name(facts):
    """What the device says it is called: reported host name (DHCP, mDNS, SNMP sysName),
    else its serial; None when it says nothing usable."""
    for key in ("iot_hostname", "iot_sysname", "iot_serial"):
        name = safe_name(facts.get(key))
        if name:
            return name
    return None


def _suffix(address, ident):
    if ident.get("mac"):
        return ident["mac"].replace(":", "")[-6:]
    if ident.get("serial"):
        return safe_name(ident["serial"])[-8:]
    return address.replace(".", "-").replace(":", "-")


def inventory_names(rows, naming="identity"):
    """``{address: inventory host name}`` for discovery's hosts (``rows``: address, facts).

    ``identity``: the name the device reports (made safe), else ``mac-<mac>``, else the
    address. A name claimed by more than one device, or one that another device's address
    already takes, is made unique with the device's own MAC (or serial, or address) for
    every claimant, so no device takes another's name and the result does not depend on
    the order they were found in. ``address``: host names are the addresses."""
    if naming == "address":
        return {address: address for address, _facts in rows}
    wanted, idents = {}, {}
    for address, facts in rows:
        ident = device_identity(facts)
        idents[address] = ident
        name = _claimed_name(facts)
        if name is None and ident.get("mac"):
            name = "mac-" + ident["mac"].replace(":", "")
        wanted[address] = name or address
    counts = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    addresses = {address for address, _facts in rows}
    out = {}
    for address, name in wanted.items():
        if name != address and (counts[name] > 1 or name in addresses):
            name = "%s-%s" % (name, _suffix(address, idents[address]))
        out[address] = name
    return out
