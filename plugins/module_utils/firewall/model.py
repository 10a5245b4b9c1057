# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Contributions to the gateway firewall: validated one by one, then merged.

A contribution is data (zones, flows, sets, rate limits; see the role's argument specs).
``validate(name, data)`` returns it normalised or raises FirewallError naming the field
(``<contribution>.flows[2].ports[0]``), the value and the fix; ``merge(contributions)``
checks what only shows across contributions: zone names and set names given twice, zone
networks that overlap, flows naming a zone or set nobody declared.

A contribution may name, under ``awaits``, zones and sets another role declares later (the
segmentation's flows from the WireGuard pool, on a gateway where the wireguard role has not
run yet): its flows naming one of them that nobody declared yet wait, listed in the merged
policy's ``waiting`` and left out of the table, and take effect at the first rendering after
the owner stored its contribution. A name outside ``awaits`` is still an error: a typo
never waits silently.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,15}$")
COMMENT_RE = re.compile(r"^[A-Za-z0-9 _.,:;()/+>-]{0,100}$")
RATE_RE = re.compile(r"^([1-9][0-9]{0,5})/(second|minute|hour|day)$")
PROTOS = ("tcp", "udp", "icmp", "any")
FAMILIES = ("ipv4", "ipv6")
RESERVED = ("any", "gateway")
ZONE_KEYS = {"name", "networks", "interface", "management", "tunnel"}
FLOW_KEYS = {"from", "to", "proto", "ports", "session_set", "comment", "per_source_connections"}
SET_KEYS = {"name", "family", "timeout"}
RATE_KEYS = {
    "to",
    "ports",
    "per_source",
    "burst",
    "management_only",
    "management_per_source",
    "management_burst",
}
TOP_KEYS = {"zones", "flows", "sets", "rate_limits", "awaits"}


def _name(field, value, what):
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise FirewallError(
            field,
            value,
            "is not a valid %s name" % what,
            "use 1-24 characters a-z, 0-9 and _, starting with a letter",
        )
    return value


def _keys(field, item, allowed):
    if not isinstance(item, dict):
        raise FirewallError(field, item, "is not a mapping", "write it as a mapping with the documented keys")
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise FirewallError(
            "%s.%s" % (field, unknown[0]),
            item[unknown[0]],
            "is not a known key",
            "use only %s" % ", ".join(sorted(allowed)),
        )


def _list(field, value):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise FirewallError(field, value, "is not a list", "write a list, e.g. [22, 443]")
    return list(value)


def _bool(field, value, default=False):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise FirewallError(field, value, "is not a boolean", "write true or false")
    return value


def _ports(field, value):
    ports = []
    for i, port in enumerate(_list(field, value)):
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise FirewallError("%s[%d]" % (field, i), port, "is not a port", "use a number from 1 to 65535")
        ports.append(port)
    return sorted(set(ports))


def _network(field, value):
    try:
        return ipaddress.ip_network(value, strict=True)
    except (ValueError, TypeError) as exc:
        try:
            hint = "write %s" % ipaddress.ip_network(value, strict=False)
        except (ValueError, TypeError):
            hint = "write an address or network such as 10.20.30.0/24 or fd00:30::/64"
        raise FirewallError(field, value, "is not a network (%s)" % exc, hint) from None


def _zone(field, z):
    _keys(field, z, ZONE_KEYS)
    name = _name(field + ".name", z.get("name"), "zone")
    if name in RESERVED:
        raise FirewallError(field + ".name", name, "is reserved", "pick another zone name")
    nets = [
        _network("%s.networks[%d]" % (field, i), n)
        for i, n in enumerate(_list(field + ".networks", z.get("networks")))
    ]
    if not nets:
        raise FirewallError(field + ".networks", z.get("networks"), "is empty", "list the zone's networks")
    iface = z.get("interface") or ""
    if iface and (not isinstance(iface, str) or not IFNAME_RE.match(iface)):
        raise FirewallError(
            field + ".interface", iface, "is not an interface name", "use the kernel's name, e.g. br0.30"
        )
    tunnel = _bool(field + ".tunnel", z.get("tunnel"))
    if tunnel and not iface:
        raise FirewallError(
            field + ".interface", iface, "is required for a tunnel zone", "name the VPN interface, e.g. wg0"
        )
    return {
        "name": name,
        "networks": [str(n) for n in nets],
        "interface": iface,
        "management": _bool(field + ".management", z.get("management")),
        "tunnel": tunnel,
    }


