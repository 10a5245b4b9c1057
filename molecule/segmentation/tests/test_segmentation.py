# SPDX-License-Identifier: GPL-3.0-or-later
"""The segmented site judged with real connections between the zone containers (nc, curl,
ssh run inside them), after converge, the idempotence run and the refused bad input of
side_effect. Every refusal has a positive control: the same listener reached from a zone
that is allowed to, so a probe of an address where nothing listens cannot pass for a
dropped flow."""

from __future__ import annotations

import json
import os
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import testinfra

testinfra_hosts = ["segment-gw"]  # the tests reach every container over podman

EPHEMERAL = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
TRUTH = EPHEMERAL / "lab/segment-molecule/ground-truth.json"
ADDR = {
    "cam": "10.214.30.11",
    "nvr": "10.214.31.11",
    "med": "10.214.70.11",
    "unk": "10.214.99.11",
    "staff": "10.214.10.11",
    "mgmt": "10.214.5.11",
    "pacs": "10.214.20.10",
}
# device port -> the zone's VLAN (vars/scenario.yml)
PLAN = {"Gi1/0/1": 30, "Gi1/0/2": 31, "Gi1/0/3": 70, "Gi1/0/4": 99}


def box(name):
    return testinfra.get_host("podman://segment-" + name)


def tcp(src, dst, port):
    """True when a TCP connection from src's container to dst:port is accepted."""
    return box(src).run("nc -z -w 2 %s %s", ADDR[dst], str(port)).rc == 0


def http(src, dst):
    out = (
        box(src)
        .run("curl -s -o /dev/null -w '%%{http_code}' --max-time 2 http://%s/", ADDR[dst])
        .stdout.strip()
    )
    return out == "200"


def ssh(src, dst):
    """True when sshd answers (its refusal of a key-less login proves the connection)."""
    res = box(src).run(
        "ssh -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null probe@%s true",
        ADDR[dst],
    )
    return "Permission denied" in res.stderr


JUDGES = {"tcp": tcp, "http": lambda s, d, _p: http(s, d), "ssh": lambda s, d, _p: ssh(s, d)}

ALLOWED = [
    ("cam", "nvr", "tcp", 554, "cameras stream to their NVR"),
    ("nvr", "cam", "http", 80, "the NVR pulls from its cameras"),
    ("mgmt", "cam", "ssh", 22, "management reaches the cameras' management ports"),
    ("mgmt", "cam", "http", 80, "management reaches the cameras' web UI"),
    ("mgmt", "nvr", "ssh", 22, "management reaches the NVR"),
    ("mgmt", "med", "ssh", 22, "management reaches medical-legacy"),
    ("mgmt", "unk", "ssh", 22, "management may still reach quarantine"),
    ("mgmt", "staff", "ssh", 22, "the policy's extra flow"),
    ("med", "pacs", "tcp", 104, "medical-legacy reaches its PACS"),
    ("pacs", "med", "tcp", 104, "the PACS reaches medical-legacy"),
]

# (from, to, judge, port, why) refused, each with the allowed flow that proves the listener
REFUSED = [
    ("cam", "staff", "ssh", 22, "IoT never reaches staff", ("mgmt", "staff", "ssh")),
    ("cam", "med", "ssh", 22, "cameras reach only the NVR", ("mgmt", "med", "ssh")),
    ("cam", "pacs", "tcp", 104, "cameras reach only the NVR", ("med", "pacs", "tcp")),
    ("cam", "nvr", "ssh", 22, "management ports only from management", ("mgmt", "nvr", "ssh")),
    ("staff", "cam", "http", 80, "staff do not manage cameras", ("mgmt", "cam", "http")),
    ("staff", "cam", "ssh", 22, "staff do not manage cameras", ("mgmt", "cam", "ssh")),
    ("nvr", "staff", "ssh", 22, "IoT never reaches staff", ("mgmt", "staff", "ssh")),
    ("med", "cam", "http", 80, "medical-legacy reaches only its PACS", ("mgmt", "cam", "http")),
    ("med", "staff", "ssh", 22, "medical-legacy reaches only its PACS", ("mgmt", "staff", "ssh")),
    ("unk", "nvr", "tcp", 554, "quarantine reaches nothing", ("cam", "nvr", "tcp")),
    ("unk", "pacs", "tcp", 104, "quarantine reaches nothing", ("med", "pacs", "tcp")),
    ("unk", "mgmt", "ssh", 22, "quarantine reaches nothing", None),
    ("pacs", "cam", "http", 80, "the PACS reaches only medical-legacy", ("mgmt", "cam", "http")),
]


