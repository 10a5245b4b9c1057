# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The WireGuard plan: validate the topology, allocate tunnel addresses, derive each end.

Hub-and-spoke by default: the hub sits at the client's gateway and every peer (an MSP
engineer, or an MSP office for site-to-site) reaches only the management zone(s) through
it. Addresses come from one pool; an allocation, once made, is kept across runs (the
previous allocation is passed in and returned updated) so a peer's address and the TOTP
session bound to it never move because another peer was added or removed.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.iotguard.hardening.plugins.module_utils.totp import NAME_RE
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.keys import check_key

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def network(value, field):
    try:
        return ipaddress.ip_network(value, strict=True)
    except (ValueError, TypeError) as exc:
        raise WireGuardError(
            "%s=%r is not a network: write it as a CIDR with the host bits zero, e.g. 10.66.0.0/24 (%s)"
            % (field, value, exc)
        ) from None


def parse_endpoint(value, field):
    """``host:port`` where host is an IP address (IPv6 in brackets) or a DNS name."""
    if not isinstance(value, str) or not value or len(value) > 260 or any(c.isspace() for c in value):
        raise WireGuardError(
            "%s=%r is not an endpoint: write it as address:port, e.g. 192.0.2.10:51820" % (field, value)
        )
    m = re.match(r"^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$", value) or re.match(r"^([^:\[\]]+):(\d{1,5})$", value)
    if not m:
        raise WireGuardError(
            "%s=%r is not an endpoint: write it as address:port (IPv6 as [addr]:port), e.g. 192.0.2.10:51820"
            % (field, value)
        )
    host, port = m.group(1), int(m.group(2))
    if not 1 <= port <= 65535:
        raise WireGuardError("%s=%r: port %d is outside 1-65535" % (field, value, port))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if re.match(r"^[0-9.]+$", host) or not HOSTNAME_RE.match(host):
            raise WireGuardError(
                "%s=%r: %r is neither an IP address nor a DNS name: give the hub's public address"
                % (field, value, host)
            ) from None
    return value


def _overlaps(named):
    """Every pair of overlapping networks in ``named`` (a list of (label, network))."""
    out = []
    for i, (la, na) in enumerate(named):
        for lb, nb in named[i + 1 :]:
            if na.version == nb.version and na.overlaps(nb):
                out.append("%s (%s) overlaps %s (%s)" % (la, na, lb, nb))
    return out


def validate_peers(peers):
    if not isinstance(peers, list):
        raise WireGuardError("peers must be a list of mappings with at least 'name'")
    seen = {}
    for idx, peer in enumerate(peers):
        field = "peers[%d]" % idx
        if not isinstance(peer, dict):
            raise WireGuardError("%s=%r is not a mapping: give at least name and public_key" % (field, peer))
        name = peer.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise WireGuardError(
                "%s.name=%r is not a usable peer name: use 1-63 lower-case letters, digits, '.', '_' or '-'"
                % (field, name)
            )
        if name in seen:
            raise WireGuardError(
                "%s.name=%r is used twice (also peers[%d]): give every peer its own name"
                % (field, name, seen[name])
            )
        seen[name] = idx
        if not peer.get("public_key"):
            raise WireGuardError(
                "%s (name=%r) has no public_key: run the role on the peer host (host=...) so its key is "
                "generated there, set export: true to make the key on the controller, or paste the "
                "engineer's own public key" % (field, name)
            )
        check_key(peer["public_key"], "%s.public_key" % field)
        if peer.get("next_public_key"):
            check_key(peer["next_public_key"], "%s.next_public_key" % field)


def allocate(pool, peers, previous=None, hub_address=None):
    """Return {peer name: address} inside ``pool``, keeping ``previous`` where still valid."""
    hosts = pool.hosts()
    hub = ipaddress.ip_address(hub_address) if hub_address else next(iter(pool.hosts()))
    taken = {hub}
    result = {}
    fixed = [p for p in peers if p.get("address")]
    for p in fixed:
        try:
            addr = ipaddress.ip_address(p["address"])
        except ValueError:
            raise WireGuardError(
                "peer %r address=%r is not an IP address" % (p["name"], p["address"])
            ) from None
        if addr not in pool or addr in (pool.network_address, pool.broadcast_address):
            raise WireGuardError(
                "peer %r address=%s is not a host address of pool %s: pick one inside it"
                % (p["name"], addr, pool)
            )
        if addr in taken:
            raise WireGuardError(
                "peer %r address=%s is already taken (hub or another peer): pick another" % (p["name"], addr)
            )
        taken.add(addr)
        result[p["name"]] = addr
    for name, addr_text in sorted((previous or {}).items()):
        if name in result or name not in {p["name"] for p in peers}:
            continue
        try:
            addr = ipaddress.ip_address(addr_text)
        except ValueError:
            continue
        if addr in pool and addr not in taken and addr not in (pool.network_address, pool.broadcast_address):
            taken.add(addr)
            result[name] = addr
    free = (a for a in hosts if a not in taken)
    for p in sorted(peers, key=lambda x: x["name"]):
        if p["name"] in result:
            continue
        try:
            addr = next(free)
        except StopIteration:
            raise WireGuardError(
                "pool=%s has no free address left for peer %r: use a larger pool" % (pool, p["name"])
            ) from None
        result[p["name"]] = addr
    return {k: str(v) for k, v in result.items()}, str(hub)


