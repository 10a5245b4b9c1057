# SPDX-License-Identifier: GPL-3.0-or-later
"""A routed site: each VLAN is its own network namespace, a gateway namespace routes between
them and the outside namespace where the engineer's tools run.

A flat site binds every device on the loopback of the lab's own namespace, so nothing ever
stands between two devices or between the engineer and a device. A site file with
``routed:`` instead gets, for the lab's lifetime (``ip netns``; root)::

    lab-<site>-out  --veth--  lab-<site>-gw  --veth--  lab-<site>-v<VLAN>  (one per VLAN)

* Every namespace keeps ``127.0.0.1`` local but not the rest of ``127.0.0.0/8``: a VLAN's
  namespace has only its own subnet local (the devices on that VLAN bind there) and routes
  every other ``127.x`` address to the gateway; ``route_localnet`` lets loopback-range
  packets cross the veths (the links themselves carry link-local ``169.254.N.0/30``).
* The gateway namespace forwards between all of them and holds nothing else: a firewall
  put there (nftables in a container joined to it) is on every path.
* The lab process creates each device's sockets inside the namespace of the VLAN its switch
  port is on (``bound_in``: setns around a synchronous bind; a socket stays in the namespace
  it was made in), and moves the device when the switch moves its port: the device keeps
  its host part and takes the new VLAN's subnet, as a DHCP reservation by MAC would.

Nothing here reaches outside the namespaces it created.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import subprocess
from dataclasses import dataclass, field

from .errors import LabError

CLONE_NEWNET = 0x40000000
RUN_NETNS = "/run/netns"
#: the sysctls every namespace of the topology gets (loopback-range packets on veths)
SYSCTLS = (
    "net.ipv4.conf.all.route_localnet=1",
    "net.ipv4.conf.default.route_localnet=1",
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
)
_libc = None


def _setns(fd: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise LabError(f"setns: {os.strerror(err)} (the lab needs root for a routed site)")


@contextlib.contextmanager
def bound_in(name: str | None):
    """Run the (synchronous!) body inside namespace ``name``; None: where the lab is.

    setns changes the calling thread's namespace: never await inside the body, or another
    coroutine would make its sockets in the wrong namespace."""
    if name is None:
        yield
        return
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = None
    try:
        try:
            there = os.open(os.path.join(RUN_NETNS, name), os.O_RDONLY)
        except OSError as exc:
            raise LabError(f"network namespace {name} is gone ({exc.strerror}); restart the site") from exc
        _setns(there)
        try:
            yield
        finally:
            _setns(here)
    finally:
        os.close(here)
        if there is not None:
            os.close(there)


def _ip(*argv: str, ns: str | None = None) -> None:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise LabError(f"routed site: `{' '.join(cmd)}` failed: {res.stderr.strip()[:300]}")


@dataclass
class Topology:
    """The namespaces of one routed site (``site``: its name; ``vlans``: id -> subnet)."""

    site: str
    vlans: dict[int, str]
    outside_subnet: str
    created: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"lab-{self.site}"

    @property
    def gateway(self) -> str:
        return f"{self.prefix}-gw"

    @property
    def outside(self) -> str:
        return f"{self.prefix}-out"

    def vlan_ns(self, vlan: int) -> str:
        return f"{self.prefix}-v{vlan}"

    def outside_address(self) -> str:
        """The source address the engineer's tools get in the outside namespace."""
        return str(ipaddress.ip_network(self.outside_subnet).network_address + 1)

    def describe(self) -> dict:
        return {
            "gateway": self.gateway,
            "outside": self.outside,
            "outside_address": self.outside_address(),
            "vlans": {str(v): {"subnet": s, "netns": self.vlan_ns(v)} for v, s in sorted(self.vlans.items())},
        }

    def up(self) -> None:
        names = [self.outside, self.gateway] + [self.vlan_ns(v) for v in sorted(self.vlans)]
        taken = [n for n in names if os.path.exists(os.path.join(RUN_NETNS, n))]
        if taken:
            raise LabError(
                f"routed site {self.site}: network namespace {taken[0]} already exists; another run of this "
                f"site holds it (`tests/lab/lab down {self.site}`, or `ip netns del {taken[0]}` if none runs)"
            )
        try:
            for n in names:
                _ip("ip", "netns", "add", n)
                self.created.append(n)
                _ip("ip", "link", "set", "dev", "lo", "up", ns=n)
                _ip("sysctl", "-qw", *SYSCTLS, ns=n)
                # 127.0.0.1 stays local; the rest of 127/8 is routed unless made local below
                _ip("ip", "route", "del", "local", "127.0.0.0/8", "dev", "lo", "table", "local", ns=n)
            _ip("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=self.gateway)
            legs = [(self.outside, "out", self.outside_subnet)] + [
                (self.vlan_ns(v), f"v{v}", s) for v, s in sorted(self.vlans.items())
            ]
            for i, (ns, gw_if, subnet) in enumerate(legs):
                gw_addr, ns_addr = (
                    f"169.254.{i // 64}.{(i % 64) * 4 + 1}",
                    f"169.254.{i // 64}.{(i % 64) * 4 + 2}",
                )
                veth = ["type", "veth", "peer", "name", "uplink", "netns", ns]
                _ip("ip", "link", "add", gw_if, "netns", self.gateway, *veth)
                for where, dev, addr in ((self.gateway, gw_if, gw_addr), (ns, "uplink", ns_addr)):
                    _ip("sysctl", "-qw", f"net.ipv4.conf.{dev}.route_localnet=1", ns=where)
                    _ip("ip", "addr", "add", f"{addr}/30", "dev", dev, ns=where)
                    _ip("ip", "link", "set", "dev", dev, "up", ns=where)
                _ip("ip", "route", "add", "local", subnet, "dev", "lo", "table", "local", ns=ns)
                first = str(ipaddress.ip_network(subnet).network_address + 1)
                _ip("ip", "route", "add", "127.0.0.0/8", "via", gw_addr, "src", first, ns=ns)
                _ip("ip", "route", "add", subnet, "via", ns_addr, ns=self.gateway)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        for n in reversed(self.created):
            subprocess.run(["ip", "netns", "del", n], capture_output=True, check=False)
        self.created.clear()

    def address_in(self, vlan: int, site_subnet: str, address: str) -> str | None:
        """The device's address once on ``vlan``: its host part in that VLAN's subnet; None
        when the site routes no subnet for the VLAN (no DHCP there: the device is offline)."""
        if vlan not in self.vlans:
            return None
        host = int(ipaddress.ip_address(address)) - int(ipaddress.ip_network(site_subnet).network_address)
        return str(ipaddress.ip_network(self.vlans[vlan]).network_address + host)
