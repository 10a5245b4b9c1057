# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Discovery against the simulated clinic: every device found, class and vendor right."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
BIN = TOP / ".venv/bin"
CLINIC = TOP / "inventories/lab/clinic/clinic.iot_discovery.yml"

pytestmark = pytest.mark.lab

# The lab names some classes in its own words; these are the project's (see the
# iot_discovery docs). A lab class outside this table must equal ours exactly.
LAB_CLASS = {
    "speaker": {"smart_speaker"},
    "building_automation": {"thermostat", "building_controller"},
    # BusyBox boxes: the lab calls them all embedded_linux; the products are a DVR, an
    # OEM IP camera and a gateway, which is what discovery says they are
    "embedded_linux": {"nvr", "camera", "router"},
}


def env():
    e = dict(os.environ)
    e.update(
        PATH="%s:%s" % (BIN, e.get("PATH", "")),
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
        ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true",
        ANSIBLE_NOCOLOR="1",
    )
    return e


def unwrap(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def inventory_for(lab_site, tmp_path, extra=""):
    """The committed clinic inventory, moved to the subnet the lab runs on (IOTLAB_REBASE)."""
    text = CLINIC.read_text()
    subnet = lab_site.truth["subnet"]
    if subnet != "127.20.0.0/24" or extra:
        text = text.replace("127.20.0.0/24", subnet) + extra
        path = tmp_path / "clinic.iot_discovery.yml"
        path.write_text(text)
        return path
    return CLINIC


def list_inventory(path, preexec_fn=None, args=()):
    if not (BIN / "ansible-inventory").exists():
        pytest.fail("ansible-inventory is missing: run scripts/setup.sh")
    t0 = time.monotonic()
    p = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list", *args],
        capture_output=True,
        text=True,
        env=env(),
        cwd=TOP,
        timeout=300,
        check=False,
        preexec_fn=preexec_fn,
    )
    assert p.returncode == 0, p.stderr
    # at -v ansible-inventory itself names its config and plugin on stdout before the JSON;
    # nothing of discovery's (progress, warnings) may be there
    start = p.stdout.find("\n{") + 1 if not p.stdout.startswith("{") else 0
    assert "iot_discovery:" not in p.stdout[:start], p.stdout[:start]
    return json.loads(p.stdout[start:]), p.stderr, time.monotonic() - t0


def slug(v):
    return re.sub(r"[^a-z0-9]+", "_", v.lower()).strip("_")


def vendor_matches(truth_vendor, ours):
    if truth_vendor == "Generic":  # a white-label box: no brand to find
        return True
    return truth_vendor.split()[0].lower() in ours.lower()


def test_clinic_every_device_found_class_and_vendor_match(lab_site, tmp_path):
    out, stderr, elapsed = list_inventory(inventory_for(lab_site, tmp_path))
    named = unwrap(out["_meta"]["hostvars"])
    # the clinic's switches tell each device's MAC, so hosts are named by it; the address is
    # ansible_host
    hv = {h.get("ansible_host", name): h for name, h in named.items()}
    name_of = {h.get("ansible_host", name): name for name, h in named.items()}
    wrong = []
    for dev in lab_site.truth["devices"]:
        host = hv.get(dev["address"])
        if host is None:
            wrong.append("%s (%s) not found" % (dev["name"], dev["address"]))
            continue
        allowed = LAB_CLASS.get(dev["class"], {dev["class"]})
        if host["iot_class"] not in allowed:
            wrong.append("%s: class %s, lab says %s" % (dev["name"], host["iot_class"], dev["class"]))
        vendor_ok = vendor_matches(dev["vendor"], host["iot_vendor"])
        if not vendor_ok:
            wrong.append("%s: vendor %s, lab says %s" % (dev["name"], host["iot_vendor"], dev["vendor"]))
        # grouped as documented
        name = name_of[dev["address"]]
        assert name in out["class_%s" % host["iot_class"]]["hosts"]
        assert name in out["vendor_%s" % slug(host["iot_vendor"])]["hosts"]
        assert name in out["site_clinic"]["hosts"]
        assert name in out["iot"]["hosts"]
        assert set(dev["tcp_ports"]) <= set(host["iot_open_ports"]), dev["name"]
    assert not wrong, "\n".join(wrong)
    for sw in lab_site.truth["switches"]:
        if sw.get("running"):
            assert sw["address"] in hv, sw["name"]
    # the XP consoles behind the MRI and the ultrasound are end-of-life
    for dev in lab_site.truth["devices"]:
        if dev.get("os") == "Windows XP":
            assert hv[dev["address"]]["iot_eol"]["date"] == "2014-04-08"
            assert name_of[dev["address"]] in out["end_of_life"]["hosts"]
    print(
        "clinic: %d devices in %.2fs (ansible-inventory wall time)"
        % (len(lab_site.truth["devices"]), elapsed)
    )
    assert "Traceback" not in stderr


