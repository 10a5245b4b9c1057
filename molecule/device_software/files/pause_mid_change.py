# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command (a rotation) and freeze a device container while it talks to it; then
restart the container if asked.

Watches the controller's established TCP connections to ADDRESS:PORT (``ss``); when the
Nth distinct one appears (the rotation's change session: the first is the login that
finds the working credential), ``podman pause`` freezes the container for PAUSE seconds,
then ``podman unpause``. Prints JSON: whether and when the pause happened, the command's
exit code. Exit 1 when the pause never happened (the fault must be real).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time


def connections(address, port):
    out = subprocess.run(
        ["ss", "-Htn", "state", "established", "dst", "%s:%d" % (address, port)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {line.split()[-2] for line in out.splitlines() if line.strip()}


def wait_for_port(address, port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((address, port), timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--address", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--container", required=True)
    ap.add_argument("--connection", type=int, default=2)
    ap.add_argument("--pause", type=float, default=8.0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--out", required=True, help="where the JSON result goes too")
    ap.add_argument("--restart", action="store_true", help="restart the container afterwards")
    ap.add_argument("--timeout", type=float, default=240.0)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    seen = set()
    paused_at = None
    start = time.monotonic()
    with open(args.log, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None and paused_at is None:
                seen |= connections(args.address, args.port)
                if len(seen) >= args.connection:
                    subprocess.run(["podman", "pause", args.container], check=True, capture_output=True)
                    paused_at = time.monotonic() - start
                    time.sleep(args.pause)
                    subprocess.run(["podman", "unpause", args.container], check=True, capture_output=True)
                    break
                time.sleep(0.02)
            rc = proc.wait(timeout=args.timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
    restarted = False
    if args.restart:
        # as a power cycle: the daemon comes back from the container's start script
        subprocess.run(["podman", "restart", "-t", "0", args.container], check=True, capture_output=True)
        wait_for_port(args.address, args.port)
        restarted = True
    result = {
        "paused": paused_at is not None,
        "paused_after_seconds": round(paused_at, 2) if paused_at is not None else None,
        "connections_before_pause": len(seen),
        "pause_seconds": args.pause,
        "command_rc": rc,
        "restarted": restarted,
    }
    with open(args.out, "w") as f:
        json.dump(result, f)
    print(json.dumps(result))
    return 0 if paused_at is not None else 1


if __name__ == "__main__":
    sys.exit(main())
