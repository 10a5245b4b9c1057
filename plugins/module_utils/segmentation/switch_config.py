# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Switch VLANs and access ports as a resource: parsers and command templates as data per
dialect, want vs have -> commands, and a change that backs up, applies, saves, and on a
failure part-way restores the running config it backed up.

The resource (``config``)::

    vlans:        [{vlan_id: 30, name: IOT-CAMERAS}]
    access_ports: [{name: Gi1/0/5, vlan: 30}]

``have`` (what ``gather()`` reads) adds ``trunk_ports`` (never touched) and
``mac_table`` (``[mac, port, vlan]``: what the plan places devices with).

States: ``merged`` (add/rename the VLANs, move the ports listed), ``replaced`` (the same:
an access port has no other attribute here), ``overridden`` (also: VLANs not listed are
removed and access ports not listed go back to VLAN 1; reserved VLANs and VLANs a trunk
carries stay), ``deleted`` (the VLANs listed are removed, the ports listed go back to
VLAN 1; with no config, everything outside VLAN 1), ``gathered``, ``rendered``,
``parsed``. Trunks and uplinks are never touched: a config that names one is an error.
"""

from __future__ import annotations

import os
import re
import time

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.switches import PLATFORMS
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import normalize_mac
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError

STATES = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed")
MAX_CONFIG = 2 * 1024 * 1024

IOS_TYPES = {
    "Gi": "GigabitEthernet",
    "Fa": "FastEthernet",
    "Te": "TenGigabitEthernet",
    "Tw": "TwoGigabitEthernet",
    "Fo": "FortyGigabitEthernet",
}

# Per dialect, as data: the show commands and the ntc-template keys of their rows, the
# running-config parsers (one regex per attribute, the cisco rm_templates shape), and the
# command templates that write each attribute.
DIALECTS = {
    "cisco_ios": {
        "show_vlans": "show vlan brief",
        "vlan_keys": ("vlan_id", "vlan_name"),
        "reserved_vlans": (1, 1002, 1003, 1004, 1005),
        "parsers": [
            ("vlan", re.compile(r"^vlan (?P<vlan_id>\d+)$")),
            ("vlan_name", re.compile(r"^ name (?P<name>\S+)$")),
            ("interface", re.compile(r"^interface (?P<name>\S+)$")),
            ("access_vlan", re.compile(r"^ switchport access vlan (?P<vlan>\d+)$")),
            ("trunk", re.compile(r"^ switchport mode trunk$")),
            ("end_block", re.compile(r"^!")),
        ],
        "templates": {
            "vlan": ["vlan {vlan_id}", "name {name}"],
            "no_vlan": ["no vlan {vlan_id}"],
            "access": ["interface {name}", "switchport access vlan {vlan}"],
            "default_vlan_name": "VLAN{vlan_id:04d}",
        },
    },
    "hp_procurve": {
        "show_vlans": "show vlans",
        "vlan_keys": ("vlan_id", "vlan_name"),
        "reserved_vlans": (1,),
        "parsers": [
            ("vlan", re.compile(r"^vlan (?P<vlan_id>\d+)$")),
            ("vlan_name", re.compile(r'^\s+name "?(?P<name>[^"]+)"?$')),
            ("untagged", re.compile(r"^\s+untagged (?P<ports>\S+)$")),
            ("tagged", re.compile(r"^\s+tagged (?P<ports>\S+)$")),
            ("interface", re.compile(r"^interface (?P<name>\S+)$")),
            ("end_block", re.compile(r"^\s+exit$")),
        ],
        "templates": {
            "vlan": ["vlan {vlan_id} name {name}"],
            "no_vlan": ["no vlan {vlan_id}"],
            "access": ["vlan {vlan} untagged {name}"],
            "default_vlan_name": "VLAN{vlan_id}",
        },
    },
}


def _err(field, value, problem, fix):
    return SegmentationError(field, value, problem, fix)


def dialect_of(platform, field="platform"):
    if platform not in DIALECTS:
        raise _err(field, platform, "is not supported", "use one of %s" % ", ".join(sorted(DIALECTS)))
    return DIALECTS[platform]


def port_name(platform, name):
    """The port as the switch's show commands spell it: IOS short names (``Gi1/0/5``),
    ProCurve as given (``5``, ``A1``)."""
    name = hostile.text(str(name), 64).strip()
    if platform != "cisco_ios":
        return name.upper()
    m = re.match(r"^([A-Za-z]+)\s*(\d+(?:/\d+)*)$", name)
    if not m:
        return name
    prefix = m.group(1).lower()
    for short, long_name in IOS_TYPES.items():
        if long_name.lower().startswith(prefix) or short.lower() == prefix:
            return short + m.group(2)
    return name


def _expand_procurve(text):
    out = []
    for part in text.split(","):
        lo, _dash, hi = part.partition("-")
        m1 = re.match(r"^([A-Z]*)(\d+)$", lo.upper())
        m2 = re.match(r"^([A-Z]*)(\d+)$", (hi or lo).upper())
        if not m1 or not m2 or m1.group(1) != m2.group(1):
            continue
        out.extend("%s%d" % (m1.group(1), n) for n in range(int(m1.group(2)), int(m2.group(2)) + 1))
    return out


def parse_running(platform, text):
    """``{"vlans": {id: name}, "ports": {port: {"mode", "vlan"}}}`` from a running config,
    with the dialect's parsers (data)."""
    d = dialect_of(platform)
    vlans = {1: "default" if platform == "cisco_ios" else "DEFAULT_VLAN"}
    ports = {}
    block = None
    key = None
    for raw in (text or "")[:MAX_CONFIG].splitlines():
        line = raw.rstrip()
        for name, rx in d["parsers"]:
            m = rx.match(line)
            if not m:
                continue
            if name == "vlan":
                block, key = "vlan", int(m.group("vlan_id"))
                vlans.setdefault(key, d["templates"]["default_vlan_name"].format(vlan_id=key))
            elif name == "vlan_name" and block == "vlan":
                vlans[key] = hostile.text(m.group("name"), 32)
            elif name == "interface":
                block, key = "interface", port_name(platform, m.group("name"))
                if platform == "cisco_ios":
                    if key[:2] not in IOS_TYPES:  # an SVI (Vlan1), a port-channel: no switch port
                        block = key = None
                        break
                    ports.setdefault(key, {"mode": "access", "vlan": 1})
            elif name == "access_vlan" and block == "interface":
                ports[key]["vlan"] = int(m.group("vlan"))
            elif name == "trunk" and block == "interface":
                ports[key]["mode"] = "trunk"
            elif name == "untagged" and block == "vlan":
                for p in _expand_procurve(m.group("ports")):
                    ports.setdefault(p, {"mode": "access", "vlan": key})["vlan"] = key
            elif name == "tagged" and block == "vlan":
                for p in _expand_procurve(m.group("ports")):
                    ports.setdefault(p, {"mode": "access", "vlan": 1})["mode"] = "trunk"
            elif name == "end_block":
                block = key = None
            break
    return {"vlans": vlans, "ports": ports}


