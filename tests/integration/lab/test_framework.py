# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab itself: faults on demand, persistence across restart, readiness errors, ground truth."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from http.client import HTTPConnection, RemoteDisconnected
from pathlib import Path

import pytest
from iotlab.clients import http
from iotlab.errors import LabError
from iotlab.faults import FaultTable
from iotlab.site import load_site

pytestmark = pytest.mark.lab
LAB = Path(__file__).resolve().parents[2] / "lab" / "lab"
USER_XML = "<User><id>1</id><userName>admin</userName><password>{}</password></User>"


def lab_cli(lab_site, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LAB), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "IOTLAB_PYTHON": sys.executable},
    )


def put_password(cam: dict, old: str, new: str):
    return http(
        f"http://{cam['address']}/ISAPI/Security/users/1",
        "admin",
        old,
        method="PUT",
        body=USER_XML.format(new),
    )


def password_of(lab_site, name: str) -> str:
    return lab_site.device(name)["credentials"][0]["password"]


def test_drop_before_leaves_old_password(lab_site):
    cam = lab_site.device("cam-hall-03")
    old = cam["credentials"][0]["password"]
    lab_site.fault("cam-hall-03", "change_password", "drop_before", times=1)
    with pytest.raises((RemoteDisconnected, ConnectionResetError)):
        put_password(cam, old, "DropBefore-1")
    assert password_of(lab_site, "cam-hall-03") == old
    assert lab_site.control.faults() == []  # fired once, then cleared itself


def test_drop_after_applies_then_hangs_up(lab_site):
    cam = lab_site.device("cam-hall-03")
    old = cam["credentials"][0]["password"]
    lab_site.fault("cam-hall-03", "change_password", "drop_after", times=1)
    with pytest.raises((RemoteDisconnected, ConnectionResetError)):
        put_password(cam, old, "DropAfter-22")
    assert password_of(lab_site, "cam-hall-03") == "DropAfter-22"
    assert http(f"http://{cam['address']}/ISAPI/Security/userCheck", "admin", "DropAfter-22").status == 200


def test_reject_refuses_a_valid_password(lab_site):
    cam = lab_site.device("cam-hall-03")
    old = cam["credentials"][0]["password"]
    lab_site.fault("cam-hall-03", "change_password", "reject")
    resp = put_password(cam, old, "Perfectly-Good-1")
    assert resp.status == 400 and "riskPassword" in resp.body
    assert password_of(lab_site, "cam-hall-03") == old


def test_slow_and_timeout(lab_site):
    cam = lab_site.device("cam-hall-01")
    pw = cam["credentials"][0]["password"]
    url = f"http://{cam['address']}/ISAPI/Security/userCheck"
    lab_site.fault("cam-hall-01", "verify", "slow", delay=1.0)
    t0 = time.monotonic()
    assert http(url, "admin", pw).status == 200
    assert time.monotonic() - t0 >= 1.0
    lab_site.fault("cam-hall-01", "verify", "timeout")
    with pytest.raises((TimeoutError, socket.timeout)):
        http(url, "admin", pw, timeout=1.0)
    lab_site.clear_faults()
    assert http(url, "admin", pw).status == 200


def test_flap_drops_every_other_connection(lab_site):
    dev = lab_site.device("prn-lab-01")
    lab_site.fault("prn-lab-01", "connect", "flap")
    results = []
    for _unused in range(4):
        conn = HTTPConnection(dev["address"], 80, timeout=3)
        try:
            conn.request("GET", "/")
            results.append(conn.getresponse().status)
        except (RemoteDisconnected, ConnectionResetError):
            results.append("dropped")
        finally:
            conn.close()
    assert results == ["dropped", 200, "dropped", 200]


def test_fault_on_telnet_login(lab_site):
    from iotlab.clients import Telnet

    dev = lab_site.device("iot-gw-01")
    lab_site.fault("iot-gw-01", "login", "reject", times=1)
    t = Telnet(dev["address"])
    try:
        assert t.login("admin", "admin") == "bad"  # refused although right
        assert t.login("admin", "admin") == "ok"
    finally:
        t.close()


def test_cli_fault_list_and_clear(lab_site):
    base = ["--site", lab_site.site, "--state-dir", str(lab_site.state_dir)]
    out = lab_cli(lab_site, "fault", "nvr-01", "login", "slow", "--times", "2", *base)
    assert out.returncode == 0, out.stderr
    listed = json.loads(lab_cli(lab_site, "fault", "--list", *base).stdout)
    assert listed[0]["device"] == "nvr-01" and listed[0]["times"] == 2
    bad = lab_cli(lab_site, "fault", "no-such-device", "login", "slow", *base)
    assert bad.returncode == 2 and "no-such-device" in bad.stderr
    assert "cleared 1" in lab_cli(lab_site, "fault", "--clear", *base).stdout
    assert lab_site.control.faults() == []