def _flow(field, f):
    _keys(field, f, FLOW_KEYS)
    src = f.get("from")
    if src != "any":
        _name(field + ".from", src, "zone")
    dst = f.get("to")
    if dst != "gateway":
        _name(field + ".to", dst, "zone")
    proto = f.get("proto", "tcp")
    if proto not in PROTOS:
        raise FirewallError(field + ".proto", proto, "is not a protocol", "use one of %s" % ", ".join(PROTOS))
    ports = _ports(field + ".ports", f.get("ports"))
    if ports and proto not in ("tcp", "udp"):
        raise FirewallError(field + ".ports", ports, "needs proto tcp or udp", "set proto, or ports: []")
    session = f.get("session_set") or ""
    if session:
        _name(field + ".session_set", session, "set")
    comment = f.get("comment") or ""
    if not isinstance(comment, str) or not COMMENT_RE.match(comment):
        raise FirewallError(
            field + ".comment",
            comment,
            "has characters nft comments cannot carry",
            "use letters, digits, spaces and .,:;()/+-> (100 at most)",
        )
    cap = f.get("per_source_connections") or 0
    if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap <= 65535:
        raise FirewallError(
            field + ".per_source_connections", cap, "is not a connection count", "use 0 (no cap) to 65535"
        )
    if cap and proto != "tcp":
        raise FirewallError(field + ".per_source_connections", cap, "needs proto tcp", "cap TCP flows only")
    return {
        "from": src,
        "to": dst,
        "proto": proto,
        "ports": ports,
        "session_set": session,
        "comment": comment,
        "per_source_connections": cap,
    }


def _set(field, s):
    _keys(field, s, SET_KEYS)
    name = _name(field + ".name", s.get("name"), "set")
    if name.startswith(("z_", "rl_", "rlm_", "cc_")):
        raise FirewallError(
            field + ".name",
            name,
            "uses a prefix the role keeps for itself",
            "do not start with z_, rl_, rlm_ or cc_",
        )
    family = s.get("family", "ipv4")
    if family not in FAMILIES:
        raise FirewallError(field + ".family", family, "is not an address family", "use ipv4 or ipv6")
    return {"name": name, "family": family, "timeout": _bool(field + ".timeout", s.get("timeout"), True)}


def _rate(field, r):
    _keys(field, r, RATE_KEYS)
    targets = []
    for i, t in enumerate(_list(field + ".to", r.get("to"))):
        if isinstance(t, str) and NAME_RE.match(t):
            targets.append(t)
        else:
            targets.append(str(_network("%s.to[%d]" % (field, i), t)))
    if not targets:
        raise FirewallError(field + ".to", r.get("to"), "is empty", "list addresses or zone names")
    per = r.get("per_source")
    if not isinstance(per, str) or not RATE_RE.match(per):
        raise FirewallError(field + ".per_source", per, "is not a rate", "write e.g. 6/minute")
    burst = _burst(field + ".burst", r.get("burst", 5))
    mper = r.get("management_per_source") or ""
    if mper and not (isinstance(mper, str) and RATE_RE.match(mper)):
        raise FirewallError(
            field + ".management_per_source", mper, "is not a rate", "write e.g. 60/minute, or leave it empty"
        )
    return {
        "to": targets,
        "ports": _ports(field + ".ports", r.get("ports")),
        "per_source": per,
        "burst": burst,
        # new connections to these ports only from the management zones (VLAN, VPN pools)
        "management_only": _bool(field + ".management_only", r.get("management_only")),
        # the management zones' own limit (above the logins a run of the collection makes);
        # empty: they are limited at per_source like every other source
        "management_per_source": mper,
        "management_burst": _burst(field + ".management_burst", r.get("management_burst", 20)) if mper else 0,
    }


def _burst(field, burst):
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= 10000:
        raise FirewallError(field, burst, "is not a burst size", "use 1 to 10000 packets")
    return burst


def validate(name, data):
    """One contribution, normalised; FirewallError names ``<name>.<field>``."""
    _name("contribution name", name, "contribution")
    if data is None:
        data = {}
    _keys(name, data, TOP_KEYS)
    out = {}
    for key, fn in (("zones", _zone), ("flows", _flow), ("sets", _set), ("rate_limits", _rate)):
        out[key] = [
            fn("%s.%s[%d]" % (name, key, i), item)
            for i, item in enumerate(_list("%s.%s" % (name, key), data.get(key)))
        ]
    out["awaits"] = [
        _name("%s.awaits[%d]" % (name, i), item, "zone or set")
        for i, item in enumerate(_list(name + ".awaits", data.get("awaits")))
    ]
    own = {z["name"] for z in out["zones"]} | {x["name"] for x in out["sets"]}
    for i, item in enumerate(out["awaits"]):
        if item in own or item in RESERVED:
            raise FirewallError(
                "%s.awaits[%d]" % (name, i),
                item,
                "is declared by this contribution itself" if item in own else "is a reserved name",
                "list only zones and sets another contribution declares",
            )
    return out


