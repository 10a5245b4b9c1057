# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark and scale check of credential rotation on the 1,000-device site.

Runs playbooks/rotate_credentials.yml with N forks (default 50) against a private copy of
the ``large`` site (its own subnet, no switches), first as a login check only
(``regenerate=never``), then rotating every factory default, then once more (nothing to
do). Prints absolute times, per-device cost and the rotate/check ratio (target: within 3x).
Then checks the store: exactly one current credential per account, nothing pending, each
one accepted by its device and the factory default refused. Timings are printed, not
asserted; the store check fails loudly.

    .venv/bin/python tests/bench/rotation/bench_rotation.py [--forks 50] [--subnet 127.25.0.0/22]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
sys.path[:0] = [
    str(TOP / "tests" / "lab"),
    str(TOP / "tests" / "integration" / "rotation"),
    str(TOP / ".build" / "collections"),
]

from iotlab.testing import LabSite  # noqa: E402
from rotlab import login, private_site, run_playbook, store_for, targets, write_inventory  # noqa: E402


def timed_play(inv, forks, *extra):
    t0 = time.monotonic()
    out = run_playbook(
        inv, "-f", str(forks), "-e", "credential_rotation_fail_on_error=false", *extra, timeout=3600
    )
    took = time.monotonic() - t0
    if out.returncode != 0:
        print(out.stdout[-4000:], out.stderr[-2000:])
        raise SystemExit("playbook failed (%d)" % out.returncode)
    client = inv.name
    summary = json.loads((inv / "reports" / client / "credential-rotation.json").read_text())
    return took, summary["counts"], summary["failures"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forks", type=int, default=50)
    ap.add_argument("--subnet", default="127.25.0.0/22")
    ap.add_argument("--site", default="large")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-rotation-"))
    lab = LabSite(
        str(private_site(args.site, base, "rotation-" + args.site, args.subnet, switches=False)), timeout=600
    )
    lab.up(fresh=True)
    try:
        inv = write_inventory(lab.truth, base / ("client-" + args.site), include_switches=False)
        devices = targets(lab.truth, include_switches=False)
        accounts = sum(len(t[4]) for t in devices)
        print("site %s: %d devices, %d accounts, %d forks" % (args.site, len(devices), accounts, args.forks))

        t_check, c_check = timed_play(inv, args.forks, "-e", "credential_rotation_regenerate=never")[:2]
        t_rot, c_rot, f_rot = timed_play(inv, args.forks)
        t_again, c_again = timed_play(inv, args.forks)[:2]

        print(
            "login check only : %7.1f s  %6.1f ms/device  %s"
            % (t_check, 1000 * t_check / len(devices), c_check)
        )
        print("rotate           : %7.1f s  %6.1f ms/device  %s" % (t_rot, 1000 * t_rot / len(devices), c_rot))
        print(
            "second run       : %7.1f s  %6.1f ms/device  %s"
            % (t_again, 1000 * t_again / len(devices), c_again)
        )
        print("ratio rotate / login check: %.2fx (target within 3x)" % (t_rot / t_check))
        for f in f_rot[:10]:
            print("  failed: %s %s: %s" % (f["host"], f["user"], f["reason"]))

        # the store: one current credential per account, each works, defaults refused
        store = store_for(inv)
        t0 = time.monotonic()

        def check(t):
            name, driver, address, port, creds = t
            problems = []
            for user, factory in creds:
                acct = store.account(name, user)
                if not acct or not acct["current"] or acct["pending"]:
                    problems.append(
                        "%s/%s: store holds %s" % (name, user, "nothing" if not acct else "a pending entry")
                    )
                    continue
                if not login(driver, address, port, user, acct["current"]):
                    problems.append("%s/%s: stored password refused" % (name, user))
                if login(driver, address, port, user, factory):
                    problems.append("%s/%s: factory default still accepted" % (name, user))
            return problems

        with ThreadPoolExecutor(64) as pool:
            problems = [p for ps in pool.map(check, devices) for p in ps]
        currents = sum(1 for t in devices for u, _pw in t[4] if store.current(t[0], u))
        print(
            "store check: %d/%d accounts with one current credential, %d problems (%.1f s)"
            % (currents, accounts, len(problems), time.monotonic() - t0)
        )
        for p in problems[:20]:
            print("  " + p)
        if problems or currents != accounts or c_rot["failed"]:
            raise SystemExit("store check failed")
    finally:
        lab.down()


if __name__ == "__main__":
    main()
