# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Benchmark: iot_discovery vs nmap -sV vs community.general's nmap inventory plugin.

On the lab's 1,000-device site (tests/lab, ``large``; when the lab has no such site file
yet, one is generated from the clinic's device mix scaled to 1,000, on 127.24.0.0/22), in one
run:

* this collection's inventory plugin through ``ansible-inventory --list`` (wall time, and
  the discovery core's own time and packet counts);
* ``nmap -sV -Pn -n -T4`` on the same addresses and TCP ports (wall time), its service
  and device-type guesses turned into a device class the plainest fair way;
* community.general's nmap inventory plugin on the same addresses and ports (it names
  ports and services, no device class).

Prints wall time, the speed ratio and classification accuracy against the lab's ground
truth. Figures only: nothing here asserts a timing. Only loopback addresses are scanned.

    .venv/bin/python tests/bench/discovery/bench_discovery.py [--skip-nmap] [--site large]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
BIN = TOP / ".venv/bin"
sys.path.insert(0, str(TOP / "tests/lab"))
sys.path.insert(0, str(TOP / ".build/collections"))

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import probes, targets  # noqa: E402
from iotlab.testing import LabSite  # noqa: E402

# the lab's words for some classes -> the project's (as in tests/integration/discovery)
LAB_CLASS = {
    "speaker": {"smart_speaker"},
    "building_automation": {"thermostat", "building_controller"},
    "embedded_linux": {"nvr", "camera", "router"},
}
# nmap -sV device types -> project classes
NMAP_DEVICETYPE = {
    "webcam": "camera",
    "printer": "printer",
    "print server": "printer",
    "voip phone": "voip_phone",
    "voip adapter": "voip_phone",
    "router": "router",
    "broadband router": "router",
    "wap": "router",
    "switch": "network_switch",
    "media device": "smart_speaker",
    "general purpose": "workstation",
    "storage-misc": "nvr",
    "security-misc": "camera",
}


def env():
    e = dict(os.environ)
    e.update(
        PATH="%s:%s" % (BIN, e.get("PATH", "")), ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1"
    )
    return e


def generated_large_site(directory):
    """1,000 devices: the clinic's mix scaled up, no switches (they are not benchmarked)."""
    import yaml

    clinic = yaml.safe_load((TOP / "tests/lab/sites/clinic.yml").read_text())
    devices = []
    per, extra = divmod(1000, len(clinic["devices"]))
    for i, d in enumerate(clinic["devices"]):
        d = dict(d)
        base = d.pop("name", None) or d.get("prefix")
        d.pop("address", None)
        d.pop("port_mappings", None)
        d["prefix"] = "%s-x" % base
        d["count"] = per + (1 if i < extra else 0)
        d["switch"] = None
        devices.append(d)
    site = {
        "name": "bench-large",
        "description": "generated: the clinic's device mix x40",
        "subnet": "127.24.0.0/22",
        "first_device_address": "127.24.0.10",
        "switches": [],
        "devices": devices,
    }
    path = Path(directory) / "bench-large.yml"
    path.write_text(yaml.safe_dump(site))
    return path


def class_ok(truth_class, ours):
    return ours in LAB_CLASS.get(truth_class, {truth_class})


def vendor_ok(truth_vendor, ours):
    if truth_vendor == "Generic":
        return True
    return bool(ours) and truth_vendor.split()[0].lower() in ours.lower()


def unwrap(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def run_plugin(subnet, tmp):
    inv = Path(tmp) / "bench.iot_discovery.yml"
    text = (TOP / "inventories/lab/large.iot_discovery.yml").read_text().replace("127.24.0.0/22", subnet)
    inv.write_text(text)
    t0 = time.monotonic()
    p = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inv), "--list"],
        capture_output=True,
        text=True,
        env=env(),
        timeout=600,
        check=False,
    )
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("ansible-inventory failed: %s" % p.stderr[-2000:])
    hv = unwrap(json.loads(p.stdout)["_meta"]["hostvars"])
    return wall, {h.get("ansible_host", a): (h["iot_class"], h["iot_vendor"]) for a, h in hv.items()}


def nmap_class(target):
    votes = {}
    vendor = None
    for svc in (target.nmap or {}).get("services", {}).values():
        dt = (svc.get("devicetype") or "").lower()
        if dt in NMAP_DEVICETYPE:
            votes[NMAP_DEVICETYPE[dt]] = votes.get(NMAP_DEVICETYPE[dt], 0) + 1
        if svc.get("product") and vendor is None:
            vendor = svc["product"]
    cls = max(votes, key=votes.get) if votes else "unknown"
    return cls, vendor or ""


def run_nmap(addresses, ports, tmp, timeout):
    if not shutil.which("nmap"):
        raise SystemExit("nmap is missing: apt-get install nmap (requirements/apt.txt)")
    tl = Path(tmp) / "targets.txt"
    tl.write_text("\n".join(addresses) + "\n")
    xml = Path(tmp) / "nmap.xml"
    cmd = [
        "nmap",
        "-sV",
        "-Pn",
        "-n",
        "-T4",
        "-p",
        ",".join(map(str, ports)),
        "-iL",
        str(tl),
        "-oX",
        str(xml),
    ]
    t0 = time.monotonic()
    try:
        subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None, {}
    wall = time.monotonic() - t0
    found = {t.address: nmap_class(t) for t in targets.read_nmap_xml(str(xml))}
    return wall, found