def test_state_survives_restart(lab_site):
    nvr = lab_site.device("nvr-01")
    old = nvr["credentials"][0]["password"]
    assert put_password(nvr, old, "Persist-2026").status == 200
    lab_site.restart()
    url = f"http://{nvr['address']}/ISAPI/Security/userCheck"
    assert http(url, "admin", "Persist-2026").status == 200
    assert http(url, "admin", old).status == 401
    assert password_of(lab_site, "nvr-01") == "Persist-2026"


def test_up_fails_clearly_when_a_port_is_taken(lab_site, tmp_path):
    subnet = lab_site.truth["subnet"]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "iotlab",
            "up",
            "clinic",
            "--state-dir",
            str(tmp_path),
            "--rebase",
            subnet,
            "--timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(LAB.parent)},
    )
    assert out.returncode == 2
    assert "already in use" in out.stderr


def test_ground_truth_is_consistent(lab_site):
    truth = lab_site.refresh()
    net = ipaddress.ip_network(truth["subnet"])
    devices = truth["devices"]
    assert len(devices) == 25
    assert len({d["address"] for d in devices}) == len(devices)
    assert len({d["mac"] for d in devices}) == len(devices)
    ports = [(d["switch"], d["switch_port"]) for d in devices if d["switch"]]
    assert len(set(ports)) == len(ports)
    kinds = {d["kind"] for d in devices}
    assert kinds == {
        "router",
        "hikvision_camera",
        "hikvision_nvr",
        "axis_camera",
        "busybox_device",
        "printer",
        "thermostat",
        "voip_phone",
        "smart_speaker",
        "medical_workstation",
    }
    for d in devices:
        assert ipaddress.ip_address(d["address"]) in net
        for key in (
            "tcp_ports",
            "udp_ports",
            "credentials",
            "password_policy",
            "lockout",
            "weaknesses",
            "vendor",
        ):
            assert key in d, (d["name"], key)
    for sw in truth["switches"]:
        assert sw["running"], truth["switch_note"]
        macs = {m["mac"] for m in sw["mac_table"]}
        assert macs == {d["mac"] for d in devices if d["switch"] == sw["name"]}
    mode = os.stat(lab_site.control.ground_truth_path).st_mode & 0o777
    assert mode == 0o600


# -- pure parts (no site needed, but cheap) --------------------------------------------------
def test_fault_table_times_and_flap():
    table = FaultTable()
    table.set("a", "login", "reject", times=2)
    assert [getattr(table.take("a", "login"), "fault", None) for _unused in range(3)] == [
        "reject",
        "reject",
        None,
    ]
    table.set("*", "connect", "flap")
    assert [bool(table.take("b", "connect")) for _unused in range(4)] == [True, False, True, False]
    with pytest.raises(ValueError, match="fault='explode'"):
        table.set("a", "login", "explode")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nsubnet: 10.0.0.0/24\n", "outside 127.0.0.0/8"),
        ("name: x\nsubnet: 127.30.0.0/24\ndevices:\n  - kind: toaster\n", "'toaster' is not a device kind"),
        (
            "name: x\nsubnet: 127.30.0.0/24\ndevices:\n  - {kind: printer, variant: nope}\n",
            "'nope' is not a printer variant",
        ),
        ("name: x\nsubnet: 127.30.0.0/30\ndevices:\n  - {kind: printer, count: 5}\n", "no address left"),
        ("name: Bad Name\nsubnet: 127.30.0.0/24\n", "name"),
    ],
)
def test_site_file_errors_name_the_field(tmp_path, text, message):
    from iotlab.devices import KINDS

    path = tmp_path / "site.yml"
    path.write_text(text)
    with pytest.raises(LabError, match=message):
        load_site(str(path), KINDS)


def test_status_reports_the_running_site(lab_site):
    out = lab_cli(lab_site, "status", "--json")
    assert out.returncode == 0, out.stderr
    entries = {e["state_dir"]: e for e in json.loads(out.stdout)}
    me = entries.get(str(lab_site.state_dir))
    if me is None:  # a non-default state root: ask for it by directory
        me = lab_site.control.status()
        me["up"] = True
    assert me["up"] and me["devices"] == 25 and me["switches"] == 2


def test_site_stops_when_its_owner_dies(tmp_path):
    owner = subprocess.Popen(["sleep", "30"])
    out = subprocess.run(
        [
            str(LAB),
            "up",
            "clinic",
            "--fresh",
            "--rebase",
            "127.20.34.0/24",
            "--state-dir",
            str(tmp_path),
            "--owner-pid",
            str(owner.pid),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "IOTLAB_PYTHON": sys.executable},
    )
    assert out.returncode == 0, out.stderr
    pid = int((tmp_path / "lab.pid").read_text())
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (tmp_path / "lab.pid").exists():
        time.sleep(0.1)
    assert not (tmp_path / "lab.pid").exists(), f"site (pid {pid}) outlived its owner"


def test_ground_truth_matches_its_json_schema(lab_site):
    import jsonschema

    schema = json.loads((LAB.parent / "ground-truth.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(lab_site.refresh(), schema)