@pytest.fixture(scope="module")
def verdicts():
    """Every probe the tests need, run at once (each one that is dropped waits its timeout)."""
    probes = {(a[0], a[1], a[2], a[3]) for a in ALLOWED}
    for src, dst, judge, port, _why, control in REFUSED:
        probes.add((src, dst, judge, port))
        if control:
            probes.add((control[0], control[1], control[2], port))
    probes = sorted(probes)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda p: JUDGES[p[2]](p[0], p[1], p[3]), probes))
    return dict(zip(probes, results, strict=True))


@pytest.mark.parametrize("src,dst,judge,port,why", ALLOWED, ids=[f"{a[0]}-{a[1]}-{a[3]}" for a in ALLOWED])
def test_allowed_flows_pass(verdicts, src, dst, judge, port, why):
    assert verdicts[(src, dst, judge, port)], "%s -> %s %s/%d refused: %s" % (src, dst, judge, port, why)


@pytest.mark.parametrize(
    "src,dst,judge,port,why,control", REFUSED, ids=[f"{r[0]}-{r[1]}-{r[3]}" for r in REFUSED]
)
def test_other_flows_are_dropped(verdicts, src, dst, judge, port, why, control):
    if control:
        csrc, cdst, cjudge = control
        assert verdicts[(csrc, cdst, cjudge, port)], "control %s -> %s failed: no listener" % (csrc, cdst)
    else:
        # the management host's sshd answers on its own address
        assert box(dst).run("nc -z -w 2 %s %s", ADDR[dst], str(port)).rc == 0
    assert not verdicts[(src, dst, judge, port)], "%s -> %s %s/%d passed: %s" % (src, dst, judge, port, why)


def test_vlans_separate_the_zones_below_the_firewall():
    """A camera that takes an NVR-VLAN address cannot reach the NVR on the link: the port is
    in the cameras' VLAN only (the switch's access port, the gateway's bridge)."""
    cam = box("cam")
    assert tcp("cam", "nvr", 554), "control: routed through the gateway it is allowed"
    cam.run_expect([0], "ip address add 10.214.31.99/24 dev eth0")
    try:
        direct = cam.run("nc -z -w 2 -s 10.214.31.99 %s 554", ADDR["nvr"])
        neigh = cam.run("ip neigh show %s dev eth0", ADDR["nvr"]).stdout
    finally:
        cam.run_expect([0], "ip address del 10.214.31.99/24 dev eth0")
    assert direct.rc != 0, "the camera reached the NVR on the link: the VLANs do not separate"
    assert "lladdr" not in neigh, "the NVR answered ARP from the cameras' VLAN: %s" % neigh


def test_switch_holds_the_plan_running_and_saved():
    """The simulated switch's running and saved config put every device port on its zone's
    VLAN and leave the uplink; the gateway's bridges carry the same ports."""
    truth = json.loads(TRUTH.read_text())
    sw = next(s for s in truth["switches"] if s["name"] == "sw-seg")
    for config in ("running", "startup"):
        ports = sw["state"][config]["ports"]
        assert {p: ports[p]["vlan"] for p in PLAN} == PLAN, config
        assert ports["Gi1/0/8"]["vlan"] == 1, "the uplink was moved (%s)" % config
        assert {"30", "31", "70", "99"} <= set(sw["state"][config]["vlans"]), config
    links = {
        link["ifname"]: link.get("master") for link in json.loads(box("gw").check_output("ip -j link show"))
    }
    for port, vlan in PLAN.items():
        assert links["swp" + port.rsplit("/", 1)[1]] == "br%d" % vlan


def test_nothing_lost_and_nothing_pending():
    """After the re-run and the refused input: both contributions kept (0600), no
    refused one stored, no change waiting for its rollback, the table loaded."""
    host = box("gw")  # podman directly: quicker than through the inventory
    d = host.file("/etc/iotguard/firewall.d")
    assert sorted(d.listdir()) == ["gateway.json", "segmentation.json"]
    for name in d.listdir():
        assert host.file("/etc/iotguard/firewall.d/" + name).mode == 0o600
    assert not host.file("/run/iotguard-firewall-rollback.pid").exists
    assert not host.file("/etc/iotguard/gateway.nft.pending").exists
    assert "chain forward" in host.check_output("nft list table inet iotguard")


def test_switch_backup_kept_private():
    backups = list((EPHEMERAL / "switch-backups").rglob("*"))
    files = [b for b in backups if b.is_file()]
    assert files, "no running-config backup before the change"
    assert all(b.stat().st_mode & 0o777 == 0o600 for b in files)