def merge(contributions):
    """{name: raw contribution} -> one policy; raises FirewallError on conflicts.

    Zones, flows, sets and rate limits keep the field path they came from (``field``) so
    that later errors can name it.
    """
    policy = {"zones": {}, "flows": [], "sets": {}, "rate_limits": [], "waiting": []}
    for cname in sorted(contributions):
        data = validate(cname, contributions[cname])
        for i, z in enumerate(data["zones"]):
            field = "%s.zones[%d]" % (cname, i)
            if z["name"] in policy["zones"]:
                raise FirewallError(
                    field + ".name",
                    z["name"],
                    "is already a zone of %s" % policy["zones"][z["name"]]["field"],
                    "give each zone one owner",
                )
            policy["zones"][z["name"]] = dict(z, field=field)
        for i, s in enumerate(data["sets"]):
            field = "%s.sets[%d]" % (cname, i)
            if s["name"] in policy["sets"]:
                raise FirewallError(
                    field + ".name",
                    s["name"],
                    "is already a set of %s" % policy["sets"][s["name"]]["field"],
                    "rename one",
                )
            policy["sets"][s["name"]] = dict(s, field=field)
        policy["flows"] += [
            dict(f, field="%s.flows[%d]" % (cname, i), awaits=data["awaits"])
            for i, f in enumerate(data["flows"])
        ]
        policy["rate_limits"] += [
            dict(r, field="%s.rate_limits[%d]" % (cname, i)) for i, r in enumerate(data["rate_limits"])
        ]
    _check_overlaps(policy["zones"])
    flows = []
    for f in policy["flows"]:
        awaits = f.pop("awaits")
        missing = sorted(
            {f[k] for k in ("from", "to") if f[k] not in policy["zones"]}
            | ({f["session_set"]} if f["session_set"] and f["session_set"] not in policy["sets"] else set())
        )
        if missing and set(missing) <= set(awaits):
            policy["waiting"].append({"field": f["field"], "awaits": missing})
        else:
            flows.append(f)
    policy["flows"] = flows
    for f in policy["flows"]:
        for key, special in (("from", "any"), ("to", "gateway")):
            if f[key] != special and f[key] not in policy["zones"]:
                raise FirewallError(
                    "%s.%s" % (f["field"], key),
                    f[key],
                    "is no zone of any contribution",
                    "use one of %s, or %s"
                    % (", ".join(sorted(policy["zones"])) or "(no zones yet)", special),
                )
        if f["to"] != "gateway" and policy["zones"][f["to"]]["tunnel"]:
            raise FirewallError(
                f["field"] + ".to",
                f["to"],
                "is a tunnel zone: nothing may open connections towards the VPN",
                "drop this flow",
            )
        if f["session_set"] and f["session_set"] not in policy["sets"]:
            raise FirewallError(
                f["field"] + ".session_set",
                f["session_set"],
                "is no set of any contribution",
                "declare it under sets",
            )
    for r in policy["rate_limits"]:
        if r["management_only"] and not any(z["management"] for z in policy["zones"].values()):
            raise FirewallError(
                r["field"] + ".management_only",
                True,
                "leaves no source allowed: no contribution has a zone with management: true",
                "declare the management VLAN or the VPN pool as a zone with management: true",
            )
        if r["management_per_source"] and not any(z["management"] for z in policy["zones"].values()):
            raise FirewallError(
                r["field"] + ".management_per_source",
                r["management_per_source"],
                "names the management zones' limit, but no contribution has a zone with management: true",
                "declare the management VLAN or the VPN pool with management: true, or leave it empty",
            )
        for i, t in enumerate(r["to"]):
            if "/" not in t and t not in policy["zones"]:
                raise FirewallError(
                    "%s.to[%d]" % (r["field"], i),
                    t,
                    "is no zone of any contribution",
                    "name a zone or write an address",
                )
    return policy


def _check_overlaps(zones):
    seen = []
    for name in sorted(zones):
        for i, text in enumerate(zones[name]["networks"]):
            net = ipaddress.ip_network(text)
            for other_name, other_net, other_field in seen:
                if net.version == other_net.version and net.overlaps(other_net):
                    raise FirewallError(
                        "%s.networks[%d]" % (zones[name]["field"], i),
                        text,
                        "overlaps %s of zone %s (%s)" % (other_net, other_name, other_field),
                        "give every zone networks of its own",
                    )
            seen.append((name, net, zones[name]["field"]))
