# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""A WireGuard interface's running state, compared with the wanted state and converged.

The running state is read with ``wg show <if> dump`` and ``ip``; changes go through
``wg syncconf`` (which keeps the sessions of peers that did not change), ``ip address``
and ``ip route``: nothing is torn down to apply a change. Where the kernel has no
WireGuard module the interface is made by ``wireguard-go`` (userspace), detected, not
configured by hand. Every command goes through ``run(argv, data=None) -> (rc, out, err)``
with an argument list, never a shell.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import tempfile
import time

from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.keys import check_key, read_key

IFNAME_RE = re.compile(r"^[A-Za-z0-9_=+.-]{1,15}$")
PROBE = "iotgwgprobe0"


def parse_dump(text):
    """``wg show <if> dump`` -> {"public_key", "listen_port", "peers": {pubkey: {...}}}."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise WireGuardError("`wg show dump` printed nothing")
    head = lines[0].split("\t")
    state = {
        "public_key": head[1] if len(head) > 1 and head[1] != "(none)" else None,
        "listen_port": int(head[2]) if len(head) > 2 and head[2].isdigit() else None,
        "peers": {},
    }
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) < 8:
            continue
        state["peers"][f[0]] = {
            "preshared_key": None if f[1] == "(none)" else f[1],
            "endpoint": None if f[2] == "(none)" else f[2],
            "allowed_ips": sorted(a for a in f[3].split(",") if a and a != "(none)"),
            "latest_handshake": int(f[4]) if f[4].isdigit() else 0,
            "persistent_keepalive": 0 if f[7] == "off" else int(f[7]),
        }
    return state


def _endpoint_matches(want, have):
    if not want:
        return True
    host = want.rsplit(":", 1)[0].strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return have is not None  # a DNS name: wg resolved it once, keep what it has
    return want.replace("[", "").replace("]", "") == (have or "").replace("[", "").replace("]", "")


def _read_secret(path, field):
    key, problem, _mode = read_key(path)
    if key is None:
        raise WireGuardError(
            "%s=%r: %s"
            % (field, path, problem or "file does not exist; generate it first (wireguard_keypair)")
        )
    return key


def normalise_peers(peers):
    out = []
    for i, p in enumerate(peers or []):
        field = "peers[%d]" % i
        pub = check_key(p.get("public_key", ""), field + ".public_key")
        ips = []
        for a in p.get("allowed_ips") or []:
            try:
                ips.append(str(ipaddress.ip_network(a, strict=True)))
            except ValueError as exc:
                raise WireGuardError("%s.allowed_ips has %r: %s; write a CIDR" % (field, a, exc)) from None
        out.append(
            {
                "public_key": pub,
                "preshared_key_path": p.get("preshared_key_path"),
                "allowed_ips": sorted(ips),
                "endpoint": p.get("endpoint") or None,
                "persistent_keepalive": int(p.get("persistent_keepalive") or 0),
                "name": p.get("name") or pub[:8],
            }
        )
    keys = [p["public_key"] for p in out]
    if len(set(keys)) != len(keys):
        raise WireGuardError("peers: a public key is listed twice: every peer needs its own key")
    return out


def _addr_list(addresses):
    out = []
    for a in addresses or []:
        try:
            out.append(str(ipaddress.ip_interface(a)))
        except ValueError:
            raise WireGuardError(
                "addresses has %r: write it as address/prefix, e.g. 10.66.0.1/24" % (a,)
            ) from None
    return sorted(out)


def wanted_routes(addresses, peers):
    """Routes to send through the interface: every allowed IP not already on-link."""
    own = [ipaddress.ip_interface(a).network for a in addresses]
    routes = set()
    for p in peers:
        for a in p["allowed_ips"]:
            net = ipaddress.ip_network(a)
            if not any(net.version == o.version and net.subnet_of(o) for o in own):
                routes.add(str(net))
    return sorted(routes)


class Interface:
    def __init__(self, run, name, wg="wg", ip="ip", wireguard_go="wireguard-go"):
        if not isinstance(name, str) or not IFNAME_RE.match(name):
            raise WireGuardError("name=%r is not an interface name: 1-15 letters, digits or _=+.-" % (name,))
        self.run = run
        self.name = name
        self.wg, self.ip, self.wgo = wg, ip, wireguard_go

    def _ok(self, argv, data=None, what=None):
        rc, out, err = self.run(argv, data)
        if rc != 0:
            raise WireGuardError(
                "%s failed (rc=%s): %s" % (what or " ".join(argv[:4]), rc, (err or out or "").strip()[:400])
            )
        return out

    def exists(self):
        rc, _out, _err = self.run([self.ip, "link", "show", "dev", self.name], None)
        return rc == 0

    def detect(self, preference="auto"):
        """``kernel`` when the kernel can make a WireGuard link, else ``userspace``."""
        if preference in ("kernel", "userspace"):
            return preference
        rc, _o, _e = self.run([self.ip, "link", "add", "dev", PROBE, "type", "wireguard"], None)
        if rc == 0:
            self.run([self.ip, "link", "del", "dev", PROBE], None)
            return "kernel"
        if not self.wgo:
            raise WireGuardError(
                "the kernel has no WireGuard module and wireguard-go is not installed: install wireguard-go"
            )
        return "userspace"

    def create(self, implementation):
        if implementation == "kernel":
            self._ok(
                [self.ip, "link", "add", "dev", self.name, "type", "wireguard"],
                what="ip link add type wireguard",
            )
        else:
            self._ok([self.wgo, self.name], what="wireguard-go %s" % self.name)

    def state(self):
        dump = self._ok([self.wg, "show", self.name, "dump"], what="wg show dump")
        st = parse_dump(dump)
        out = self._ok([self.ip, "-o", "address", "show", "dev", self.name], what="ip address show")
        st["addresses"] = sorted(
            m.group(1) for m in re.finditer(r"\binet6? (\S+)", out) if not m.group(1).startswith("fe80:")
        )
        out = self._ok([self.ip, "-o", "link", "show", "dev", self.name], what="ip link show")
        flags = re.search(r"<([^>]*)>", out)
        st["up"] = bool(flags and "UP" in flags.group(1).split(","))
        routes = []
        for fam in ("-4", "-6"):
            out = self._ok([self.ip, fam, "-o", "route", "show", "dev", self.name], what="ip route show")
            for line in out.splitlines():
                if "proto kernel" in line or not line.strip() or line.startswith(("fe80:", "multicast")):
                    continue
                tok = line.split()[0]
                with contextlib.suppress(ValueError):
                    routes.append(
                        str(
                            ipaddress.ip_network(
                                tok if "/" in tok else tok + ("/32" if ":" not in tok else "/128")
                            )
                        )
                    )
        st["routes"] = sorted(routes)
        return st

    def pubkey(self, private):
        return check_key(
            self._ok([self.wg, "pubkey"], private + "\n", what="wg pubkey").strip(), "derived public key"
        )


def wait_until(not_before, clock=time.time, sleep=time.sleep, limit=120):
    """Hold a change until the epoch second ``not_before`` (at most ``limit`` seconds), so
    that both ends of a tunnel can switch keys at the same moment."""
    if not_before:
        delay = float(not_before) - clock()
        if delay > limit:
            raise WireGuardError(
                "not_before=%s is %ds away, more than %ds: give a nearer time" % (not_before, delay, limit)
            )
        if delay > 0:
            sleep(delay)


def converge(iface, spec, check_mode=False):
    """Make the interface match ``spec``; return changed, actions, diff (no secrets), state."""
    state_wanted = spec.get("state", "present")
    exists = iface.exists()
    actions = []
    if state_wanted == "absent":
        if exists:
            actions.append("delete interface")
            if not check_mode:
                iface._ok([iface.ip, "link", "del", "dev", iface.name], what="ip link del")
        return {
            "changed": bool(actions),
            "actions": actions,
            "diff": {"before": {"exists": exists}, "after": {"exists": False}},
        }

    if check_mode and not os.path.exists(spec["private_key_path"]):
        # the keys are made by earlier tasks that check mode did not run
        return {
            "changed": True,
            "actions": ["configure interface (keys not generated yet)"],
            "diff": {"before": {}, "after": {}},
            "public_key": None,
            "implementation": None,
        }
    private = _read_secret(spec["private_key_path"], "private_key_path")
    my_pub = iface.pubkey(private)
    peers = normalise_peers(spec.get("peers"))
    addresses = _addr_list(spec.get("addresses"))
    listen_port = spec.get("listen_port")
    routes = wanted_routes(addresses, peers)
    psks = {}
    for p in peers:
        if p["preshared_key_path"] and not (check_mode and not os.path.exists(p["preshared_key_path"])):
            psks[p["public_key"]] = _read_secret(
                p["preshared_key_path"], "preshared_key_path of peer %s" % p["name"]
            )

    implementation = None
    if exists:
        have = iface.state()
    else:
        implementation = iface.detect(spec.get("implementation", "auto"))
        actions.append("create interface (%s)" % implementation)
        have = {
            "public_key": None,
            "listen_port": None,
            "peers": {},
            "addresses": [],
            "up": False,
            "routes": [],
        }

    want_peers = {p["public_key"]: p for p in peers}
    peers_ok = set(have["peers"]) == set(want_peers)
    if peers_ok:
        for pub, p in want_peers.items():
            h = have["peers"][pub]
            if (
                h["allowed_ips"] != p["allowed_ips"]
                or h["preshared_key"] != psks.get(pub)
                or h["persistent_keepalive"] != p["persistent_keepalive"]
                or not _endpoint_matches(p["endpoint"], h["endpoint"])
            ):
                peers_ok = False
    conf_ok = (
        peers_ok
        and have["public_key"] == my_pub
        and (listen_port is None or have["listen_port"] == listen_port)
    )
    if not conf_ok:
        actions.append("sync WireGuard configuration")
    add_addr = [a for a in addresses if a not in have["addresses"]]
    del_addr = [a for a in have["addresses"] if a not in addresses]
    if add_addr or del_addr:
        actions.append("addresses +%s -%s" % (",".join(add_addr) or "none", ",".join(del_addr) or "none"))
    if not have["up"]:
        actions.append("link up")
    add_rt = [r for r in routes if r not in have["routes"]]
    del_rt = [r for r in have["routes"] if r not in routes]
    if add_rt or del_rt:
        actions.append("routes +%s -%s" % (",".join(add_rt) or "none", ",".join(del_rt) or "none"))

    def view(pub, lport, plist, addrs, rts, has_psk):
        return {
            "public_key": pub,
            "listen_port": lport,
            "addresses": addrs,
            "routes": rts,
            "peers": [
                {
                    "public_key": k,
                    "allowed_ips": v["allowed_ips"],
                    "endpoint": v.get("endpoint"),
                    "preshared_key": "(set)" if has_psk(k, v) else "(none)",
                    "persistent_keepalive": v.get("persistent_keepalive", 0),
                }
                for k, v in sorted(plist.items())
            ],
        }

    diff = {
        "before": view(
            have["public_key"],
            have["listen_port"],
            have["peers"],
            have["addresses"],
            have["routes"],
            lambda _k, v: bool(v.get("preshared_key")),
        ),
        "after": view(
            my_pub,
            listen_port if listen_port is not None else have["listen_port"],
            want_peers,
            addresses,
            routes,
            lambda k, _v: k in psks,
        ),
    }
    if check_mode or not actions:
        return {
            "changed": bool(actions),
            "actions": actions,
            "diff": diff,
            "public_key": my_pub,
            "implementation": implementation,
        }

    wait_until(spec.get("not_before"))
    if not exists:
        iface.create(implementation)
    if not conf_ok:
        lines = ["[Interface]", "PrivateKey = %s" % private]
        if listen_port is not None:
            lines.append("ListenPort = %d" % listen_port)
        for pub, p in sorted(want_peers.items()):
            lines += ["", "[Peer]", "PublicKey = %s" % pub]
            if pub in psks:
                lines.append("PresharedKey = %s" % psks[pub])
            if p["allowed_ips"]:
                lines.append("AllowedIPs = %s" % ", ".join(p["allowed_ips"]))
            if p["endpoint"]:
                lines.append("Endpoint = %s" % p["endpoint"])
            if p["persistent_keepalive"]:
                lines.append("PersistentKeepalive = %d" % p["persistent_keepalive"])
        fd, tmp = tempfile.mkstemp(prefix=".wg-sync-", dir=os.path.dirname(spec["private_key_path"]) or ".")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write("\n".join(lines) + "\n")
            iface._ok([iface.wg, "syncconf", iface.name, tmp], what="wg syncconf")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    for a in del_addr:
        iface._ok([iface.ip, "address", "del", a, "dev", iface.name], what="ip address del")
    for a in add_addr:
        iface._ok([iface.ip, "address", "add", a, "dev", iface.name], what="ip address add")
    if not have["up"]:
        iface._ok([iface.ip, "link", "set", "up", "dev", iface.name], what="ip link set up")
    for r in del_rt:
        iface._ok([iface.ip, "route", "del", r, "dev", iface.name], what="ip route del")
    for r in add_rt:
        iface._ok([iface.ip, "route", "replace", r, "dev", iface.name], what="ip route replace")
    return {
        "changed": True,
        "actions": actions,
        "diff": diff,
        "public_key": my_pub,
        "implementation": implementation,
    }
