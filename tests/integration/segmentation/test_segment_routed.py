# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/segment.yml on a site behind its gateway (tests/lab/sites/routed.yml): the
engineer's run comes from the outside namespace, the switch moves each device's port to its
zone's VLAN, each device takes its address in that VLAN's subnet (as DHCP there would), and
the gateway firewall, loaded by the role into a container that shares the gateway's
namespace, is on every path: real connections from the VLANs and from outside show the
zone policy, and discovery run again finds every device at its new address by its MAC.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from iotlab.control import state_root
from iotlab.testing import LabSite, running, tcp_outcome
from seglab import discovery_switches, segment_switches

TOP = Path(__file__).resolve().parents[3]
BIN = TOP / ".venv/bin"
IMAGE = os.environ.get("IMAGE", "localhost/iotguard-base:bookworm")
#: the policy's default zones, each on its VLAN's subnet and the gateway's leg to it
ZONES = {
    "cameras": (30, ["camera"]),
    "nvrs": (31, ["nvr"]),
    "printers": (50, ["printer"]),
    "medical_legacy": (70, ["medical"]),
    "quarantine": (99, ["unknown", "smart_speaker"]),
}

pytestmark = pytest.mark.lab


def run(*argv: str, timeout: float = 60) -> str:
    res = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
    assert res.returncode == 0, "%s: %s" % (" ".join(argv[:6]), (res.stderr or res.stdout).strip()[-1500:])
    return res.stdout


@pytest.fixture(scope="module")
def site():
    yield from running(LabSite("routed", state_dir=state_root() / "routed-segment"), "the routed lab site")


@pytest.fixture(scope="module")
def gateway(site):
    """The client's gateway: a container joined to the site's gateway namespace."""
    name = "iotlab-segment-gw-%d" % os.getpid()
    netns = "ns:/run/netns/" + site.truth["routed"]["gateway"]
    run("podman", "run", "-d", "--rm", "--name", name, "--network", netns, "--cap-add", "NET_ADMIN", IMAGE,
        "sleep", "infinity")  # fmt: skip
    try:
        yield name
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def inventory(site, gateway, tmp_path):
    truth, topo = site.truth, site.truth["routed"]
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    # the first 32 addresses of each VLAN hold the site's devices; behind the gateway every
    # address and port the policy drops costs a connect timeout, so the scan stays small
    subnets = [v["subnet"].replace(".0/24", ".0/27") for v in topo["vlans"].values()]
    (inv / "routed.iot_discovery.yml").write_text(
        json.dumps(
            {
                "plugin": "iotguard.hardening.iot_discovery",
                "site": "routed",
                "networks": subnets,
                "neighbour_table": "",
                "concurrency": 512,
                "switches": discovery_switches(truth),
            }
        )
    )
    (inv / "gateway.yml").write_text(
        json.dumps(
            {
                "gateways": {
                    "hosts": {
                        "gw": {
                            "ansible_connection": "containers.podman.podman",
                            "ansible_host": gateway,
                            "ansible_python_interpreter": "/usr/bin/python3",
                        }
                    }
                }
            }
        )
    )
    zones = [
        {
            "name": z,
            "vlan": vid,
            "classes": classes,
            "networks": [topo["vlans"][str(vid)]["subnet"]],
            "interface": "v%d" % vid,
            **({"end_of_life": True} if z == "medical_legacy" else {}),
        }
        for z, (vid, classes) in ZONES.items()
    ]
    (inv / "group_vars" / "all.yml").write_text(
        json.dumps(
            {
                "vlan_segmentation_backup_dir": str(tmp_path / "backups"),
                # beside the risk report, which reads the zones' re-checked isolation from it
                "vlan_segmentation_report_dir": str(tmp_path / "reports"),
                "vlan_segmentation_client": "routed",
                "vlan_segmentation_timeout": 15,
                "vlan_segmentation_switches": segment_switches(truth),
                "vlan_segmentation_gateway_host": "gw",
                "vlan_segmentation_policy": {
                    "zones": zones,
                    "firewall": {
                        "management_networks": [topo["outside_address"] + "/32"],
                        # VLAN 1 keeps the switch: the engineer's run logs in to it there
                        "server_networks": [topo["vlans"]["1"]["subnet"]],
                        "extra_flows": [
                            {
                                "from": "management",
                                "to": "servers",
                                "proto": "tcp",
                                "ports": [22],
                                "comment": "engineers reach the switches",
                            }
                        ],
                    },
                },
                "gateway_firewall_rollback_seconds": 30,
            }
        )
    )
    return inv