def facts(platform, running, vlan_rows=None, mac_rows=None):
    """``have``: VLANs (from the ntc-template rows when given, else the running config),
    access ports, trunk ports and the MAC table."""
    d = dialect_of(platform)
    parsed = parse_running(platform, running)
    vlans = parsed["vlans"]
    if vlan_rows:
        id_k, name_k = d["vlan_keys"]
        vlans = {}
        for row in vlan_rows:
            try:
                vid = int(row.get(id_k))
            except (TypeError, ValueError):
                continue
            vlans[vid] = hostile.text(row.get(name_k) or "", 32).strip()
    macs = []
    if mac_rows:
        mac_k, port_k, vlan_k = PLATFORMS[platform]["mac_keys"]
        for row in mac_rows:
            mac = normalize_mac(row.get(mac_k))
            port = row.get(port_k)
            port = port[0] if isinstance(port, list) and port else port
            if not mac or not port or str(port).upper() == "CPU":
                continue
            try:
                vid = int(row.get(vlan_k))
            except (TypeError, ValueError):
                vid = None
            macs.append([mac, port_name(platform, port), vid])
    ports = parsed["ports"]
    return {
        "vlans": [{"vlan_id": v, "name": vlans[v]} for v in sorted(vlans)],
        "access_ports": [
            {"name": p, "vlan": ports[p]["vlan"]} for p in _port_order(ports) if ports[p]["mode"] == "access"
        ],
        "trunk_ports": [p for p in _port_order(ports) if ports[p]["mode"] == "trunk"],
        "mac_table": sorted(macs),
    }


