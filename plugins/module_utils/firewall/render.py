# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The merged policy as one nftables script for ``table inet iotguard``.

The script never deletes the table: it declares the table, its chains and sets (a
declaration of something that exists changes nothing), flushes the chains and the static
sets and fills them again, all in one transaction. Dynamic sets (TOTP sessions, per-source
meters) keep their elements across a reload. The same text loads on a fresh boot and on a
live gateway. Sets the new policy no longer has are removed by ``prelude``, computed
against the live table at apply time.

Policy, in both address families:
- prerouting: reverse-path check (fib), sources of an interface-bound zone only from
  that interface, then a mark that says "filtered by this table" (routing rules refuse
  forwarding to the zones without it, so an emptied ruleset fails closed);
- input: default drop; loopback, established, neighbour discovery, then only the flows
  ``to: gateway``; tunnel interfaces get nothing unless a flow names their zone;
- forward: default drop; established/related, nothing new towards a tunnel zone, rate
  limits, then only the listed flows.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError

TABLE = "iotguard"
FAMILY = "inet"
CHAINS = (
    ("prerouting", "type filter hook prerouting priority -150; policy accept;"),
    ("input", "type filter hook input priority filter; policy drop;"),
    ("forward", "type filter hook forward priority filter; policy drop;"),
)
MARK = 0x1000
# the role's own contribution: the gateway's administration access (kept by the failsafe)
ADMIN = "gateway"
FAILSAFE_HEADER = "# iotguard gateway firewall: FAILSAFE, loaded when the confirmed table did not load"
NFT_TYPE = {4: "ipv4_addr", 6: "ipv6_addr"}
FAMILY_VERSION = {"ipv4": 4, "ipv6": 6}
PREFIX = {4: "ip", 6: "ip6"}
ICMP = {4: "icmp", 6: "ipv6-icmp"}


def _q(name):
    return '"%s"' % name


def _elements(items):
    return "{ %s }" % ", ".join(str(i) for i in items)


def _zone_families(zone):
    return sorted({ipaddress.ip_network(n).version for n in zone["networks"]})


def zone_set(name, version):
    return "z_%s_%d" % (name, version)


def wanted_sets(policy):
    """name -> {"type", "flags", "dynamic", "extra", "elements"} for every set the policy needs."""
    sets = {}
    for name, z in sorted(policy["zones"].items()):
        for v in _zone_families(z):
            nets = [n for n in z["networks"] if ipaddress.ip_network(n).version == v]
            sets[zone_set(name, v)] = {
                "type": NFT_TYPE[v],
                "flags": ["interval"],
                "dynamic": False,
                "extra": "auto-merge;",
                "elements": nets,
            }
    for name, s in sorted(policy["sets"].items()):
        sets[name] = {
            "type": NFT_TYPE[FAMILY_VERSION[s["family"]]],
            "flags": ["timeout"] if s["timeout"] else [],
            "dynamic": True,
            "keep": True,
            "extra": "",
            "elements": [],
        }
    for i, r in enumerate(policy["rate_limits"]):
        for v in (4, 6):
            for prefix in ("rl", "rlm") if r["management_per_source"] else ("rl",):
                sets["%s_%d_%d" % (prefix, i, v)] = {
                    "type": NFT_TYPE[v],
                    "flags": ["dynamic", "timeout"],
                    "dynamic": True,
                    "extra": "size 65535; timeout 1h;",
                    "elements": [],
                }
    for i, f in enumerate(policy["flows"]):
        if f["per_source_connections"]:
            for v in (4, 6):
                sets["cc_%d_%d" % (i, v)] = {
                    "type": NFT_TYPE[v],
                    "flags": ["dynamic"],
                    "dynamic": True,
                    "extra": "size 65535;",
                    "elements": [],
                }
    return sets


def _set_decl(name, s, with_elements):
    parts = ["type %s;" % s["type"]]
    if s["extra"]:
        parts.append(s["extra"])
    flags = [f for f in s["flags"] if f != "dynamic" or s["extra"]]
    if flags:
        parts.append("flags %s;" % ",".join(flags))
    if with_elements and s["elements"]:
        parts.append("elements = %s;" % _elements(s["elements"]))
    return "\tset %s { %s }" % (name, " ".join(parts))


def _families(policy, f):
    fams = {4, 6}
    if f["from"] != "any":
        fams &= set(_zone_families(policy["zones"][f["from"]]))
    if f["to"] != "gateway":
        fams &= set(_zone_families(policy["zones"][f["to"]]))
    if f["session_set"]:
        fams &= {FAMILY_VERSION[policy["sets"][f["session_set"]]["family"]]}
    if not fams:
        raise FirewallError(
            f["field"],
            "%s -> %s" % (f["from"], f["to"]),
            "joins zones (or a session set) with no address family in common",
            "give both zones networks of one family",
        )
    return sorted(fams)


