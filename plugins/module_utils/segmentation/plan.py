# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The segmentation plan: facts + per-client policy -> class -> zone -> VLAN -> port.

Inputs (plain data):

- ``devices``: what discovery says, one mapping per device: ``name``, ``address``,
  ``mac``, ``class`` (``iot_class``), ``eol`` (``iot_eol``: null or a mapping).
- ``switches``: what each switch holds now (the resource modules' gathered facts):
  ``{name: {"uplinks": [port], "vlans": {id: name}, "ports": {port: {"mode":
  "access"|"trunk", "vlan": id}}, "macs": [[mac, port, vlan], ...]}}``.
- ``policy``: zones (name, VLAN id and name, the classes they take, their networks),
  overrides, ports to leave alone, the engineer's own ports and MACs (see ``DEFAULT_POLICY``).

Each device's port comes from the switches' MAC tables (not from a stale inventory). What
is left alone, with the reason: uplinks, trunks, ports with several MACs, the engineer's
own port, ports the policy lists, infrastructure (routers, switches, staff workstations).
Bad input raises ``SegmentationError`` naming the field, the value and the fix.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import normalize_mac
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError

ZONE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
VLAN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
#: classes that are the site's own infrastructure or staff gear: never moved
INFRASTRUCTURE_CLASSES = ("router", "network_switch", "workstation")
#: the zone names the firewall contribution gives a meaning to
QUARANTINE = "quarantine"

DEFAULT_POLICY = {
    "zones": [
        {"name": "cameras", "vlan": 30, "vlan_name": "IOT-CAMERAS", "classes": ["camera"]},
        {"name": "nvrs", "vlan": 31, "vlan_name": "IOT-NVR", "classes": ["nvr"]},
        {
            "name": "building",
            "vlan": 40,
            "vlan_name": "IOT-BUILDING",
            "classes": ["thermostat", "building_controller"],
        },
        {"name": "printers", "vlan": 50, "vlan_name": "IOT-PRINTERS", "classes": ["printer"]},
        {"name": "voice", "vlan": 60, "vlan_name": "IOT-VOICE", "classes": ["voip_phone"]},
        # legacy medical gear runs end-of-life systems by nature (the XP console behind the
        # MRI): it keeps its PACS/modality peers instead of going to quarantine
        {
            "name": "medical_legacy",
            "vlan": 70,
            "vlan_name": "MED-LEGACY",
            "classes": ["medical"],
            "end_of_life": True,
        },
        {
            "name": QUARANTINE,
            "vlan": 99,
            "vlan_name": "QUARANTINE",
            "classes": ["unknown", "smart_speaker"],
        },
    ],
    "overrides": {},
    "leave_alone": [],
    "engineer_ports": [],
    "engineer_macs": [],
    "max_macs_per_port": 1,
}


def _err(field, value, problem, fix):
    return SegmentationError(field, value, problem, fix)


def _vlan_id(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise _err(field, value, "is not a VLAN id", "give a number from 2 to 4094")
    vid = int(value)
    if not 1 <= vid <= 4094:
        raise _err(
            field, value, "is outside 1-4094", "give a VLAN id from 2 to 4094 that is free on the switches"
        )
    if vid == 1:
        raise _err(
            field,
            value,
            "is VLAN 1, the default VLAN every port starts in",
            "give the zone its own VLAN id (2-4094)",
        )
    return vid


def _networks(values, field):
    out = []
    for i, value in enumerate(values or []):
        try:
            out.append(str(ipaddress.ip_network(str(value), strict=False)))
        except ValueError:
            raise _err("%s[%d]" % (field, i), value, "is not a network", "write it as 10.30.0.0/24") from None
    return out


def check_policy(policy):
    """The policy with defaults filled in and every field checked; raises SegmentationError."""
    if policy is None:
        policy = {}
    if not isinstance(policy, dict):
        raise _err("policy", type(policy).__name__, "is not a mapping", "give zones, overrides, leave_alone")
    unknown = sorted(set(policy) - set(DEFAULT_POLICY) - {"firewall"})
    if unknown:
        raise _err(
            "policy",
            unknown,
            "holds unknown keys",
            "use only %s" % ", ".join(sorted([*DEFAULT_POLICY, "firewall"])),
        )
    out = copy.deepcopy(DEFAULT_POLICY)
    out.update(copy.deepcopy(policy))
    zones = []
    by_vlan = {}
    by_name = {}
    by_class = {}
    for i, zone in enumerate(out["zones"] or []):
        field = "policy.zones[%d]" % i
        if not isinstance(zone, dict):
            raise _err(field, zone, "is not a mapping", "give name, vlan, vlan_name, classes")
        name = zone.get("name")
        if not isinstance(name, str) or not ZONE_NAME.match(name):
            raise _err(
                field + ".name", name, "is not a zone name", "use lower case letters, digits and _ (max 24)"
            )
        if name in by_name:
            raise _err(field + ".name", name, "names a zone twice", "give each zone one entry")
        vid = _vlan_id(zone.get("vlan"), field + ".vlan")
        if vid in by_vlan:
            raise _err(
                field + ".vlan",
                vid,
                "is also the VLAN of zone %r (policy.zones[%d])" % (by_vlan[vid][0], by_vlan[vid][1]),
                "give each zone its own VLAN: two zones on one VLAN could reach each other past the firewall",
            )
        vlan_name = str(zone.get("vlan_name") or name.upper().replace("_", "-"))
        if not VLAN_NAME.match(vlan_name):
            raise _err(
                field + ".vlan_name",
                vlan_name,
                "is not a VLAN name both dialects take",
                "use letters, digits, '-', '_' or '.', at most 32, no spaces",
            )
        classes = zone.get("classes") or []
        if not isinstance(classes, list):
            raise _err(field + ".classes", classes, "is not a list", "give a list of device classes")
        for cls in classes:
            if cls in by_class:
                raise _err(
                    field + ".classes",
                    cls,
                    "is already mapped to zone %r" % by_class[cls],
                    "map each class to one zone (use overrides for single devices)",
                )
            by_class[cls] = name
        clean = {
            "name": name,
            "vlan": vid,
            "vlan_name": vlan_name,
            "classes": list(classes),
            "networks": _networks(zone.get("networks"), field + ".networks"),
            "end_of_life": bool(zone.get("end_of_life", False)),
        }
        if zone.get("interface"):
            clean["interface"] = str(zone["interface"])
        zones.append(clean)
        by_vlan[vid] = (name, i)
        by_name[name] = clean
    if QUARANTINE not in by_name:
        raise _err(
            "policy.zones",
            sorted(by_name),
            "has no %r zone" % QUARANTINE,
            "add a quarantine zone: unknown and end-of-life devices go there",
        )
    out["zones"] = zones
    overrides = {}
    for key, zone in (out.get("overrides") or {}).items():
        if zone not in by_name and zone != "leave":
            raise _err(
                "policy.overrides[%s]" % key,
                zone,
                "is not a zone",
                "use one of %s or 'leave'" % ", ".join(by_name),
            )
        overrides[normalize_mac(key) or str(key)] = zone
    out["overrides"] = overrides
    for key in ("leave_alone", "engineer_ports"):
        for i, item in enumerate(out.get(key) or []):
            if not isinstance(item, dict) or not item.get("switch") or not item.get("port"):
                raise _err(
                    "policy.%s[%d]" % (key, i), item, "is not a port", "give {switch: NAME, port: PORT}"
                )
    macs = []
    for i, mac in enumerate(out.get("engineer_macs") or []):
        norm = normalize_mac(mac)
        if not norm:
            raise _err(
                "policy.engineer_macs[%d]" % i, mac, "is not a MAC address", "write it as aa:bb:cc:dd:ee:ff"
            )
        macs.append(norm)
    out["engineer_macs"] = macs
    limit = out.get("max_macs_per_port")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise _err(
            "policy.max_macs_per_port", limit, "is not a positive count", "give 1 (one device per port)"
        )
    return out


def zone_for(device, policy, zones_by_class, zones_by_name):
    """``(zone name or None, reason)`` for one device."""
    mac = normalize_mac(device.get("mac"))
    for key in (device.get("name"), mac, device.get("address")):
        if key and key in policy["overrides"]:
            zone = policy["overrides"][key]
            if zone == "leave":
                return None, "the policy leaves it alone (overrides)"
            return zone, "policy override"
    cls = device.get("class") or "unknown"
    if cls in INFRASTRUCTURE_CLASSES:
        return None, "class %s is infrastructure or staff gear, not an IoT zone" % cls
    zone = zones_by_class.get(cls)
    if device.get("eol") and not (zone and zones_by_name[zone]["end_of_life"]):
        return QUARANTINE, "end of life"
    if zone is None:
        return QUARANTINE, "class %s has no zone" % cls
    return zone, "class %s" % cls


def _kept_zone(switches, where, policy):
    """``(zone, reason)`` for a device of unknown class whose port is already on an IoT zone's
    VLAN (not quarantine), or None. Behind its zone's policy discovery may no longer tell what
    a device is (it answers the engineer on no port): that absence of evidence does not move it
    to quarantine; a device of unknown class on no zone's VLAN still goes there."""
    sname, pname = where
    current = (switches[sname].get("ports") or {}).get(pname, {}).get("vlan")
    for z in policy["zones"]:
        if z["name"] != QUARANTINE and str(z["vlan"]) == str(current):
            return z["name"], (
                "class unknown in this run, on zone %s's VLAN already (behind the zone's policy discovery "
                "cannot tell what it is): it stays" % z["name"]
            )
    return None


def _check_switches(switches):
    if not isinstance(switches, dict):
        raise _err(
            "switches", type(switches).__name__, "is not a mapping", "give {switch name: gathered facts}"
        )
    for name, sw in switches.items():
        for key in ("ports", "macs"):
            if not isinstance(sw.get(key), (dict, list)):
                raise _err(
                    "switches[%s].%s" % (name, key),
                    sw.get(key),
                    "is missing",
                    "gather the switch first (switch_vlans state=gathered)",
                )


def plan(devices, switches, policy=None):
    """The plan (a mapping, JSON-safe); see the module docstring."""
    policy = check_policy(policy)
    _check_switches(switches)
    zones_by_name = {z["name"]: z for z in policy["zones"]}
    zones_by_class = {cls: z["name"] for z in policy["zones"] for cls in z["classes"]}
    leave = {}  # (switch, port) -> reason
    for item in policy["leave_alone"]:
        leave[(item["switch"], str(item["port"]))] = "the policy leaves it alone"
    for item in policy["engineer_ports"]:
        leave[(item["switch"], str(item["port"]))] = "the engineer's own port"
    seen = {}  # mac -> [(switch, port)] on access ports
    port_macs = {}
    for sname in sorted(switches):
        sw = switches[sname]
        uplinks = {str(p) for p in sw.get("uplinks") or ()}
        for port in uplinks:
            leave.setdefault((sname, port), "uplink")
        for pname, port in sorted((sw.get("ports") or {}).items()):
            if port.get("mode") == "trunk":
                leave.setdefault((sname, pname), "trunk")
        for i, row in enumerate(sw.get("macs") or []):
            if not isinstance(row, (list, tuple)) or len(row) < 2:
                raise _err(
                    "switches[%s].macs[%d]" % (sname, i), row, "is not [mac, port, vlan]", "gather again"
                )
            mac, pname = normalize_mac(row[0]), str(row[1])
            if not mac:
                continue
            port_macs.setdefault((sname, pname), set()).add(mac)
    for key, macs in port_macs.items():
        if key in leave:
            continue
        if len(macs) > policy["max_macs_per_port"]:
            leave[key] = "several MACs (%d): a hub, a phone with a PC behind it or an unmanaged switch" % len(
                macs
            )
        elif macs & set(policy["engineer_macs"]):
            leave[key] = "the engineer's own port"
    for key, macs in port_macs.items():
        if leave.get(key) in ("uplink", "trunk"):
            continue
        for mac in macs:
            seen.setdefault(mac, []).append(key)
    ports = []
    unplaced = []
    members = {z["name"]: [] for z in policy["zones"]}
    claimed = {}
    for i, dev in enumerate(devices or []):
        if not isinstance(dev, dict):
            raise _err("devices[%d]" % i, dev, "is not a mapping", "give name, address, mac, class")
        name = str(dev.get("name") or dev.get("address") or "devices[%d]" % i)
        mac = normalize_mac(dev.get("mac"))
        zone, why = zone_for(dev, policy, zones_by_class, zones_by_name)
        where = seen.get(mac) if mac else None
        if (
            zone == QUARANTINE
            and why in ("class unknown", "class unknown has no zone")
            and where
            and len(where) == 1
        ):
            zone, why = _kept_zone(switches, where[0], policy) or (zone, why)
        entry = {
            "device": name,
            "address": dev.get("address"),
            "mac": mac,
            "class": dev.get("class") or "unknown",
            "zone": zone,
            "reason": why,
        }
        if where and len(where) > 1:
            raise _err(
                "devices[%s].mac" % name,
                mac,
                "is learnt on %d access ports: %s"
                % (len(where), ", ".join("%s %s" % w for w in sorted(where))),
                "a MAC on two access ports is a loop, a cloned MAC or a device that moved: find its real "
                "port, put the other under policy.leave_alone (or the switch's uplinks) and run again",
            )
        if zone is None:
            entry["action"] = "leave"
            unplaced.append(entry)
            continue
        members[zone].append(name)
        if not where:
            entry["action"] = "none"
            entry["reason"] += "; its MAC is in no switch's MAC table on a device port"
            unplaced.append(entry)
            continue
        sname, pname = where[0]
        if (sname, pname) in leave:
            entry["action"] = "leave"
            entry["reason"] += "; its port %s %s is left alone: %s" % (sname, pname, leave[(sname, pname)])
            unplaced.append(entry)
            continue
        if (sname, pname) in claimed:  # pragma: no cover - several MACs are left alone above
            raise _err("devices[%s]" % name, pname, "shares its port", "set policy.max_macs_per_port")
        claimed[(sname, pname)] = name
        current = (switches[sname].get("ports") or {}).get(pname, {}).get("vlan")
        target = zones_by_name[zone]["vlan"]
        entry.update(
            switch=sname,
            port=pname,
            vlan_before=current,
            vlan=target,
            vlan_name=zones_by_name[zone]["vlan_name"],
            action="move" if str(current) != str(target) else "keep",
        )
        ports.append(entry)
    per_switch = {}
    for sname in sorted(switches):
        mine = [p for p in ports if p["switch"] == sname]
        vids = sorted({p["vlan"] for p in mine})
        per_switch[sname] = {
            "vlans": [
                {"vlan_id": v, "name": next(p["vlan_name"] for p in mine if p["vlan"] == v)} for v in vids
            ],
            "access_ports": [{"name": p["port"], "vlan": p["vlan"]} for p in mine],
        }
    left = [
        {"switch": s, "port": p, "reason": r, "macs": sorted(port_macs.get((s, p), ()))}
        for (s, p), r in sorted(leave.items())
    ]
    return {
        "zones": [dict(z, devices=sorted(members[z["name"]])) for z in policy["zones"]],
        "ports": ports,
        "left_alone": left,
        "unplaced": unplaced,
        "switches": per_switch,
        "summary": {
            "devices": len(devices or []),
            "ports": len(ports),
            "moves": sum(1 for p in ports if p["action"] == "move"),
            "left_alone_ports": len(left),
            "unplaced": len(unplaced),
        },
    }


def render_text(the_plan):
    """The plan as lines an engineer reads in check mode."""
    lines = []
    for z in the_plan["zones"]:
        lines.append(
            "zone %s: VLAN %d %s, %d device(s)" % (z["name"], z["vlan"], z["vlan_name"], len(z["devices"]))
        )
    for p in the_plan["ports"]:
        lines.append(
            "%s %s: %s (%s) VLAN %s -> %s [%s]"
            % (p["switch"], p["port"], p["device"], p["zone"], p["vlan_before"], p["vlan"], p["action"])
        )
    for p in the_plan["left_alone"]:
        lines.append("%s %s: left alone (%s)" % (p["switch"], p["port"], p["reason"]))
    for d in the_plan["unplaced"]:
        lines.append("%s: not moved (%s)" % (d["device"], d["reason"]))
    return lines
