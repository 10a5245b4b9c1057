# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of playbooks/site.yml on the 1,000-device site: wall time and peak memory of the
whole run, and each stage's share (the inventory's discovery scan, then every play).

The site runs in a network namespace of the benchmark's own (the `large` site, fresh), the
client folder is a copy of inventories/lab/large. Memory is that of ansible-playbook and every
process it started (forks, modules); the lab's own process is not counted. Two figures: the
summed PSS (each page shared copy-on-write between the forks counted once, split between
them: the memory the run really holds), sampled every 2 s, and the summed RSS (each shared
page counted in every fork: an upper bound), sampled every 0.2 s. Timings are printed, not
asserted; the run must succeed.

    .venv/bin/python tests/bench/site/bench_site.py [--forks 50] [--site large]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[3]
sys.path[:0] = [
    str(TOP / "tests" / "lab"),
    str(TOP / "tests" / "integration" / "clients"),
    str(TOP / ".build" / "collections"),
]

from clientlab import Namespace, NamespacedSite  # noqa: E402


def _pss(pid):
    """PSS (bytes) of one process, or 0 when it is gone or unreadable."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_memory(root, with_pss):
    """(summed RSS, summed PSS or None) in bytes of ``root`` and its descendants."""
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    total_rss = sum(rss.get(pid, 0) for pid in tree)
    return total_rss, (sum(_pss(pid) for pid in tree) if with_pss else None)


class Sampler(threading.Thread):
    """Samples (time, RSS, PSS or None): RSS every 0.2 s, PSS every 10th sample (reading
    every fork's smaps_rollup costs more)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), *tree_memory(self.pid, n % 10 == 0)))
            n += 1
            self.stop.wait(0.2)


def peak(samples, index, t_start=None, t_end=None):
    values = [
        s[index] for s in samples if s[index] is not None and (t_start is None or t_start <= s[0] <= t_end)
    ]
    return max(values, default=0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forks", type=int, default=50)
    ap.add_argument("--site", default="large")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-site-"))
    ns = Namespace("bench")
    site = NamespacedSite(ns, args.site, base / "lab" / args.site)
    try:
        t0 = time.monotonic()
        site.up()
        truth = site.truth()
        print(
            "site %s: %d devices, %d switches, up in %.1f s"
            % (args.site, len(truth["devices"]), len(truth["switches"]), time.monotonic() - t0)
        )
        inv = base / args.site
        shutil.copytree(TOP / "inventories" / "lab" / args.site, inv)
        (base / "vault-pass").write_text("bench-site\n")
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_DISPLAY_OK_HOSTS": "false",
            "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false",
        }
        argv = [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inv),
            "-f",
            str(args.forks),
            "--vault-password-file",
            str(base / "vault-pass"),
            str(TOP / "playbooks" / "site.yml"),
            "-e",
            "credential_rotation_fail_on_error=false",
        ]
        start = time.monotonic()
        proc = subprocess.Popen(
            ns.cmd(argv), env=env, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        sampler = Sampler(proc.pid)
        sampler.start()
        marks, tail = [("inventory: discovery scan", start)], []
        for line in proc.stdout:
            tail = [*tail, line][-60:]
            if line.startswith("PLAY [") and not line.startswith("PLAY RECAP"):
                marks.append((line[6:].split("]", 1)[0], time.monotonic()))
            elif line.startswith("PLAY RECAP"):
                marks.append(("recap", time.monotonic()))
        rc = proc.wait()
        end = time.monotonic()
        sampler.stop.set()
        sampler.join()
        if rc != 0:
            print("".join(tail))
            raise SystemExit("site.yml failed (%d)" % rc)
        wall = end - start
        print(
            "site.yml, %d forks: wall %.1f s, peak memory %.0f MiB PSS (summed RSS %.0f MiB, an upper"
            " bound), ansible-playbook and its forks"
            % (args.forks, wall, peak(sampler.samples, 2) / 2**20, peak(sampler.samples, 1) / 2**20)
        )
        print("%-42s %8s %6s %9s %9s" % ("stage", "seconds", "share", "PSS MiB", "RSS MiB"))
        stages = []
        for (name, t_start), (_next, t_end) in zip(marks, [*marks[1:], ("end", end)], strict=True):
            pss = peak(sampler.samples, 2, t_start, t_end)
            rss = peak(sampler.samples, 1, t_start, t_end)
            stages.append((name, t_end - t_start, pss, rss))
        seen, labelled = {}, []
        for name, took, pss, rss in stages:
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else "%s (%d)" % (name, seen[name])
            labelled.append((label, took))
            print(
                "%-42s %8.1f %5.1f%% %9.0f %9.0f"
                % (label[:42], took, 100 * took / wall, pss / 2**20, rss / 2**20)
            )
        slowest = max(labelled, key=lambda s: s[1])
        print("slowest stage: %s (%.0f%% of the run)" % (slowest[0], 100 * slowest[1] / wall))
        reports = inv / "reports" / args.site
        after = json.loads((reports / "latest" / "report.json").read_text())
        rotation = json.loads((reports / "credential-rotation.json").read_text())
        print(
            "devices assessed %d; risk %s -> %s; fixed %d findings; rotation %s"
            % (
                after["summary"]["assessed"],
                after["diff"]["previous_score"],
                after["client_score"]["score"],
                len(after["diff"]["fixed"]),
                rotation["counts"],
            )
        )
    finally:
        try:
            site.down()
        finally:
            ns.delete()
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