def _port_order(ports):
    return sorted(ports, key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", p)])


def gather(session, platform):
    """``(have, running_text)`` over an open session: the running config (the backup),
    the VLAN list and the MAC table (ntc-templates)."""
    d = dialect_of(platform)
    running = session.show("show running-config")[:MAX_CONFIG]
    vlan_rows = session.show(d["show_vlans"], parse=True)
    mac_rows = session.show(PLATFORMS[platform]["mac"], parse=True)
    return facts(platform, running, vlan_rows, mac_rows), running


def check_config(platform, config, field="config"):
    """The wanted resource, normalised; bad values raise SegmentationError."""
    config = config or {}
    vlans = []
    for i, v in enumerate(config.get("vlans") or []):
        f = "%s.vlans[%d]" % (field, i)
        vid = v.get("vlan_id") if isinstance(v, dict) else None
        if isinstance(vid, bool) or not str(vid).isdigit() or not 1 <= int(vid) <= 4094:
            raise _err(f + ".vlan_id", vid, "is outside 1-4094", "give a VLAN id from 1 to 4094")
        name = v.get("name")
        if name is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", str(name)):
            raise _err(
                f + ".name", name, "is not a VLAN name", "use letters, digits, '-', '_' or '.', at most 32"
            )
        vlans.append({"vlan_id": int(vid), "name": None if name is None else str(name)})
    ports = []
    seen = {}
    for i, p in enumerate(config.get("access_ports") or []):
        f = "%s.access_ports[%d]" % (field, i)
        if not isinstance(p, dict) or not p.get("name"):
            raise _err(f + ".name", p, "is missing", "give {name: PORT, vlan: ID}")
        vid = p.get("vlan", 1)
        if isinstance(vid, bool) or not str(vid).isdigit() or not 1 <= int(vid) <= 4094:
            raise _err(f + ".vlan", vid, "is outside 1-4094", "give a VLAN id from 1 to 4094")
        name = port_name(platform, p["name"])
        if name in seen:
            raise _err(
                f + ".name", p["name"], "is listed twice (also %s)" % seen[name], "list each port once"
            )
        seen[name] = f
        ports.append({"name": name, "vlan": int(vid)})
    return {"vlans": vlans, "access_ports": ports}


def _vlan_cmds(d, vid, name):
    name = name or d["templates"]["default_vlan_name"].format(vlan_id=vid)
    return [t.format(vlan_id=vid, name=name) for t in d["templates"]["vlan"]]


def _access_cmds(d, port, vid):
    return [t.format(name=port, vlan=vid) for t in d["templates"]["access"]]


def commands(platform, want, have, state):
    """The commands that take ``have`` to ``want`` under ``state`` (a list of strings).
    ``have`` None (rendered) means an empty switch."""
    d = dialect_of(platform)
    want = check_config(platform, want)
    reserved = set(d["reserved_vlans"])
    have = have or {"vlans": [], "access_ports": [], "trunk_ports": [], "mac_table": []}
    rendered = not have["vlans"] and not have["access_ports"]
    have_vlans = {v["vlan_id"]: v["name"] for v in have["vlans"]}
    have_ports = {p["name"]: p["vlan"] for p in have["access_ports"]}
    trunks = set(have.get("trunk_ports") or ())
    for i, p in enumerate(want["access_ports"]):
        field = "config.access_ports[%d].name" % i
        if p["name"] in trunks:
            raise _err(
                field,
                p["name"],
                "is a trunk on the switch",
                "trunks and uplinks are left untouched: take the port out of the config",
            )
        if not rendered and p["name"] not in have_ports:
            raise _err(field, p["name"], "is not a port of this switch", "use a port name the switch shows")
    created, moved, removed = [], [], []
    if state in ("merged", "replaced", "overridden"):
        want_vlans = {v["vlan_id"] for v in want["vlans"]}
        for v in want["vlans"]:
            current = have_vlans.get(v["vlan_id"])
            if current is None or (v["name"] is not None and current != v["name"]):
                created += _vlan_cmds(d, v["vlan_id"], v["name"])
        for i, p in enumerate(want["access_ports"]):
            if p["vlan"] not in want_vlans and p["vlan"] not in have_vlans and not rendered:
                raise _err(
                    "config.access_ports[%d].vlan" % i,
                    p["vlan"],
                    "is no VLAN of the switch nor of config.vlans",
                    "add {vlan_id: %d, name: ...} to config.vlans" % p["vlan"],
                )
            if have_ports.get(p["name"]) != p["vlan"]:
                moved += _access_cmds(d, p["name"], p["vlan"])
        if state == "overridden":
            listed = {p["name"] for p in want["access_ports"]}
            for port, vid in sorted(have_ports.items()):
                if port not in listed and vid != 1:
                    moved += _access_cmds(d, port, 1)
            carried = _trunk_vlans(have)
            for vid in sorted(have_vlans):
                if vid not in want_vlans and vid not in reserved and vid not in carried:
                    removed += [t.format(vlan_id=vid) for t in d["templates"]["no_vlan"]]
    elif state == "deleted":
        if not want["vlans"] and not want["access_ports"]:
            want = {
                "vlans": [{"vlan_id": v, "name": None} for v in have_vlans if v not in reserved],
                "access_ports": [{"name": p, "vlan": 1} for p in have_ports],
            }
        gone = {v["vlan_id"] for v in want["vlans"]}
        for p in want["access_ports"]:
            if have_ports.get(p["name"], 1) != 1 or rendered:
                moved += _access_cmds(d, p["name"], 1)
        listed = {p["name"] for p in want["access_ports"]}
        for port, vid in sorted(have_ports.items()):
            if vid in gone and port not in listed:
                moved += _access_cmds(d, port, 1)
        carried = _trunk_vlans(have)
        for v in want["vlans"]:
            if v["vlan_id"] in reserved:
                raise _err(
                    "config.vlans[].vlan_id", v["vlan_id"], "is a reserved VLAN", "leave it out of the config"
                )
            if v["vlan_id"] in carried:
                raise _err(
                    "config.vlans[].vlan_id",
                    v["vlan_id"],
                    "is carried by a trunk",
                    "trunks and uplinks are left untouched: keep this VLAN",
                )
            if v["vlan_id"] in have_vlans or rendered:
                removed += [t.format(vlan_id=v["vlan_id"]) for t in d["templates"]["no_vlan"]]
    else:
        raise _err("state", state, "makes no commands", "use merged, replaced, overridden or deleted")
    return created + moved + removed


def _trunk_vlans(have):
    """VLANs a trunk may carry: the MAC table's VLANs seen on trunk ports."""
    trunks = set(have.get("trunk_ports") or ())
    return {row[2] for row in have.get("mac_table") or () if row[1] in trunks and row[2]}


def diff(platform, before, after):
    """Per-port and per-VLAN text for Ansible's diff."""

    def lines(h):
        out = ["vlan %d %s" % (v["vlan_id"], v["name"]) for v in h["vlans"]]
        out += ["port %s vlan %d" % (p["name"], p["vlan"]) for p in h["access_ports"]]
        return out

    b, a = lines(before), lines(after)
    return {
        "before": "\n".join(x for x in b if x not in a) + "\n",
        "after": "\n".join(x for x in a if x not in b) + "\n",
    }


def expected_after(platform, have, cmds_want, state):
    """``have`` with ``want`` applied (what a gather after the change must show)."""
    d = dialect_of(platform)
    want = check_config(platform, cmds_want)
    vlans = {v["vlan_id"]: v["name"] for v in have["vlans"]}
    ports = {p["name"]: p["vlan"] for p in have["access_ports"]}
    reserved = set(d["reserved_vlans"])
    if state in ("merged", "replaced", "overridden"):
        for v in want["vlans"]:
            vlans[v["vlan_id"]] = (
                v["name"]
                or vlans.get(v["vlan_id"])
                or d["templates"]["default_vlan_name"].format(vlan_id=v["vlan_id"])
            )
        for p in want["access_ports"]:
            ports[p["name"]] = p["vlan"]
        if state == "overridden":
            listed = {p["name"] for p in want["access_ports"]}
            for port in ports:
                if port not in listed:
                    ports[port] = 1
            keep = {v["vlan_id"] for v in want["vlans"]} | reserved | _trunk_vlans(have)
            vlans = {k: v for k, v in vlans.items() if k in keep}
    elif state == "deleted":
        if not want["vlans"] and not want["access_ports"]:
            vlans = {k: v for k, v in vlans.items() if k in reserved}
            ports = dict.fromkeys(ports, 1)
        gone = {v["vlan_id"] for v in want["vlans"]}
        vlans = {k: v for k, v in vlans.items() if k not in gone}
        for p in want["access_ports"]:
            ports[p["name"]] = 1
        for port, vid in ports.items():
            if vid in gone:
                ports[port] = 1
    return {
        "vlans": [{"vlan_id": v, "name": vlans[v]} for v in sorted(vlans)],
        "access_ports": [{"name": p, "vlan": ports[p]} for p in _port_order(ports)],
        "trunk_ports": list(have.get("trunk_ports") or ()),
    }


def same(a, b):
    """Do two facts agree on VLANs, access ports and trunks?"""
    return all(a.get(k) == b.get(k) for k in ("vlans", "access_ports", "trunk_ports"))


def write_backup(backup_dir, host, running):
    """The running config before a change, 0600 in ``backup_dir``; returns its path."""
    os.makedirs(backup_dir, mode=0o700, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(host))[:64]
    path = os.path.join(backup_dir, "%s-%s.cfg" % (safe, time.strftime("%Y%m%dT%H%M%S")))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(running)
    os.chmod(path, 0o600)
    return path


class ChangeFailed(Exception):
    """A change failed part-way; ``restored`` says whether the switch is as it was."""

    def __init__(self, message, restored, sent, backup_path):
        super().__init__(message)
        self.restored = restored
        self.sent = sent
        self.backup_path = backup_path


def apply(session, platform, cmds, before, backup_path, reconnect, save=True):
    """Send ``cmds`` and save. On a refused command, a lost session or a refused save,
    put the running config back to ``before`` (over the same session, or a new one from
    ``reconnect()`` when it was lost), check it, and raise ``ChangeFailed``. Returns the
    session in use (a new one if the old was lost and the change still went through)."""
    from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as ns

    try:
        session.config(cmds)
        if save:
            session.save()
        return session
    except (ns.CommandRejected, ns.Unreachable) as exc:
        cause = str(exc)
        lost = isinstance(exc, ns.Unreachable)
    restored = False
    note = ""
    sent = list(session.config_sent)
    try:
        if lost:
            session.close()
            session = reconnect()
        now, _running = gather(session, platform)
        back = restore_commands(platform, now, before)
        if back:
            sent += back
            session.config(back)
        check, _running = gather(session, platform)
        restored = same(check, before)
        if not restored:
            note = "the running config still differs from the backup"
    except ns.SessionError as again:
        note = "the restore failed too: %s" % again
    finally:
        session.close()
    if restored:
        message = "%s; the switch was put back as it was (running config equals the backup %s)" % (
            cause,
            backup_path,
        )
    else:
        message = "%s; NOT restored (%s): restore the backup %s by hand" % (cause, note, backup_path)
    raise ChangeFailed(message, restored, sent, backup_path)


def restore_commands(platform, now, before):
    """Commands that take the switch from ``now`` back to ``before`` (VLANs and ports)."""
    d = dialect_of(platform)
    want_vlans = {v["vlan_id"]: v["name"] for v in before["vlans"]}
    have_vlans = {v["vlan_id"]: v["name"] for v in now["vlans"]}
    created = []
    for vid, name in sorted(want_vlans.items()):
        if have_vlans.get(vid) != name and vid not in d["reserved_vlans"]:
            created += _vlan_cmds(d, vid, name)
    want_ports = {p["name"]: p["vlan"] for p in before["access_ports"]}
    moved = []
    for p in now["access_ports"]:
        if p["name"] in want_ports and want_ports[p["name"]] != p["vlan"]:
            moved += _access_cmds(d, p["name"], want_ports[p["name"]])
    removed = []
    for vid in sorted(have_vlans):
        if vid not in want_vlans:
            removed += [t.format(vlan_id=vid) for t in d["templates"]["no_vlan"]]
    return created + moved + removed
