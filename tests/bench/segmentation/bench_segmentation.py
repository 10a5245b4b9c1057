# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of segmentation on the 1,000-device site (six switch stacks).

Brings up a private copy of the ``large`` site, takes each device's class and MAC from the
lab's ground truth (what discovery reports for it), and runs the segmentation core the
role runs (``vlan_segment``): check mode (gather + plan), apply, and a second run. Prints
wall time, switch sessions (target: one per switch) and configuration commands sent.

The peer, measured in the same run: the same port moves done the way a per-port task
loop does them, one session per port (connect, enable, configure, save), on a sample of
ports; its per-port cost is extrapolated to the plan's moves and compared.

    .venv/bin/python tests/bench/segmentation/bench_segmentation.py [--subnet 127.26.0.0/22] [--sample 40]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
sys.path[:0] = [
    str(TOP / "tests" / "lab"),
    str(TOP / "tests" / "integration" / "segmentation"),
    str(TOP / ".build" / "collections"),
]

from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import site  # noqa: E402
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import switch_config as sc  # noqa: E402
from iotlab.testing import LabSite  # noqa: E402
from seglab import segment_switches  # noqa: E402

# the lab's words for some classes -> the classes discovery reports (see the discovery tests)
LAB_CLASS = {"speaker": "smart_speaker", "building_automation": "thermostat", "embedded_linux": "unknown"}


def devices_for(truth):
    return [
        {
            "name": d["name"],
            "address": d["address"],
            "mac": d["mac"],
            "class": LAB_CLASS.get(d["class"], d["class"]),
            "eol": d.get("os") == "Windows XP",
        }
        for d in truth["devices"]
    ]


def per_port_peer(specs, moves, sample):
    """One session per port, as a task loop over ports would: connect, enable, the port's
    commands, save, close."""
    by_name = {s["name"]: s for s in specs}
    picked = moves[:sample]
    t0 = time.monotonic()
    for move in picked:
        spec = by_name[move["switch"]]
        d = sc.dialect_of(spec["platform"])
        session = site.open_elevated(site.access_for(spec, 60))
        try:
            session.config([t.format(name=move["port"], vlan=1) for t in d["templates"]["access"]])
            session.save()
        finally:
            session.close()
    return (time.monotonic() - t0) / max(1, len(picked)), len(picked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subnet", default="127.26.0.0/22")
    ap.add_argument("--sample", type=int, default=40)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-segmentation-"))
    lab = LabSite("large", state_dir=base / "lab", rebase=args.subnet, timeout=600)
    t_up = time.monotonic()
    lab.up(fresh=True)
    try:
        truth = lab.truth
        specs = segment_switches(truth, timeout=60)
        devices = devices_for(truth)
        print(
            "site large: %d devices, %d switches, lab up in %.1fs"
            % (len(devices), len(specs), time.monotonic() - t_up)
        )
        rows = []
        for label, check in (("check (gather+plan)", True), ("apply", False), ("second run", False)):
            t0 = time.monotonic()
            res = site.run(specs, devices, {}, check_mode=check, backup_dir=str(base / "backups"), timeout=60)
            took = time.monotonic() - t0
            if res["failed_switches"]:
                raise SystemExit("%s failed on %s" % (label, res["switches"]))
            rows.append((label, took, res))
            print(
                "%-20s %7.2f s  sessions %2d (switches %d)  commands sent %5d  moves planned %4d  %s"
                % (
                    label,
                    took,
                    res["sessions"],
                    len(specs),
                    res["commands_sent"],
                    res["plan"]["summary"]["moves"],
                    res["timings"],
                )
            )
        plan = rows[1][2]["plan"]
        print("plan summary: %s" % plan["summary"])
        moves = [p for p in plan["ports"] if p["action"] == "move"]
        per_port, n = per_port_peer(specs, moves, args.sample)
        ours = rows[1][1]
        sessions = rows[1][2]["sessions"]
        peer_total = per_port * len(moves)
        print(
            "peer (one session per port, %d ports sampled): %.3f s/port -> %.1f s for %d moves, %d sessions"
            % (n, per_port, peer_total, len(moves), len(moves))
        )
        print("ours: %.1f s, %d sessions: %.1fx faster than the peer" % (ours, sessions, peer_total / ours))
    finally:
        lab.down()


if __name__ == "__main__":
    sys.exit(main())
