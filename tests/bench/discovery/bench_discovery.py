# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Benchmark: iot_discovery at 1,000, 5,000 and 10,000 devices, against nmap -sV.

For each size, a lab site of that many devices (``large``, ``campus-5k``, ``campus-10k``
in tests/lab; 10,000 devices run in several lab processes), in one run:

* this collection's inventory plugin through ``ansible-inventory --list`` over the site's
  whole range, with the shipped large-site options: wall and CPU seconds and peak memory
  of that process (from wait4), devices found against the lab's ground truth, class and
  vendor accuracy, and the scan summary's verdict (complete or what was cut short);
* ``nmap -sV --version-light -T5 -Pn -n`` on a sample of the same devices and the same TCP
  ports (every k-th device, so the sample keeps the site's mix): its wall seconds per
  device against ours, as a ratio;
* the load average before and after (the machine may be shared: read wall seconds with it;
  CPU seconds are the steadier figure).

Figures only: nothing here asserts a timing. Only loopback addresses are scanned.

    .venv/bin/python tests/bench/discovery/bench_discovery.py [--sizes 1000,5000,10000]
        [--nmap-sample 100] [--skip-nmap] [--with-cg]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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


SITES = {1000: "large", 5000: "campus-5k", 10000: "campus-10k"}


# Started from a small process: a child's peak memory counts the memory of whoever forked it
# (the kernel keeps the larger), and this script holds every earlier size's inventory.
_RUNNER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "cpu": usage.ru_utime + usage.ru_stime,
               "rss": usage.ru_maxrss / 1024.0}, f)
"""


def measured(cmd, timeout):
    """``(returncode, stdout, stderr, wall, cpu, peak_rss_mib)`` of one process (wait4)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _RUNNER, str(report), *cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the runner and what it started
            proc.communicate()
            return 124, "", "timed out after %.0fs" % timeout, time.monotonic() - t0, 0.0, 0.0
        wall = time.monotonic() - t0
        failed = {"rc": proc.returncode, "cpu": 0.0, "rss": 0.0}
        usage = json.loads(report.read_text()) if report.exists() else failed
    return usage["rc"], stdout, stderr, wall, usage["cpu"], usage["rss"]


def run_plugin(subnet, tmp):
    inv = Path(tmp) / "bench.iot_discovery.yml"
    source = TOP / "inventories" / "lab" / "large" / "large.iot_discovery.yml"
    text = source.read_text().replace("127.24.0.0/22", subnet)
    inv.write_text(text)
    rc, out, err, wall, cpu, rss = measured([str(BIN / "ansible-inventory"), "-i", str(inv), "--list"], 900)
    if rc != 0:
        raise SystemExit("ansible-inventory failed: %s" % err[-2000:])
    hv = unwrap(json.loads(out)["_meta"]["hostvars"])
    summary = next(iter(hv.values()), {}).get("iot_discovery_summary") or {}
    warned = "scan incomplete" in err
    found = {
        h.get("ansible_host", a): (h["iot_class"], h["iot_vendor"]) for a, h in hv.items() if "iot_class" in h
    }
    services = {h.get("ansible_host", a): h.get("iot_services") or {} for a, h in hv.items()}
    status = {h.get("ansible_host", a): h.get("iot_scan_status") or "complete" for a, h in hv.items()}
    result = {
        "wall": wall,
        "cpu": cpu,
        "rss": rss,
        "summary": summary,
        "warned": warned,
        "services": services,
        "status": status,
    }
    return result, found


def lab_usage(state_dir):
    """CPU seconds and resident MiB of the lab's processes (one per shard)."""
    dirs = sorted(Path(state_dir).glob("shard-*")) or [Path(state_dir)]
    cpu = rss = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for d in dirs:
        try:
            pid = int((d / "lab.pid").read_text())
            fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
            for line in Path("/proc/%d/status" % pid).read_text().splitlines():
                if line.startswith("VmHWM:"):
                    rss += int(line.split()[1]) / 1024.0
        except (OSError, ValueError, IndexError):
            continue
    return cpu, rss, len(dirs)


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
    cmd = ["nmap", "-sV", "--version-light", "-T5", "-Pn", "-n", "-p", ",".join(map(str, ports))]
    cmd += ["-iL", str(tl), "-oX", str(xml)]
    rc, _out, _err, wall, cpu, _rss = measured(cmd, timeout)
    if rc != 0:
        return None, None, {}
    found = {t.address: nmap_class(t) for t in targets.read_nmap_xml(str(xml))}
    return wall, cpu, found


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