def _proto_match(proto, ports, v):
    if proto in ("tcp", "udp"):
        return "%s dport %s" % (proto, _elements(ports)) if ports else "meta l4proto %s" % proto
    if proto == "icmp":
        return "meta l4proto %s" % ICMP[v]
    return ""


def _tunnel_ifaces(policy):
    return sorted({z["interface"] for z in policy["zones"].values() if z["tunnel"]})


def _flow_rules(policy, i, f):
    rules = []
    tunnels = _tunnel_ifaces(policy)
    for v in _families(policy, f):
        p = PREFIX[v]
        m = []
        if f["from"] == "any":
            if tunnels:
                m.append("iifname != %s" % _elements(_q(t) for t in tunnels))
        else:
            z = policy["zones"][f["from"]]
            if z["interface"]:
                m.append("iifname %s" % _q(z["interface"]))
            m.append("%s saddr @%s" % (p, zone_set(f["from"], v)))
        if f["session_set"]:
            m.append("%s saddr @%s" % (p, f["session_set"]))
        if f["to"] == "gateway":
            if f["from"] == "any" and not f["session_set"] and len(_families(policy, f)) == 1:
                m.append("meta nfproto %s" % ("ipv4" if v == 4 else "ipv6"))
        else:
            m.append("%s daddr @%s" % (p, zone_set(f["to"], v)))
        pm = _proto_match(f["proto"], f["ports"], v)
        if pm:
            m.append(pm)
        match = " ".join(m)
        if f["per_source_connections"]:
            rules.append(
                "%s ct state new add @cc_%d_%d { %s saddr ct count over %d } counter reject with tcp reset"
                ' comment "%s"' % (match, i, v, p, f["per_source_connections"], cap_comment(f))
            )
        comment = ' comment "%s"' % f["comment"] if f["comment"] else ""
        rules.append("%s accept%s" % (match, comment))
        if (
            f["from"] == "any"
            and f["to"] == "gateway"
            and not f["session_set"]
            and len(_families(policy, f)) == 2
        ):
            break  # one rule serves both families
    return rules


def rate_comment(r):
    """The comment of a rate limit's drop rules (its counters are read by this name)."""
    return "rate limit %s" % r["field"]


def management_rate_comment(r):
    """The comment of a rate limit's drop rules for the management zones' own, higher limit."""
    return "management rate limit %s" % r["field"]


def management_comment(r):
    """The comment of a rate limit's "management only from the management zones" rule."""
    return "management only %s" % r["field"]


def cap_comment(f):
    """The comment of a flow's per-source connection cap (its counters are read by this name)."""
    return "connection cap %s" % f["field"]


def _rate_rules(policy, i, r):
    rules = []
    for v in (4, 6):
        p = PREFIX[v]
        targets = []
        for t in r["to"]:
            if "/" in t:
                if ipaddress.ip_network(t).version == v:
                    targets.append(t)
            elif v in _zone_families(policy["zones"][t]):
                targets.append("@" + zone_set(t, v))
        if not targets:
            continue
        ports = "meta l4proto { tcp, udp } th dport %s " % _elements(r["ports"]) if r["ports"] else ""
        # sources outside every management zone of this family (none: every source)
        outside = "".join(
            "%s saddr != @%s " % (p, zone_set(name, v))
            for name, z in sorted(policy["zones"].items())
            if z["management"] and v in _zone_families(z)
        )
        for t in targets:  # a set reference cannot sit inside an anonymous set
            dst = t if t.startswith("@") else _elements([t])
            if r.get("management_only"):
                rules.append(
                    '%s daddr %s %sct state new %scounter drop comment "%s"'
                    % (p, dst, ports, outside, management_comment(r))
                )
            # with a limit of their own, the management zones are not under this one
            others = outside if r["management_per_source"] else ""
            rules.append(
                "%s daddr %s %sct state new %sadd @rl_%d_%d" % (p, dst, ports, others, i, v)
                + " { %s saddr limit rate over %s burst %d packets }" % (p, r["per_source"], r["burst"])
                + ' counter drop comment "%s"' % rate_comment(r)
            )
            if r["management_per_source"]:
                rules.append(
                    "%s daddr %s %sct state new add @rlm_%d_%d" % (p, dst, ports, i, v)
                    + " { %s saddr limit rate over %s burst %d packets }"
                    % (p, r["management_per_source"], r["management_burst"])
                    + ' counter drop comment "%s"' % management_rate_comment(r)
                )
    return rules


def _input_base():
    return [
        'iifname "lo" accept',
        "ct state established,related accept",
        "ct state invalid drop",
        "meta l4proto ipv6-icmp icmpv6 type"
        " { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert } accept",
    ]


