# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Where a probe stands: the interface the kernel routes a device's address through, and
whether that interface is a VPN; and what a probe outside the VPN saw of a device.

"Management only through the VPN" is a claim about two places. The assessment inside the
VPN shows the device answers there; only a probe outside the VPN shows it does not answer
there. So:

- an assessment that says it runs from inside the VPN (``assessed_from_vpn``) must route
  each device's address through a VPN interface, or it stops with an error: the claim is
  read from the kernel (``ip -j route get``), not taken on trust;
- a probe that says it stands outside the VPN must not route through one;
- a device is reachable only through the VPN when the outside probe tried every port the
  assessment reached and none of them answered.

A VPN interface is one of ``interfaces`` when they are named, otherwise a link whose kind
is in VPN_KINDS: ``wireguard`` (the kernel's), ``tun`` (wireguard-go's and OpenVPN's).
Addresses are checked to be IP addresses and go to ``ip`` as separate arguments: they come
from discovery and are never put in a shell command.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import device, probes

VPN_KINDS = ("wireguard", "tun")
MAX_PORTS = 64
MAX_TARGETS = 4096


class VantageError(ValueError):
    """The route could not be read, or the probe does not stand where it says."""


class NoRoute(VantageError):
    """The kernel has no route to the address (``Network is unreachable``): a definite
    answer, unlike a route that could not be read."""


def _run(argv):
    try:
        # a fixed argv of ip; the one datum in it is checked to be an IP address first, no shell
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VantageError("could not run %s: %s" % (" ".join(argv[:3]), exc)) from exc
    return done.returncode, done.stdout, done.stderr


def _json(argv, run):
    rc, out, err = (run or _run)(argv)
    if rc != 0:
        raise VantageError("%s failed (exit %d): %s" % (" ".join(argv), rc, (err or "").strip()[:200]))
    try:
        return json.loads(out or "[]")
    except ValueError as exc:
        raise VantageError("%s printed no JSON" % " ".join(argv)) from exc


def route_interface(address, run=None):
    """The interface the kernel sends ``address``'s packets through (``ip -j route get``)."""
    try:
        ipaddress.ip_address(address)
    except ValueError as exc:
        raise VantageError("%r is not an IP address" % (str(address)[:64],)) from exc
    argv = ["ip", "-j", "route", "get", str(address)]
    rc, _out, err = (run or _run)(argv)
    if rc != 0 and "unreachable" in (err or "").lower():
        raise NoRoute("no route to %s (the kernel: %s)" % (address, (err or "").strip()[:120]))
    routes = _json(argv, lambda _argv: (rc, _out, err))
    if not routes or not isinstance(routes[0], dict) or not routes[0].get("dev"):
        raise VantageError("no route to %s" % address)
    return str(routes[0]["dev"])


def vpn_interfaces(run=None):
    """The links of a VPN kind on this host (``ip -j -d link show``): {name: kind}."""
    found = {}
    for link in _json(["ip", "-j", "-d", "link", "show"], run):
        kind = ((link or {}).get("linkinfo") or {}).get("info_kind")
        if kind in VPN_KINDS and link.get("ifname"):
            found[str(link["ifname"])] = kind
    return found


def through_vpn(address, interfaces=(), run=None):
    """``(interface, is_vpn)`` for the route to ``address``; named ``interfaces`` are the VPN
    when given, otherwise the links of a VPN kind."""
    dev = route_interface(address, run)
    vpn = set(interfaces) if interfaces else set(vpn_interfaces(run))
    return dev, dev in vpn


def require_vpn(address, interfaces=(), run=None):
    """The VPN interface the route to ``address`` takes, or VantageError saying where it goes."""
    dev, vpn = through_vpn(address, interfaces, run)
    if not vpn:
        named = ", ".join(sorted(interfaces)) if interfaces else "a link of kind %s" % " or ".join(VPN_KINDS)
        raise VantageError(
            "the route to %s leaves by %s, not through the VPN (%s): run the assessment from inside "
            "the VPN, name its interface in vpn_interfaces (risk_assessment_vpn_interfaces), or set "
            "assessed_from_vpn (risk_assessment_assessed_from_vpn) to false" % (address, dev, named)
        )
    return dev


def outside_view(reach, reached_ports, management_ports):
    """What the outside probe saw of one device, against what the assessment reached.

    ``reach``: the probe's record of the device (``from``, ``interface``, ``open``,
    ``refused``, ``silent``: port numbers), or None when no probe ran; ``reached_ports``:
    the ports that answered the assessment; ``management_ports``: those that are
    management. Returns None without a record, else a dict: ``from``, ``answered`` (ports
    that answered outside), ``management_answered``, ``not_tried`` (reached inside, not
    tried outside), ``vpn_only`` (every reached port tried outside, none answered)."""
    if reach is None:
        return None
    opened = {int(p) for p in reach.get("open") or []}
    tried = opened | {int(p) for p in (reach.get("refused") or []) + (reach.get("silent") or [])}
    reached = sorted({int(p) for p in reached_ports})
    not_tried = [p for p in reached if p not in tried]
    return {
        "from": str(reach.get("from") or "the outside probe")[:128],
        "answered": sorted(opened)[:MAX_PORTS],
        "management_answered": sorted(opened & {int(p) for p in management_ports}),
        "not_tried": not_tried,
        "vpn_only": not opened and not not_tried and bool(reached),
    }


def targets_from(devices):
    """``[(address, [tcp ports])]`` from ``devices`` (each ``address`` and ``services``, a
    device's ``iot_services``, or ``ports``); bad input raises VantageError naming the entry."""
    if len(devices) > MAX_TARGETS:
        raise VantageError("targets: %d devices, at most %d per probe" % (len(devices), MAX_TARGETS))
    out = {}
    for i, dev in enumerate(devices):
        if not isinstance(dev, dict):
            raise VantageError("targets[%d] must be a dict with address and services or ports" % i)
        address = str(dev.get("address") or "")
        try:
            ipaddress.ip_address(address)
        except ValueError as exc:
            raise VantageError("targets[%d].address %r is not an IP address" % (i, address[:64])) from exc
        ports = set(dev.get("ports") or [])
        # the TCP ports of the services as the assessment reads them (discovery's "80/tcp" keys)
        ports.update(device.tcp_ports(dev.get("services") or {}))
        try:
            ports = sorted({int(p) for p in ports})
        except (TypeError, ValueError) as exc:
            raise VantageError("targets[%d]: a port of %s is not a number" % (i, address)) from exc
        if any(p < 1 or p > 65535 for p in ports):
            raise VantageError("targets[%d]: ports of %s must be 1 to 65535" % (i, address))
        out.setdefault(address, set()).update(ports[:MAX_PORTS])
    return [(a, sorted(p)[:MAX_PORTS]) for a, p in out.items()]


def probe(targets, timeout=2.0, workers=32, interfaces=(), run=None, name="the outside probe"):
    """Try each target's ports from this host, which must stand outside the VPN: every
    target's route is read first, and one that goes through a VPN interface raises
    VantageError (nothing is probed). ``{address: {from, interface, open, refused, silent}}``
    (``from``: ``name``, what outside_view reports the answers as seen from)."""
    vpn = set(interfaces) if interfaces else set(vpn_interfaces(run))
    routes = {}
    for address, _ports in targets:
        dev = route_interface(address, run)
        if dev in vpn:
            raise VantageError(
                "this host reaches %s through the VPN interface %s: a probe outside the VPN must not "
                "route through it; run it from a host on the client's network outside the VPN"
                % (address, dev)
            )
        routes[address] = dev
    jobs = [(a, p) for a, ports in targets for p in ports]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, 128))) as pool:
        states = list(pool.map(lambda job: probes.tcp_state(job[0], job[1], timeout), jobs))
    label = str(name)[:128]
    out = {
        a: {"from": label, "interface": routes[a], "open": [], "refused": [], "silent": []}
        for a, _p in targets
    }
    for i, (address, port) in enumerate(jobs):
        state = states[i]
        out[address][state].append(port)
    return out
