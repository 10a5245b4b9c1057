# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Segmentation's contribution to the gateway firewall, as data (the gateway firewall
role's contract: ``zones``, ``flows``, ``sets``, ``rate_limits``).

The gateway drops every new connection no flow allows, so the policy is what is left out:

- IoT zones have no flow to staff or servers;
- management ports (``firewall.management_ports``) of every IoT zone are reachable only
  from the management zone and the VPN zone (``management: true``), and from the tunnel
  zones a VPN role declares (``firewall.vpn_zones``: the WireGuard role's ``wg_pool``) only
  with a session in their TOTP set, as every extra flow from such a zone into the site;
- cameras reach only the NVRs (and the NVRs pull from the cameras);
- medical-legacy reaches only its PACS/modality peers (``firewall.medical_peers``), and
  they reach it on the same ports;
- quarantine reaches nothing (management may still reach it, to fix or retire devices);
- staff reach the printers on the printing ports.

``contribution(plan, policy)`` returns the mapping the role passes as
``gateway_firewall_contribution``; bad input raises ``SegmentationError``.
"""

from __future__ import annotations

import copy
import ipaddress

from ansible_collections.iotguard.hardening.plugins.module_utils.firewall.model import COMMENT_RE
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation.plan import (
    QUARANTINE,
    ZONE_NAME,
    _networks,
    check_policy,
)

DEFAULT_FIREWALL = {
    "staff_networks": [],
    "server_networks": [],
    "management_networks": [],
    "vpn_networks": [],
    # tunnel zones another contribution declares: [{zone: wg_pool, session_set: wg_authed}]
    "vpn_zones": [],
    # udp/1900: discovery's unicast SSDP M-SEARCH, the one answer that names some products (a
    # Venstar thermostat's Local API): without it the after-assessment meets them unidentified
    "management_ports": {"tcp": [21, 22, 23, 80, 443, 8000, 8080, 8443], "udp": [161, 1900]},
    "stream_ports": [554, 8000],  # cameras -> NVR (push) and NVR -> cameras (RTSP pull, SDK)
    "nvr_pull_ports": [80, 443, 554, 8000],
    "print_ports": [515, 631, 9100],
    "medical_peers": [],
    "extra_flows": [],
}
#: the zones the contribution adds beside the policy's VLAN zones
SITE_ZONES = (
    ("staff", "staff_networks", False),
    ("servers", "server_networks", False),
    ("management", "management_networks", True),
    ("vpn", "vpn_networks", True),
)
PROTOS = ("tcp", "udp", "icmp", "any")


def _err(field, value, problem, fix):
    return SegmentationError(field, value, problem, fix)


def _ports(values, field):
    out = []
    for i, port in enumerate(values or []):
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _err("%s[%d]" % (field, i), port, "is not a port", "give a number from 1 to 65535")
        out.append(port)
    return sorted(set(out))


def check_firewall(policy):
    fw = copy.deepcopy(DEFAULT_FIREWALL)
    given = policy.get("firewall") or {}
    if not isinstance(given, dict):
        raise _err(
            "policy.firewall", given, "is not a mapping", "give staff_networks, management_networks, ..."
        )
    unknown = sorted(set(given) - set(DEFAULT_FIREWALL))
    if unknown:
        raise _err(
            "policy.firewall", unknown, "holds unknown keys", "use only %s" % ", ".join(DEFAULT_FIREWALL)
        )
    fw.update(copy.deepcopy(given))
    for key, _unused in (
        (k, None) for k in ("staff_networks", "server_networks", "management_networks", "vpn_networks")
    ):
        fw[key] = _networks(fw[key], "policy.firewall.%s" % key)
    mp = fw["management_ports"] or {}
    fw["management_ports"] = {
        "tcp": _ports(mp.get("tcp"), "policy.firewall.management_ports.tcp"),
        "udp": _ports(mp.get("udp"), "policy.firewall.management_ports.udp"),
    }
    for key in ("stream_ports", "nvr_pull_ports", "print_ports"):
        fw[key] = _ports(fw[key], "policy.firewall.%s" % key)
    peers = []
    for i, peer in enumerate(fw["medical_peers"] or []):
        field = "policy.firewall.medical_peers[%d]" % i
        if not isinstance(peer, dict) or not peer.get("networks"):
            raise _err(
                field, peer, "is not a peer", "give {name: pacs, networks: [10.50.0.10/32], tcp_ports: [104]}"
            )
        peers.append(
            {
                "name": str(peer.get("name") or "peer%d" % i),
                "networks": _networks(peer["networks"], field + ".networks"),
                "tcp_ports": _ports(peer.get("tcp_ports") or [104], field + ".tcp_ports"),
            }
        )
    fw["medical_peers"] = peers
    fw["vpn_zones"] = _vpn_zones(fw["vpn_zones"])
    return fw


def _vpn_zones(given):
    """[{zone, session_set}]: zones of a VPN role's contribution, named, not declared here."""
    out = []
    if not isinstance(given, list):
        raise _err(
            "policy.firewall.vpn_zones",
            given,
            "is not a list",
            "give [{zone: wg_pool, session_set: wg_authed}]",
        )
    for i, item in enumerate(given):
        field = "policy.firewall.vpn_zones[%d]" % i
        if not isinstance(item, dict) or set(item) - {"zone", "session_set"}:
            raise _err(field, item, "is not a VPN zone", "give {zone: wg_pool, session_set: wg_authed}")
        for key in ("zone", "session_set"):
            value = item.get(key) or ""
            if (value or key == "zone") and not (isinstance(value, str) and ZONE_NAME.match(value)):
                raise _err(
                    "%s.%s" % (field, key),
                    value,
                    "is not a zone or set name",
                    "name the VPN role's tunnel zone and its TOTP set (wireguard: wg_pool, wg_authed)",
                )
        out.append({"zone": item["zone"], "session_set": item.get("session_set") or ""})
    return out


def _without(networks, holes, field):
    """``networks`` minus the medical peers inside them (a PACS in the server network is
    its own zone; the gateway firewall wants every address in one zone only)."""
    out = [ipaddress.ip_network(n) for n in networks]
    for hole in (ipaddress.ip_network(h) for h in holes):
        kept = []
        for net in out:
            if net.version != hole.version or not net.overlaps(hole):
                kept.append(net)
            elif hole.subnet_of(net):
                kept.extend(net.address_exclude(hole))
            else:
                raise _err(
                    field,
                    str(net),
                    "lies inside the medical peer network %s" % hole,
                    "give the medical peer its own addresses (e.g. the PACS as a /32)",
                )
        out = kept
    return [str(n) for n in sorted(out, key=lambda n: (n.version, n))]


def _flow(src, dst, proto, ports, comment):
    return {"from": src, "to": dst, "proto": proto, "ports": list(ports), "comment": comment}


def contribution(the_plan, policy):
    """Zones and flows for the gateway firewall from the plan's zones and the policy."""
    policy = check_policy(policy)
    fw = check_firewall(policy)
    zones = []
    names = set()
    for z in the_plan["zones"]:
        if not z.get("networks"):
            if z.get("devices"):
                raise _err(
                    "policy.zones[%s].networks" % z["name"],
                    [],
                    "is empty but the zone holds %d device(s)" % len(z["devices"]),
                    "give the zone's subnet on the gateway (e.g. 10.%d.0.0/24)" % (z["vlan"] % 256),
                )
            continue
        entry = {"name": z["name"], "networks": list(z["networks"]), "management": False}
        if z.get("interface"):
            entry["interface"] = z["interface"]
        zones.append(entry)
        names.add(z["name"])
    iot = [z["name"] for z in zones]
    peer_nets = [n for peer in fw["medical_peers"] for n in peer["networks"]]
    for name, key, management in SITE_ZONES:
        if fw[key]:
            networks = _without(fw[key], peer_nets, "policy.firewall.%s" % key)
            zones.append({"name": name, "networks": networks, "management": management})
            names.add(name)
    flows = []
    if "cameras" in names and "nvrs" in names:
        flows.append(_flow("cameras", "nvrs", "tcp", fw["stream_ports"], "cameras stream to their NVR"))
        flows.append(
            _flow("nvrs", "cameras", "tcp", fw["nvr_pull_ports"], "the NVR pulls the camera streams")
        )
    if "staff" in names and "printers" in names:
        flows.append(_flow("staff", "printers", "tcp", fw["print_ports"], "staff print"))
    if "medical_legacy" in names:
        for peer in fw["medical_peers"]:
            zname = ("med_" + peer["name"].lower().replace("-", "_"))[:24]
            if not ZONE_NAME.match(zname):
                raise _err(
                    "policy.firewall.medical_peers[].name",
                    peer["name"],
                    "is not a zone name",
                    "use letters, digits, _",
                )
            zones.append({"name": zname, "networks": peer["networks"], "management": False})
            names.add(zname)
            flows.append(
                _flow(
                    "medical_legacy",
                    zname,
                    "tcp",
                    peer["tcp_ports"],
                    "medical-legacy reaches its %s" % peer["name"],
                )
            )
            flows.append(
                _flow(
                    zname,
                    "medical_legacy",
                    "tcp",
                    peer["tcp_ports"],
                    "%s reaches medical-legacy" % peer["name"],
                )
            )
    admins = [(admin, "") for admin in ("management", "vpn") if admin in names]
    admins += [(v["zone"], v["session_set"]) for v in fw["vpn_zones"]]
    for admin, session in admins:
        for zone in iot:
            for proto in ("tcp", "udp"):
                if fw["management_ports"][proto]:
                    flow = _flow(
                        admin,
                        zone,
                        proto,
                        fw["management_ports"][proto],
                        "%s ports of %s only from %s" % ("management", zone, admin),
                    )
                    if session:
                        flow["session_set"] = session
                    flows.append(flow)
    names |= {v["zone"] for v in fw["vpn_zones"]}
    sessions = {v["zone"]: v["session_set"] for v in fw["vpn_zones"]}
    for i, flow in enumerate(fw["extra_flows"] or []):
        field = "policy.firewall.extra_flows[%d]" % i
        if not isinstance(flow, dict):
            raise _err(field, flow, "is not a flow", "give from, to, proto, ports, comment")
        for end in ("from", "to"):
            if flow.get(end) not in names | {"any", "gateway"}:
                raise _err(
                    field + "." + end,
                    flow.get(end),
                    "is not a zone",
                    "use one of %s" % ", ".join(sorted(names)),
                )
        if flow.get("from") == QUARANTINE or (flow.get("from") == "any" and QUARANTINE in names):
            raise _err(
                field + ".from",
                flow.get("from"),
                "would let quarantine reach something",
                "quarantine reaches nothing",
            )
        if flow.get("proto", "tcp") not in PROTOS:
            raise _err(field + ".proto", flow.get("proto"), "is not a protocol", "use tcp, udp, icmp or any")
        comment = flow.get("comment") or "policy extra flow %d" % i
        if not isinstance(comment, str) or not COMMENT_RE.match(comment):
            raise _err(
                field + ".comment",
                comment,
                "has characters a firewall comment cannot carry",
                "use letters, digits, spaces and .,:;()/+-> (100 at most)",
            )
        extra = _flow(
            flow["from"],
            flow["to"],
            flow.get("proto", "tcp"),
            _ports(flow.get("ports"), field + ".ports"),
            comment,
        )
        # from a tunnel zone into the site only with a session, as the management ports: an
        # extra flow must not be a way past the VPN's second factor
        if sessions.get(flow["from"]) and flow["to"] != "gateway":
            extra["session_set"] = sessions[flow["from"]]
        flows.append(extra)
    # the VPN role's zone and set may not be on the gateway yet (segmentation before the VPN on
    # a new gateway): the flows naming them wait for it instead of failing
    awaits = sorted(
        {v["zone"] for v in fw["vpn_zones"]} | {v["session_set"] for v in fw["vpn_zones"] if v["session_set"]}
    )
    return {"zones": zones, "flows": flows, "sets": [], "rate_limits": [], "awaits": awaits}


def isolation_controls(the_plan, contrib, ports):
    """One zone-isolation control per device whose port was read back on an end-of-life zone
    or on the quarantine zone, where the plan puts an end-of-life device whose class has no
    end-of-life zone (``[{"device", "zone", "control", "recheck"}]``; none without a gateway
    contribution):
    the zones segmentation lets open a connection into the zone, for
    ``risk.compensation.isolation_recheck`` to find, and nothing more, in the live table.
    A zone any source may reach is not isolated and gets no control."""
    if not contrib:
        return []
    out = []
    verified = {p["device"] for p in ports if p.get("verified")}
    for z in the_plan["zones"]:
        if not (z.get("end_of_life") or z["name"] == QUARANTINE):
            continue
        sources = {f["from"] for f in contrib["flows"] if f["to"] == z["name"]}
        if "any" in sources:
            continue
        control = {"kind": "zone_isolation", "zone": z["name"], "allowed_zones": sorted(sources)}
        for device in sorted(set(z["devices"]) & verified):
            out.append({"device": device, "zone": z["name"], "control": control, "recheck": None})
    return out