def chains(policy):
    """chain name -> list of rules."""
    tunnels = _tunnel_ifaces(policy)
    pre = [
        'iifname "lo" accept',
        "ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept",
        "ip6 saddr :: meta l4proto ipv6-icmp accept",
        'fib saddr . iif oif missing drop comment "reverse path: source not routed back out this interface"',
    ]
    for name, z in sorted(policy["zones"].items()):
        if z["interface"]:
            for v in _zone_families(z):
                pre.append(
                    '%s saddr @%s iifname != %s drop comment "zone %s only from its interface"'
                    % (PREFIX[v], zone_set(name, v), _q(z["interface"]), name)
                )
    pre.append("meta mark set meta mark | 0x%08x" % MARK)

    inp = _input_base()
    fwd = [
        "ct state established,related accept",
        "ct state invalid drop",
    ]
    if tunnels:
        fwd.append(
            'oifname %s drop comment "nothing new towards the VPN"' % _elements(_q(t) for t in tunnels)
        )
    for i, r in enumerate(policy["rate_limits"]):
        fwd += _rate_rules(policy, i, r)
    for i, f in enumerate(policy["flows"]):
        (inp if f["to"] == "gateway" else fwd).extend(_flow_rules(policy, i, f))
    return {"prerouting": pre, "input": inp, "forward": fwd}


def render(policy):
    """The merged policy -> nft script (text). Deterministic: the same policy, the same text."""
    sets = wanted_sets(policy)
    rules = chains(policy)
    out = ["# iotguard gateway firewall: rendered from /etc/iotguard/firewall.d, do not edit", ""]
    out.append("table %s %s {" % (FAMILY, TABLE))
    for name, hook in CHAINS:
        out.append("\tchain %s { %s }" % (name, hook))
    for name, s in sets.items():
        out.append(_set_decl(name, s, with_elements=False))
    out.append("}")
    for name, _unused in CHAINS:
        out.append("flush chain %s %s %s" % (FAMILY, TABLE, name))
    for name, s in sets.items():
        if not s["dynamic"]:
            out.append("flush set %s %s %s" % (FAMILY, TABLE, name))
    out.append("table %s %s {" % (FAMILY, TABLE))
    for name, s in sets.items():
        if not s["dynamic"] and s["elements"]:
            out.append(_set_decl(name, s, with_elements=True))
    for name, _unused in CHAINS:
        out.append("\tchain %s {" % name)
        out += ["\t\t%s" % r for r in rules[name]]
        out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def failsafe(policy, admin=ADMIN):
    """The table the boot loader falls back to when the confirmed one does not load: nothing
    is forwarded; the gateway answers loopback, its established connections and only the
    flows ``to: gateway`` of the contribution ``admin`` (its own administration, so that an
    engineer is not locked out). It replaces whatever table is there (a boot, not a reload)."""
    sets = wanted_sets(policy)
    inp = _input_base()
    for i, f in enumerate(policy["flows"]):
        if f["to"] == "gateway" and f["field"].startswith(admin + "."):
            inp.extend(_flow_rules(policy, i, f))
    out = [FAILSAFE_HEADER, ""]
    out.append("table %s %s {}" % (FAMILY, TABLE))
    out.append("delete table %s %s" % (FAMILY, TABLE))
    out.append("table %s %s {" % (FAMILY, TABLE))
    for name, s in sets.items():
        out.append(_set_decl(name, s, with_elements=not s["dynamic"]))
    for name, hook in CHAINS[1:]:
        out.append("\tchain %s {" % name)
        out.append("\t\t%s" % hook)
        out += ["\t\t%s" % r for r in (inp if name == "input" else [])]
        out.append("\t}")
    out.append("}")
    return "\n".join(out) + "\n"


def live_sets(nft_json):
    """``nft -j list table inet iotguard`` (parsed) -> name -> {"type", "flags"}."""
    found = {}
    for item in (nft_json or {}).get("nftables", []):
        s = item.get("set")
        if s and s.get("table") == TABLE and s.get("family") == FAMILY:
            found[s["name"]] = {"type": s.get("type"), "flags": sorted(s.get("flags", []))}
    return found


def prelude(live, policy):
    """Statements run before the script on a live table: drop every set the new policy does
    not keep as it is. Session sets declared again with the same type and flags stay, with
    their elements; everything else (zones, meters) is rebuilt by the script."""
    if live is None:
        return ""
    wanted = wanted_sets(policy)
    drop = []
    for name, have in sorted(live.items()):
        want = wanted.get(name)
        if (
            want
            and want.get("keep")
            and have["type"] == want["type"]
            and have["flags"] == sorted(want["flags"])
        ):
            continue
        drop.append(name)
    if not drop:
        return ""
    out = ["flush chain %s %s %s" % (FAMILY, TABLE, name) for name, _unused in CHAINS]
    out += ["delete set %s %s %s" % (FAMILY, TABLE, name) for name in drop]
    return "\n".join(out) + "\n"


def guard_networks(policy):
    """Networks forwarded to only with the table's mark: every zone's (closed if emptied)."""
    nets = []
    for _name, z in sorted(policy["zones"].items()):
        nets += z["networks"]
    return sorted(set(nets), key=lambda n: (ipaddress.ip_network(n).version, n))