def bench_size(size, args, tmp):
    lab = LabSite(SITES[size], state_dir=Path(tmp) / ("lab-%d" % size), timeout=300)
    load0 = os.getloadavg()
    lab.up(fresh=True)
    try:
        truth = lab.truth["devices"]
        subnet = lab.truth["subnet"]
        _cpu, lab_rss, procs = lab_usage(lab.state_dir)
        print(
            "\n== %d devices (site %s, %s, %d lab process(es), up in %.1fs, %.0f MiB)"
            % (len(truth), lab.truth["site"], subnet, procs, lab.up_seconds, lab_rss)
        )
        lab_cpu0 = lab_usage(lab.state_dir)[0]
        ours, found = run_plugin(subnet, tmp)
        lab_cpu = lab_usage(lab.state_dir)[0] - lab_cpu0
        seen, cls, ven = accuracy(truth, found)
        sm = ours["summary"]
        print(
            "iot_discovery (ansible-inventory --list): wall %.1fs  cpu %.1fs  peak %.0f MiB  "
            "found %d/%d (%.1f%%)  class %.1f%%  vendor %.1f%%"
            % (ours["wall"], ours["cpu"], ours["rss"], seen, len(truth), 100.0 * seen / len(truth), cls, ven)
        )
        print(
            "   scan summary: %s; %d addresses, %d hosts found, %d cut short, %d ports not probed, "
            "%d probe starts refused (fd), %d open ports silent (%d hosts flagged), concurrency %s; "
            "warning printed: %s; "
            "lab cpu %.1fs"
            % (
                "complete" if sm.get("complete") else "INCOMPLETE",
                sm.get("addresses", 0),
                sm.get("hosts_found", 0),
                sm.get("hosts_deadline", 0),
                sm.get("ports_not_probed", 0),
                sm.get("probes_refused_fd", 0),
                sm.get("open_ports_silent", 0),
                sm.get("hosts_unanswered", 0),
                sm.get("concurrency"),
                ours["warned"],
                lab_cpu,
            )
        )
        missing = [d["name"] for d in truth if d["address"] not in found]
        if missing:
            print("   missing (%d): %s" % (len(missing), ", ".join(missing[:10])))
        wrong = [
            "%s %s: %s/%s" % (d["name"], d["class"], *found.get(d["address"], ("-", "-")))
            for d in truth
            if d["address"] in found and not class_ok(d["class"], found[d["address"]][0])
        ]
        for w in wrong[:5]:
            print("   misclassified:", w)
        # a wrong class is acceptable only where the host says its scan was partial
        unflagged = [
            d["name"]
            for d in truth
            if d["address"] in found
            and not class_ok(d["class"], found[d["address"]][0])
            and ours["status"].get(d["address"]) == "complete"
        ]
        print(
            "   misclassified: %d, of them flagged partial: %d, UNFLAGGED: %d%s"
            % (
                len(wrong),
                len(wrong) - len(unflagged),
                len(unflagged),
                (" (%s)" % ", ".join(unflagged[:5])) if unflagged else "",
            )
        )
        for d in [
            d for d in truth if d["address"] in found and not class_ok(d["class"], found[d["address"]][0])
        ][:2]:
            # what the device said, to tell a slow answer from a fingerprint gap
            said = {
                k: {f: str(v)[:60] for f, v in svc.items()}
                for k, svc in ours["services"][d["address"]].items()
            }
            print("   %s said: %s" % (d["name"], json.dumps(said)[:600]))
        ours.pop("services")
        ours.pop("status")
        row = {"size": size, "found": seen, "devices": len(truth), "class": cls, **ours}
        if not args.skip_nmap:
            addresses = [d["address"] for d in truth]
            step = max(1, len(addresses) // args.nmap_sample)
            sample = addresses[::step][: args.nmap_sample]
            sample_truth = [d for d in truth if d["address"] in set(sample)]
            nwall, ncpu, nfound = run_nmap(sample, probes.DEFAULT_PORTS, tmp, args.nmap_timeout)
            if nwall is None:
                print(
                    "nmap -sV --version-light -T5: failed or did not finish within %.0fs" % args.nmap_timeout
                )
            else:
                nseen, ncls, _nven = accuracy(sample_truth, nfound)
                per_nmap, per_ours = nwall / len(sample), ours["wall"] / len(truth)
                print(
                    "nmap -sV --version-light -T5 (%d of the devices, same %d TCP ports): wall %.1fs  "
                    "cpu %.1fs  found %d/%d  class %.1f%%"
                    % (len(sample), len(probes.DEFAULT_PORTS), nwall, ncpu, nseen, len(sample), ncls)
                )
                print(
                    "   per device: nmap %.3fs, iot_discovery %.4fs -> ratio %.0fx"
                    % (per_nmap, per_ours, per_nmap / per_ours)
                )
                row["nmap_ratio"] = per_nmap / per_ours
        if args.with_cg:
            cwall, chv, err = run_cg_nmap(subnet, probes.DEFAULT_PORTS, tmp)
            if chv is None:
                print("community.general.nmap: failed after %.2fs: %s" % (cwall, err))
            else:
                print(
                    "community.general.nmap inventory (no -sV): %.1fs  found %d/%d  class: not given"
                    % (cwall, sum(1 for d in truth if chv.get(d["address"], {}).get("ports")), len(truth))
                )
    finally:
        lab.down()
    load1 = os.getloadavg()
    print(
        "   load average before %.2f/%.2f/%.2f, after %.2f/%.2f/%.2f (%d cores)"
        % (*load0, *load1, os.cpu_count())
    )
    row["load"] = (load0[0], load1[0])
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--sizes", default="1000,5000,10000", help="comma-separated, from %s" % sorted(SITES))
    ap.add_argument("--skip-nmap", action="store_true", help="only this plugin")
    ap.add_argument("--nmap-sample", type=int, default=100, help="devices nmap scans per size")
    ap.add_argument(
        "--nmap-timeout", type=float, default=1800, help="give up on nmap after this many seconds"
    )
    ap.add_argument("--with-cg", action="store_true", help="also community.general's nmap inventory plugin")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    for size in sizes:
        if size not in SITES:
            raise SystemExit("--sizes: %d has no site; use %s" % (size, ", ".join(map(str, sorted(SITES)))))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            rows.append(bench_size(size, args, tmp))
    print("\nsize    found     wall s  cpu s  peak MiB  class %  nmap ratio  load (before/after)")
    for r in rows:
        print(
            "%-6d  %5.1f%%  %7.1f  %6.1f  %8.0f  %7.1f  %10s  %.1f/%.1f"
            % (
                r["size"],
                100.0 * r["found"] / r["devices"],
                r["wall"],
                r["cpu"],
                r["rss"],
                r["class"],
                "%.0fx" % r["nmap_ratio"] if "nmap_ratio" in r else "-",
                *r["load"],
            )
        )


if __name__ == "__main__":
    main()