def build_plan(
    pool,
    hub_endpoint,
    hub_public_key,
    peers,
    mgmt_zones,
    previous=None,
    listen_port=51820,
    reserved=(),
    keepalive=25,
    psk_dir=None,
    switch=False,
):
    """Validate everything, then return the plan (no side effects).

    A peer with ``next_public_key`` is being rotated: without ``switch`` the hub learns the
    new key beside the old one; with ``switch`` the new key takes over the peer's addresses.
    """
    pool_net = network(pool, "pool")
    parse_endpoint(hub_endpoint, "hub_endpoint")
    check_key(hub_public_key, "hub_public_key")
    if not isinstance(listen_port, int) or not 1 <= listen_port <= 65535:
        raise WireGuardError("listen_port=%r is outside 1-65535" % (listen_port,))
    if not mgmt_zones:
        raise WireGuardError(
            "mgmt_zones is empty: name the management network(s) peers may reach, e.g. [10.20.0.0/24]"
        )
    zones = [network(z, "mgmt_zones[%d]" % i) for i, z in enumerate(mgmt_zones)]
    validate_peers(peers)
    named = [("pool", pool_net)]
    named += [("mgmt_zones[%d]" % i, z) for i, z in enumerate(zones)]
    named += [("reserved[%d]" % i, network(r, "reserved[%d]" % i)) for i, r in enumerate(reserved or [])]
    for p in peers:
        for j, n in enumerate(p.get("networks") or []):
            named.append(
                ("peer %s networks[%d]" % (p["name"], j), network(n, "peer %s networks[%d]" % (p["name"], j)))
            )
    clashes = _overlaps(named)
    if clashes:
        raise WireGuardError("address pools overlap: %s; give each its own range" % "; ".join(clashes))
    addresses, hub_addr = allocate(pool_net, peers, previous)
    hub_peers = []
    peer_plans = {}
    hub_cidr = "%s/%d" % (hub_addr, pool_net.prefixlen)
    for p in sorted(peers, key=lambda x: x["name"]):
        own = ["%s/%d" % (addresses[p["name"]], pool_net.max_prefixlen)] + [
            str(network(n, "networks")) for n in p.get("networks") or []
        ]
        psk = "%s/%s.psk" % (psk_dir.rstrip("/"), p["name"]) if psk_dir else None
        entry = {
            "name": p["name"],
            "public_key": p["public_key"].strip(),
            "allowed_ips": own,
            "preshared_key_path": psk,
        }
        hub_peers.append(entry)
        nxt = (p.get("next_public_key") or "").strip()
        if nxt and nxt != entry["public_key"] and not switch:
            # staged rotation, "add new": the hub knows the new key, nothing is routed to it yet
            hub_peers.append(
                {"name": p["name"] + "~new", "public_key": nxt, "allowed_ips": [], "preshared_key_path": psk}
            )
        elif nxt and nxt != entry["public_key"]:
            # "switch": the new key takes over the addresses; the old key stays known (with
            # nothing routed to it) until the rotation is committed
            hub_peers.append(
                {
                    "name": p["name"] + "~old",
                    "public_key": entry["public_key"],
                    "allowed_ips": [],
                    "preshared_key_path": psk,
                }
            )
            entry["public_key"] = nxt
        peer_plans[p["name"]] = {
            "address": "%s/%d" % (addresses[p["name"]], pool_net.max_prefixlen),
            "tunnel_ip": addresses[p["name"]],
            "allowed_ips": ["%s/%d" % (hub_addr, pool_net.max_prefixlen)] + [str(z) for z in zones],
            "endpoint": hub_endpoint,
            "persistent_keepalive": keepalive,
            "networks": [str(network(n, "networks")) for n in p.get("networks") or []],
            "totp": bool(p.get("totp", True)),
        }
    return {
        "hub": {"address": hub_cidr, "tunnel_ip": hub_addr, "listen_port": listen_port, "peers": hub_peers},
        "peers": peer_plans,
        "allocations": addresses,
        "pool": str(pool_net),
        "mgmt_zones": [str(z) for z in zones],
    }