def switches_option(lab_site):
    switches = ""
    for sw in lab_site.truth["switches"]:
        switches += (
            "  - host: %s\n    name: %s\n    device_type: %s\n    username: %s\n    password: %s\n"
            "    uplink_ports: %s\n"
            % (
                sw["address"],
                sw["name"],
                sw["dialect"],
                sw["username"],
                json.dumps(sw["password"]),
                json.dumps(sw["uplinks"]),
            )
        )
    return switches


def test_switch_tables_and_dhcp_leases_place_devices_on_ports(lab_site, tmp_path):
    """The clinic's DHCP server knows address and MAC; the switches know MAC and port."""
    devices = [d for d in lab_site.truth["devices"] if d.get("switch")]
    leases = tmp_path / "dnsmasq.leases"
    leases.write_text(
        "".join("1893456000 %s %s %s *\n" % (d["mac"], d["address"], d["name"]) for d in devices)
    )
    switches = switches_option(lab_site)
    extra = "dhcp_leases:\n  - path: %s\n    format: dnsmasq\nswitches:\n%s" % (leases, switches)
    out, stderr = list_inventory(inventory_for(lab_site, tmp_path, extra))[:2]
    named = unwrap(out["_meta"]["hostvars"])
    # hosts are named by what the device reports (its DHCP host name), ansible_host the address
    hv = {h["ansible_host"]: h for h in named.values()}
    name_of = {h["ansible_host"]: name for name, h in named.items()}
    for d in devices:
        h = hv[d["address"]]
        assert name_of[d["address"]] == d["name"], (name_of[d["address"]], d["name"])
        assert h["iot_mac"] == d["mac"], d["name"]
        assert (h["iot_switch"], h["iot_switch_port"]) == (d["switch"], d["switch_port"]), d["name"]
        assert h["iot_hostname"] == d["name"]
        assert "dhcp_leases" in h["iot_sources"] and "switch:%s" % d["switch"] in h["iot_sources"]
    for sw in lab_site.truth["switches"]:
        assert sw["password"] not in stderr


def test_switch_arp_tables_place_every_device_without_dhcp_leases(lab_site, tmp_path):
    """No lease file, no nmap XML, a scan on loopback learns no MACs: the switches' own ARP
    tables join every switched device to its port, and nothing is left to warn about."""
    devices = [d for d in lab_site.truth["devices"] if d.get("switch")]
    assert len(devices) >= 20
    extra = "neighbour_table: ''\nswitches:\n%s" % switches_option(lab_site)
    out, stderr = list_inventory(inventory_for(lab_site, tmp_path, extra))[:2]
    # hosts are named by what the device reports; ansible_host is the address
    hv = {h["ansible_host"]: h for h in unwrap(out["_meta"]["hostvars"]).values()}
    placed = [
        d["name"]
        for d in devices
        if d["address"] in hv
        and (hv[d["address"]].get("iot_switch"), hv[d["address"]].get("iot_switch_port"))
        == (d["switch"], d["switch_port"])
        and hv[d["address"]]["iot_mac"] == d["mac"]
    ]
    print("switched devices joined to their port without DHCP leases: %d of %d" % (len(placed), len(devices)))
    assert len(placed) == len(devices)
    for d in devices:
        assert "switch_arp:%s" % d["switch"] in hv[d["address"]]["iot_sources"], d["name"]
    assert "have no address" not in stderr
