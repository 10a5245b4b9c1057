# SPDX-License-Identifier: GPL-3.0-or-later
"""A routed site (tests/lab/sites/routed.yml): the engineer reaches the devices only through
the gateway's namespace, each VLAN is a namespace of its own, and a switch port moved to
another VLAN moves its device there (new subnet, same host part), as DHCP on that VLAN would.

The clients here make their sockets inside the outside namespace (``bound_in``) or run
under ``ip netns exec``; every address is one of the namespaces the site made.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest
from iotlab.clients import http
from iotlab.control import state_root
from iotlab.netns import bound_in
from iotlab.testing import LabSite, running, tcp_outcome
from netmiko import ConnectHandler

pytestmark = pytest.mark.lab
SCHEMA = Path(__file__).resolve().parents[2] / "lab" / "ground-truth.schema.json"
IMAGE = os.environ.get("IMAGE", "localhost/iotguard-base:bookworm")


@pytest.fixture(scope="module")
def routed():
    yield from running(LabSite("routed", state_dir=state_root() / "routed-labtests"), "the routed lab site")


def run(*argv: str) -> str:
    res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert res.returncode == 0, "%s: %s" % (" ".join(argv), res.stderr.strip()[-500:])
    return res.stdout


def gateway_forwards(site: LabSite, on: bool) -> None:
    run(
        "ip", "netns", "exec", site.truth["routed"]["gateway"], "sysctl", "-qw", "net.ipv4.ip_forward=%d" % on
    )


def login(site: LabSite):
    """A netmiko session to the switch, its socket made in the outside namespace."""
    sw = site.switch("sw-edge")
    with bound_in(site.truth["routed"]["outside"]):
        return ConnectHandler(
            device_type="cisco_ios",
            host=sw["address"],
            username=sw["username"],
            password=sw["password"],
            secret=sw["enable_secret"],
            timeout=20,
            conn_timeout=10,
            fast_cli=False,
        )


def switchport(site: LabSite, port: str, vlan: int) -> str:
    with login(site) as conn:
        conn.enable()
        conn.send_config_set([f"interface {port}", f"switchport access vlan {vlan}"])
        return conn.send_command("show ip arp")


def wait_for(site: LabSite, name: str, **want) -> dict:
    deadline = time.monotonic() + 10
    while True:
        dev = site.device(name)
        if all(dev.get(k) == v for k, v in want.items()) or time.monotonic() > deadline:
            return dev


def test_the_engineer_reaches_the_devices_only_through_the_gateway(routed):
    topo = routed.refresh()["routed"]
    cam, dvr = routed.device("cam-01"), routed.device("dvr-01")
    assert cam["address"] == "127.22.0.10" and cam["online"] is True
    with bound_in(topo["outside"]):
        page = http(f"http://{cam['address']}/", timeout=5)
    assert page.status in (200, 302, 401), page.status
    # the lab's own namespace does not hold the devices' addresses: no path but the gateway's
    assert tcp_outcome(None, cam["address"], 80) == "refused"
    # a device on another VLAN reaches this one through the gateway too
    assert tcp_outcome(topo["vlans"]["20"]["netns"], dvr["address"], 23) == "open"
    gateway_forwards(routed, False)
    try:
        assert tcp_outcome(topo["outside"], cam["address"], 80) == "silent"
        assert tcp_outcome(topo["vlans"]["20"]["netns"], dvr["address"], 23) == "silent"
    finally:
        gateway_forwards(routed, True)
    assert tcp_outcome(topo["outside"], cam["address"], 80) == "open"


def test_a_firewall_in_a_container_joined_to_the_gateway_namespace_is_on_the_path(routed):
    """The gateway firewall's place (the next step of the clinic): nftables in a container
    that shares the gateway's namespace filters what the engineer and the VLANs send."""
    topo = routed.refresh()["routed"]
    cam, dvr = routed.device("cam-01"), routed.device("dvr-01")
    rules = (
        "add table inet labtest; "
        "add chain inet labtest through { type filter hook forward priority 0; policy accept; }; "
        "add rule inet labtest through ip daddr %s tcp dport 80 drop" % cam["address"]
    )
    name = "iotlab-routed-fw-%d" % os.getpid()
    run("podman", "run", "-d", "--rm", "--name", name, "--network", "ns:/run/netns/" + topo["gateway"],
        "--cap-add", "NET_ADMIN", IMAGE, "sleep", "120")  # fmt: skip
    try:
        run("podman", "exec", name, "nft", rules)
        assert tcp_outcome(topo["outside"], cam["address"], 80) == "silent"
        assert tcp_outcome(topo["outside"], dvr["address"], 23) == "open"  # only that flow
        run("podman", "exec", name, "nft", "delete table inet labtest")
        assert tcp_outcome(topo["outside"], cam["address"], 80) == "open"
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def test_a_switch_port_on_another_vlan_moves_its_device_and_the_switch_tracks_it(routed):
    topo = routed.refresh()["routed"]
    cam = routed.device("cam-01")
    port, mac = cam["switch_port"], cam["mac"]
    arp = switchport(routed, port, 20)
    moved = wait_for(routed, "cam-01", address="127.22.20.10")
    try:
        assert (moved["address"], moved["vlan"], moved["online"]) == ("127.22.20.10", 20, True)
        assert tcp_outcome(topo["outside"], "127.22.20.10", 80) == "open"
        assert tcp_outcome(topo["outside"], "127.22.0.10", 80) == "refused"  # nothing left on VLAN 1
        dotted = "%s.%s.%s" % (
            mac.replace(":", "")[0:4],
            mac.replace(":", "")[4:8],
            mac.replace(":", "")[8:12],
        )
        arp = switchport(routed, port, 20)  # unchanged: no move, the table read again
        line = next(row for row in arp.splitlines() if dotted in row)
        assert "127.22.20.10" in line, arp
        # VLAN 98 routes no subnet: the device is offline, nothing answers anywhere
        switchport(routed, port, 98)
        gone = wait_for(routed, "cam-01", online=False)
        assert (gone["online"], gone["vlan"]) == (False, 98)
        jsonschema.validate(routed.refresh(), json.loads(SCHEMA.read_text()))
        assert tcp_outcome(topo["outside"], "127.22.20.10", 80) == "refused"
    finally:
        switchport(routed, port, 1)
    back = wait_for(routed, "cam-01", address="127.22.0.10", online=True)
    assert (back["address"], back["vlan"], back["online"]) == ("127.22.0.10", 1, True)
    assert tcp_outcome(topo["outside"], "127.22.0.10", 80) == "open"


def test_an_unsaved_vlan_change_is_lost_on_restart_and_a_saved_one_kept(routed):
    prn = routed.device("prn-01")
    switchport(routed, prn["switch_port"], 30)
    assert wait_for(routed, "prn-01", address="127.22.30.12")["address"] == "127.22.30.12"
    routed.restart()
    assert routed.device("prn-01")["address"] == "127.22.0.12"  # booted from the saved config
    switchport(routed, prn["switch_port"], 30)
    with login(routed) as conn:
        conn.enable()
        conn.save_config()
    routed.restart()
    try:
        dev = routed.device("prn-01")
        assert (dev["address"], dev["vlan"]) == ("127.22.30.12", 30)
        assert tcp_outcome(routed.truth["routed"]["outside"], "127.22.30.12", 80) == "open"
    finally:
        switchport(routed, prn["switch_port"], 1)