def run_cg_nmap(subnet, ports, tmp):
    # its address option is one nmap target: the site's subnet (the same range we scan)
    inv = Path(tmp) / "cg.nmap.yml"
    inv.write_text(
        "plugin: community.general.nmap\naddress: %s\nport: '%s'\nports: true\ndns_resolve: false\n"
        "use_arp_ping: false\nsudo: false\n" % (subnet, ",".join(map(str, ports)))
    )
    t0 = time.monotonic()
    p = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(inv), "--list"],
        capture_output=True,
        text=True,
        env=env(),
        timeout=3600,
        check=False,
    )
    wall = time.monotonic() - t0
    if p.returncode != 0:
        return wall, None, p.stderr[-500:]
    hv = json.loads(p.stdout)["_meta"]["hostvars"]
    return wall, hv, ""


def accuracy(truth, found):
    n = len(truth)
    c = sum(1 for d in truth if class_ok(d["class"], (found.get(d["address"]) or ("", ""))[0]))
    v = sum(1 for d in truth if vendor_ok(d["vendor"], (found.get(d["address"]) or ("", ""))[1]))
    seen = sum(1 for d in truth if d["address"] in found)
    return seen, c / n * 100.0, v / n * 100.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--site", default="large")
    ap.add_argument("--skip-nmap", action="store_true", help="only this plugin (nmap -sV takes minutes)")
    ap.add_argument("--skip-cg", action="store_true", help="skip community.general.nmap")
    ap.add_argument(
        "--nmap-timeout", type=float, default=3600, help="give up on nmap after this many seconds"
    )
    ap.add_argument(
        "--nmap-sample",
        type=int,
        default=0,
        help="run nmap on N devices spread over the site (its time is then also shown scaled to all)",
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        site_arg = args.site
        if args.site == "large" and not (TOP / "tests/lab/sites/large.yml").exists():
            site_arg = str(generated_large_site(tmp))
            print("lab has no 'large' site file yet: generated %s" % site_arg)
        lab = LabSite(site_arg, state_dir=Path(tmp) / "lab")
        lab.up(fresh=True)
        try:
            truth = lab.truth["devices"]
            subnet = lab.truth["subnet"]
            print(
                "site %s: %d devices on %s, up in %.1fs"
                % (lab.truth["site"], len(truth), subnet, lab.up_seconds)
            )
            wall, ours = run_plugin(subnet, tmp)
            seen, cls, ven = accuracy(truth, ours)
            print(
                "iot_discovery (ansible-inventory --list): %6.2fs  found %d/%d  class %.1f%%  vendor %.1f%%"
                % (wall, seen, len(truth), cls, ven)
            )
            wrong = [
                "%s %s: %s/%s" % (d["name"], d["class"], *ours.get(d["address"], ("-", "-")))
                for d in truth
                if not class_ok(d["class"], ours.get(d["address"], ("", ""))[0])
            ]
            for w in wrong[:10]:
                print("   misclassified:", w)
            addresses = [d["address"] for d in truth]
            if not args.skip_nmap:
                ports = probes.DEFAULT_PORTS
                # every k-th device, so the sample keeps the site's mix of kinds
                step = max(1, len(addresses) // args.nmap_sample) if args.nmap_sample else 1
                sample = addresses[::step][: args.nmap_sample or None]
                sample_truth = [d for d in truth if d["address"] in set(sample)]
                nwall, nfound = run_nmap(sample, ports, tmp, args.nmap_timeout)
                if nwall is None:
                    print(
                        "nmap -sV -T4: did not finish within %.0fs (ratio > %.0fx)"
                        % (args.nmap_timeout, args.nmap_timeout / wall)
                    )
                else:
                    nseen, ncls, nven = accuracy(sample_truth, nfound)
                    print(
                        "nmap -sV -T4 (%d addresses, same TCP ports): %6.2fs  found %d/%d  class %.1f%%  "
                        "vendor %.1f%%" % (len(sample), nwall, nseen, len(sample), ncls, nven)
                    )
                    scaled = nwall * len(addresses) / len(sample)
                    if len(sample) != len(addresses):
                        print("   scaled to %d addresses: ~%.0fs" % (len(addresses), scaled))
                    print("ratio nmap -sV / iot_discovery: %.1fx" % (scaled / wall))
            if not args.skip_cg:
                cwall, chv, err = run_cg_nmap(subnet, probes.DEFAULT_PORTS, tmp)
                if chv is None:
                    print("community.general.nmap: failed after %.2fs: %s" % (cwall, err))
                else:
                    print(
                        "community.general.nmap inventory (no -sV):  %6.2fs  found %d/%d  class: not given"
                        % (cwall, sum(1 for a in addresses if chv.get(a, {}).get("ports")), len(truth))
                    )
                    print("ratio community.general.nmap / iot_discovery: %.1fx" % (cwall / wall))
        finally:
            lab.down()


if __name__ == "__main__":
    main()
