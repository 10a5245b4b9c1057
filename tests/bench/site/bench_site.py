# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of playbooks/site.yml on the 1,000-device site: wall time and peak memory of the
whole run, and each stage's share (the inventory's discovery scan, then every play).

The site runs in a network namespace of the benchmark's own (the `large` site, fresh), the
client folder is a copy of inventories/lab/large. Memory is the summed RSS of
ansible-playbook and every process it started (forks, modules), sampled every 0.2 s; the
lab's own process is not counted. Timings are printed, not asserted; the run must succeed.

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


def tree_rss(root):
    """Summed RSS (bytes) of ``root`` and its descendants."""
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
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), tree_rss(self.pid)))
            self.stop.wait(0.2)


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
        peak = max(s[1] for s in sampler.samples)
        print(
            "site.yml, %d forks: wall %.1f s, peak memory %.0f MiB (ansible-playbook and its forks)"
            % (args.forks, wall, peak / 2**20)
        )
        print("%-42s %8s %6s %10s" % ("stage", "seconds", "share", "peak MiB"))
        stages = []
        for (name, t_start), (_next, t_end) in zip(marks, [*marks[1:], ("end", end)], strict=True):
            mem = max((s[1] for s in sampler.samples if t_start <= s[0] <= t_end), default=0)
            stages.append((name, t_end - t_start, mem))
        seen, labelled = {}, []
        for name, took, mem in stages:
            seen[name] = seen.get(name, 0) + 1
            label = name if seen[name] == 1 else "%s (%d)" % (name, seen[name])
            labelled.append((label, took))
            print("%-42s %8.1f %5.1f%% %10.0f" % (label[:42], took, 100 * took / wall, mem / 2**20))
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