def from_outside(site, *argv: str, timeout: float = 600) -> str:
    env = dict(
        os.environ,
        PATH="%s:%s" % (BIN, os.environ.get("PATH", "")),
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
    )
    res = subprocess.run(
        # nsenter, not `ip netns exec`: that one remounts /sys and podman then misses its cgroups
        ["nsenter", "--net=/run/netns/" + site.truth["routed"]["outside"], *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=TOP,
        timeout=timeout,
        check=False,
    )
    fatal = [line[:600] for line in res.stdout.splitlines() if line.startswith(("fatal:", "failed:"))]
    assert res.returncode == 0, (fatal[:3] or res.stdout[-2000:], res.stderr[-1500:])
    return res.stdout


def discovered(site, inv) -> dict:
    out = json.loads(from_outside(site, str(BIN / "ansible-inventory"), "-i", str(inv), "--list"))
    hostvars = out["_meta"]["hostvars"]

    def plain(value):  # device data comes back marked unsafe: {"__ansible_unsafe": text}
        return value.get("__ansible_unsafe") if isinstance(value, dict) else value

    return {
        plain(v["iot_mac"]): (h, {k: plain(x) for k, x in v.items()})
        for h, v in hostvars.items()
        if v.get("iot_mac")
    }


def test_segmenting_a_site_behind_its_gateway_moves_the_devices_and_the_firewall_is_on_every_path(
    site, gateway, tmp_path
):
    t0 = time.monotonic()
    inv = inventory(site, gateway, tmp_path)
    reports = tmp_path / "reports"
    assess = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(inv),
        str(TOP / "playbooks/assess.yml"),
        "-e",
        "risk_assessment_report_dir=%s" % reports,
        "-e",
        "risk_assessment_store_path=%s" % tmp_path,
    ]
    from_outside(site, *assess)  # fmt: skip
    before = discovered(site, inv)
    truth = {d["name"]: d for d in site.refresh()["devices"]}
    assert {truth[n]["mac"] for n in ("cam-01", "nvr-01", "prn-01", "mri-01")} <= set(before)

    t1 = time.monotonic()
    out = from_outside(
        site, str(BIN / "ansible-playbook"), "-i", str(inv), str(TOP / "playbooks/segment.yml")
    )
    assert "failed=0" in out and "unreachable=0" in out, out[-3000:]
    t2 = time.monotonic()

    topo = site.refresh()["routed"]
    moved = {d["name"]: d for d in site.truth["devices"]}
    want = {"cam-01": 30, "nvr-01": 31, "prn-01": 50, "mri-01": 70}
    for name, vid in want.items():
        host = truth[name]["address"].rsplit(".", 1)[1]
        assert (moved[name]["vlan"], moved[name]["address"], moved[name]["online"]) == (
            vid,
            "127.22.%d.%s" % (vid, host),
            True,
        ), name
    cam, nvr, prn, mri = (moved[n]["address"] for n in ("cam-01", "nvr-01", "prn-01", "mri-01"))

    # the table the role loaded is live in the gateway's namespace, with the zones' subnets
    table = run("podman", "exec", gateway, "nft", "list", "table", "inet", "iotguard")
    for name, vid in want.items():
        assert topo["vlans"][str(vid)]["subnet"] in table, name

    # real traffic, through the gateway: what the policy allows passes, the rest is dropped
    v30, v31, v50 = (topo["vlans"][str(v)]["netns"] for v in (30, 31, 50))
    seen = {
        "NVR pulls the camera's RTSP": tcp_outcome(v31, cam, 554),
        "camera to the XP console's DICOM": tcp_outcome(v30, mri, 104),
        "camera to the printer": tcp_outcome(v30, prn, 9100),
        "printer to the camera's web page": tcp_outcome(v50, cam, 80),
        "management to the camera's web page": tcp_outcome(topo["outside"], cam, 80),
        "management to the XP console's DICOM": tcp_outcome(topo["outside"], mri, 104),
    }
    assert seen == {
        "NVR pulls the camera's RTSP": "open",
        "camera to the XP console's DICOM": "silent",
        "camera to the printer": "silent",
        "printer to the camera's web page": "silent",
        "management to the camera's web page": "open",
        "management to the XP console's DICOM": "silent",
    }, seen
    print("through the gateway: %s" % "; ".join("%s: %s" % kv for kv in seen.items()))

    # discovery run again from outside finds each device, by its MAC, at its new address
    t3 = time.monotonic()
    after = discovered(site, inv)
    print(
        "discovery %.1fs, segment.yml %.1fs, discovery behind the gateway %.1fs"
        % (t1 - t0, t2 - t1, time.monotonic() - t3)
    )
    for name, vid in want.items():
        host, hv = after[truth[name]["mac"]]
        assert moved[name]["address"] in (host, hv.get("ansible_host")), (name, host)
        assert hv.get("iot_vlan") in (vid, str(vid), None), (name, hv.get("iot_vlan"))
    assert nvr and prn

    # the XP console's zone: its isolation re-checked in the gateway's live table
    summary = json.loads((reports / "routed" / "segmentation.json").read_text())
    iso = [r for r in summary["isolation"] if r["zone"] == "medical_legacy"]
    assert len(iso) == 1 and iso[0]["recheck"]["present"] is True, summary["isolation"]
    assert iso[0]["control"]["allowed_zones"] == ["management"], iso[0]
    assert "drops by default" in iso[0]["recheck"]["evidence"], iso[0]

    # the assessment after: the XP console behind its zone's policy answers nothing from the
    # management address; what it cannot fix itself (DICOM without authentication, SMBv1, an
    # end-of-life system) is compensated by the re-checked isolation, the rest is not
    # re-checked (still counted), nothing is fixed
    t4 = time.monotonic()
    from_outside(site, *assess, "-e", "risk_assessment_fail_on_incomplete=false")
    doc = json.loads(next(reports.glob("*/latest/report.json")).read_text())
    print("assessment behind the gateway %.1fs" % (time.monotonic() - t4))
    xp = truth["mri-01"]["mac"]
    rows = {r["rule"]: r for r in doc["register"] if xp in r["identities"]}
    assert set(rows) >= {"IOTG-DICOM-NOAUTH", "IOTG-EOL", "IOTG-SMBV1"}, rows
    for rule, row in rows.items():
        if rule in ("IOTG-DICOM-NOAUTH", "IOTG-EOL", "IOTG-SMBV1"):
            assert row["status"] == "compensated", (rule, row["status"])
            assert "zone medical_legacy isolated by the gateway firewall" in row["status_reason"], row
        else:
            assert row["status"] == "not re-checked", (rule, row["status"])
            assert "nothing on %s answered" % mri in row["status_reason"]
    assert [d["identity"] for d in doc["not_assessed"]] == [xp]
    # segmentation changed no device: nothing in the register may read as fixed
    assert [(r["rule"], r["devices"]) for r in doc["register"] if r["status"] == "fixed"] == []
    assert doc["complete"] is False
