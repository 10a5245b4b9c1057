# SPDX-License-Identifier: GPL-3.0-or-later
"""An independent judge: ``nmap -sV`` against the small site (loopback addresses only).

What nmap 7.93 names by vendor/product with ``--version-light`` (recorded here and in
tests/lab/README.md): Hikvision cameras and the NVR (HTTP), Dropbear on Hikvision SSH,
Axis cameras (FTP banner, with model and firmware), Yealink phones (SIP User-Agent), the
Windows XP workstation (SMB1 negotiate; ``smb-os-discovery`` says ``OS: Windows XP``) and
SNMP with community ``public`` on printers.
Not named: BusyBox telnet behind a login prompt, RTSP, MQTT, the thermostat and phone
web UIs, DICOM (nmap has no DICOM version probe), the printer EWS without full intensity.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

pytestmark = [pytest.mark.lab, pytest.mark.slow]

# (device, port/proto) -> text nmap must show in product (+ version/extrainfo)
EXPECTED = {
    ("cam-lobby-01", "80/tcp"): "Hikvision IP camera httpd",
    ("cam-hall-01", "22/tcp"): "Dropbear sshd",
    ("cam-parking-01", "21/tcp"): "Axis P1435-LE Network Camera ftpd",
    ("nvr-01", "80/tcp"): "Hikvision Network Video Recorder",
    ("prn-front-01", "161/udp"): "SNMPv1 server",
    ("phone-desk-01", "5060/udp"): "Yealink SIP-T46S",
    ("mri-console", "445/tcp"): "Microsoft Windows XP microsoft-ds",
}


def test_nmap_names_the_devices(lab_site, tmp_path):
    nmap = shutil.which("nmap")
    if nmap is None:
        pytest.fail("nmap is not installed (requirements/apt.txt lists it): run `make setup`")
    by_name = {d["name"]: d for d in lab_site.refresh()["devices"]}
    targets = sorted({by_name[name]["address"] for name, _unused in EXPECTED})
    out = tmp_path / "nmap.xml"
    proc = subprocess.run(
        [
            nmap,
            "-sV",
            "--version-light",
            "-sT",
            "-sU",
            "-Pn",
            "-n",
            "-T4",
            "-p",
            "T:21,22,80,445,U:161,5060",
            "-oX",
            str(out),
            *targets,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen: dict[tuple[str, str], str] = {}
    for host in ET.parse(out).getroot().iter("host"):  # noqa: S314 - nmap's own output file
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            svc = port.find("service")
            if port.find("state").get("state") != "open" or svc is None:
                continue
            text = " ".join(svc.get(k, "") for k in ("product", "version", "extrainfo")).strip()
            seen[(addr, f"{port.get('portid')}/{port.get('protocol')}")] = text
    missing = {}
    for (name, port), want in EXPECTED.items():
        got = seen.get((by_name[name]["address"], port), "")
        if want not in got:
            missing[f"{name} {port}"] = got
    assert not missing, f"nmap did not name: {missing}"


def test_nmap_smb_os_discovery_sees_windows_xp(lab_site):
    nmap = shutil.which("nmap")
    if nmap is None:
        pytest.fail("nmap is not installed (requirements/apt.txt lists it): run `make setup`")
    ws = lab_site.device("mri-console")
    proc = subprocess.run(
        [nmap, "-Pn", "-n", "-p445", "--script", "smb-os-discovery", ws["address"]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "OS: Windows XP (Windows 2000 LAN Manager)" in proc.stdout, proc.stdout
    assert f"NetBIOS computer name: {ws['netbios_name']}" in proc.stdout
