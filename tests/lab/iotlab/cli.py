# SPDX-License-Identifier: GPL-3.0-or-later
"""``lab up|down|status|fault|screen|run``: drive simulated client sites from a shell."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .control import NOT_UP, SHARDS_FILE, LabControl, shard_dirs, state_dir_for, state_root
from .errors import LabError
from .faults import FAULTS

UP_TIMEOUT = 120.0
# devices one lab process serves: about 2.6 sockets each, well inside a 20,000 open-file limit
DEVICES_PER_PROCESS = 4000


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_pid(state_dir: Path) -> int | None:
    """The pid of the site's process (of its first live shard when it has several)."""
    shards = shard_dirs(state_dir)
    if shards:
        return next((pid for pid in map(_read_pid, shards) if pid is not None), None)
    try:
        pid = int((state_dir / "lab.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def cmd_run(args: argparse.Namespace) -> int:
    from .runtime import open_site  # heavy imports only where needed

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # one line per connection otherwise
    state_dir = Path(args.state_dir) if args.state_dir else state_dir_for(args.site)
    state_dir.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        with contextlib.suppress(FileNotFoundError):
            (state_dir / "state.json").unlink()
    ready = state_dir / "ready.json"
    with contextlib.suppress(FileNotFoundError):
        ready.unlink()
    shard = None
    if args.shard:
        try:
            index, count = (int(x) for x in args.shard.split("/"))
            if not 0 <= index < count:
                raise ValueError
        except ValueError:
            raise LabError(
                f"--shard {args.shard!r} must be INDEX/COUNT with 0 <= INDEX < COUNT, e.g. 0/3"
            ) from None
        shard = (index, count)
    lab = open_site(args.site, state_dir, args.rebase, shard)
    (state_dir / "lab.pid").write_text(f"{os.getpid()}\n")
    try:
        asyncio.run(lab.run(ready, args.owner_pid))
    finally:
        for name in ("lab.pid", "ready.json"):
            with contextlib.suppress(FileNotFoundError):
                (state_dir / name).unlink()
    return 0


def _processes(args: argparse.Namespace) -> int:
    """Processes to serve the site: as asked, but never more than it has devices (a shard
    without devices would have nothing to serve)."""
    from .site import load_site

    devices = len(load_site(args.site, None, args.rebase).devices)
    if args.processes:
        return max(1, min(args.processes, devices))
    return max(1, -(-devices // DEVICES_PER_PROCESS))


def _spawn(args: argparse.Namespace, state_dir: Path, shard: str | None) -> subprocess.Popen:
    state_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        (state_dir / "ready.json").unlink()
    cmd = [sys.executable, "-m", "iotlab", "run", args.site, "--state-dir", str(state_dir), "--verbose"]
    if args.fresh:
        cmd.append("--fresh")
    if args.rebase:
        cmd += ["--rebase", args.rebase]
    if args.owner_pid:
        cmd += ["--owner-pid", str(args.owner_pid)]
    if shard:
        cmd += ["--shard", shard]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH")])
        ),
    )
    with open(state_dir / "lab.log", "ab") as log:
        return subprocess.Popen(
            cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )


def _wait_ready(
    args: argparse.Namespace, started: list[tuple[subprocess.Popen, Path]], t0: float
) -> list[dict]:
    waiting = dict(enumerate(started))
    ready: dict[int, dict] = {}
    while time.monotonic() - t0 < args.timeout:
        for i, (proc, state_dir) in list(waiting.items()):
            if (state_dir / "ready.json").exists():
                ready[i] = json.loads((state_dir / "ready.json").read_text())
                del waiting[i]
            elif proc.poll() is not None:
                for other, _d in started:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(other.pid, signal.SIGTERM)
                log_path = state_dir / "lab.log"
                tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
                msg = next(
                    (ln for ln in reversed(tail) if "LabError" in ln or "Error" in ln),
                    tail[-1] if tail else "",
                )
                raise LabError(
                    f"site {args.site} failed to start (exit {proc.returncode}): {msg}\n(log: {log_path})"
                )
        if not waiting:
            return [ready[i] for i in sorted(ready)]
        time.sleep(0.05)
    for proc, _d in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    raise LabError(f"site {args.site} not ready after {args.timeout:.0f}s (log: {started[0][1] / 'lab.log'})")


def cmd_up(args: argparse.Namespace) -> int:
    """One process per site, or for a large site several (``--processes``), each serving a
    contiguous shard of its devices: the open-file limit holds about 2.6 sockets a device."""
    state_dir = Path(args.state_dir) if args.state_dir else state_dir_for(args.site)
    state_dir.mkdir(parents=True, exist_ok=True)
    pid = _read_pid(state_dir)
    if pid is not None:
        raise LabError(f"site {args.site} is already up (pid {pid}); `lab down {args.site}` first")
    for name in ("ready.json", SHARDS_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()
    count = _processes(args)
    t0 = time.monotonic()
    if count == 1:
        started = [(_spawn(args, state_dir, None), state_dir)]
    else:
        names = [f"shard-{i}" for i in range(count)]
        (state_dir / SHARDS_FILE).write_text(json.dumps({"shards": names}))
        started = [(_spawn(args, state_dir / n, f"{i}/{count}"), state_dir / n) for i, n in enumerate(names)]
    summaries = _wait_ready(args, started, t0)
    took = time.monotonic() - t0
    first = summaries[0]
    processes = (
        f"pid {first['pid']}"
        if count == 1
        else f"{count} processes (pids {', '.join(str(x['pid']) for x in summaries)})"
    )
    print(
        f"site {first['site']} up: {sum(x['devices'] for x in summaries)} devices, "
        f"{first['switches']}/{first['switches_planned']} switches, {processes}, "
        f"ready in {took:.2f}s; ground truth: {state_dir / 'ground-truth.json'}"
    )
    if count > 1:
        from .control import merge_truth

        parts = [json.loads((d / "ground-truth.json").read_text()) for _p, d in started]
        (state_dir / "ground-truth.json").write_text(json.dumps(merge_truth(parts)))
        os.chmod(state_dir / "ground-truth.json", 0o600)
    if first.get("switch_note"):
        print(f"note: {first['switch_note']}", file=sys.stderr)
    return 0


def _site_name_of(state_dir: Path) -> str | None:
    """The name a running site gave itself (its file's ``name:``), from its ready file (the
    first shard's when several processes serve it)."""
    for d in [state_dir, *shard_dirs(state_dir)]:
        try:
            return str(json.loads((d / "ready.json").read_text()).get("site"))
        except (OSError, ValueError, AttributeError):
            continue
    return None


def resolve_state_dir(site: str, state_dir: str | None = None) -> Path:
    """The state directory of ``site``: given, or the one of that name or file stem, or the
    running site that calls itself ``site`` (one started from a file path elsewhere)."""
    if state_dir:
        return Path(state_dir)
    direct = state_dir_for(site)
    if _read_pid(direct) is not None:
        return direct
    named = [d for d in _running_sites() if _site_name_of(d) in (site, Path(site).stem)]
    if len(named) > 1:
        raise LabError(
            f"{len(named)} running sites call themselves {site!r} ({', '.join(str(d) for d in named)}); "
            "pass --state-dir"
        )
    return named[0] if named else direct


def cmd_down(args: argparse.Namespace) -> int:
    state_dir = resolve_state_dir(args.site, args.state_dir)
    pids = [p for p in map(_read_pid, shard_dirs(state_dir) or [state_dir]) if p is not None]
    if not pids:
        running = ", ".join(f"{_site_name_of(d)} ({d.name})" for d in _running_sites()) or "none"
        print(
            f"lab: site {args.site} is not up: no running site has that name or file stem "
            f"under {state_root()} (running: {running}); a site started with --state-dir "
            "needs the same --state-dir",
            file=sys.stderr,
        )
        return NOT_UP
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and any(map(_pid_alive, pids)):
        time.sleep(0.05)
    killed = [pid for pid in pids if _pid_alive(pid)]
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    if killed:
        print(
            f"site {args.site} did not stop in {args.timeout:.0f}s; killed pid(s) {killed}", file=sys.stderr
        )
    else:
        print(f"site {args.site} down")
    return 0


def _running_sites() -> list[Path]:
    root = state_root()
    return (
        sorted(p for p in root.glob("*") if p.is_dir() and _read_pid(p) is not None) if root.exists() else []
    )


def cmd_status(args: argparse.Namespace) -> int:
    dirs = (
        [resolve_state_dir(args.site)]
        if args.site
        else sorted(p for p in state_root().glob("*") if p.is_dir())
    )
    out = []
    for d in dirs:
        pid = _read_pid(d)
        entry = {"site": d.name, "up": pid is not None, "state_dir": str(d)}
        if pid is not None:
            try:
                entry.update(LabControl(d, timeout=3).status())
                entry.pop("ok", None)
            except LabError as exc:
                entry["error"] = str(exc)
        out.append(entry)
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    if not out:
        print("no sites (start one with `lab up clinic`)")
    for e in out:
        if not e["up"]:
            print(f"{e['site']}: down")
            continue
        faults = (
            ", ".join(f"{f['device']}/{f['operation']}={f['fault']}" for f in e.get("faults", [])) or "none"
        )
        print(
            f"{e['site']}: up pid {e.get('pid')} devices {e.get('devices')} "
            f"switches {e.get('switches')}/{e.get('switches_planned')} faults {faults}"
        )
        if e.get("switch_note"):
            print(f"  note: {e['switch_note']}")
    return 0 if not args.site or (out and out[0]["up"]) else NOT_UP


def _site_for_fault(args: argparse.Namespace) -> Path:
    if args.site:
        return resolve_state_dir(args.site, args.state_dir)
    running = _running_sites()
    if len(running) != 1:
        names = ", ".join(p.name for p in running) or "none"
        raise LabError(f"--site is needed: {len(running)} sites are up ({names})")
    return running[0]


def cmd_fault(args: argparse.Namespace) -> int:
    ctl = LabControl(_site_for_fault(args))
    if args.clear:
        print(f"cleared {ctl.clear(args.device)} fault(s)")
        return 0
    if args.list:
        print(json.dumps(ctl.faults(), indent=1))
        return 0
    if not (args.device and args.operation and args.fault):
        raise LabError("usage: lab fault DEVICE OPERATION FAULT [--times N] (or --clear / --list)")
    entry = ctl.fault(args.device, args.operation, args.fault, args.times, args.delay)
    print(
        f"fault set: {entry['device']}/{entry['operation']} -> {entry['fault']} "
        f"(times {entry['times'] or 'until cleared'})"
    )
    return 0


def cmd_screen(args: argparse.Namespace) -> int:
    """What an engineer types on a device's own screen (a thermostat's Local API password).
    The password is read from standard input, never from the command line (ps shows that)."""
    ctl = LabControl(_site_for_fault(args))
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise LabError("screen: give the password on standard input (one line)")
    wanted = args.device.lower()
    name = args.device
    for dev in ctl.ground_truth()["devices"]:
        if wanted in (str(dev.get("name")).lower(), str(dev.get("address")), str(dev.get("mac")).lower()):
            name = dev["name"]
            break
    ctl.screen(name, args.username, password)
    print(f"typed on the screen of {name}: a new password for {args.username}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lab", description="Simulated client sites for iotguard.hardening")
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn, helptext in (
        ("up", cmd_up, "start a site in the background; returns when every listener is bound"),
        ("run", cmd_run, "run a site in the foreground"),
        ("down", cmd_down, "stop a site"),
    ):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("site", help="site name (tests/lab/sites/NAME.yml) or a path to a site file")
        sp.add_argument("--state-dir", help="default: .build/lab/<site>")
        sp.add_argument("--timeout", type=float, default=UP_TIMEOUT if name == "up" else 15.0)
        if name in ("up", "run"):
            sp.add_argument("--fresh", action="store_true", help="forget saved state: factory defaults")
            sp.add_argument("--verbose", action="store_true")
            sp.add_argument("--rebase", help="move the site to another 127.x subnet of the same size")
            sp.add_argument("--owner-pid", type=int, help="stop the site when this process exits")
        if name == "up":
            sp.add_argument(
                "--processes",
                type=int,
                help=f"lab processes serving the site (default: one per {DEVICES_PER_PROCESS} devices)",
            )
        if name == "run":
            sp.add_argument("--shard", help="serve only shard INDEX/COUNT of the devices (lab up does this)")
        sp.set_defaults(func=fn)
    sp = sub.add_parser("status", help="which sites are up, their devices and faults")
    sp.add_argument("site", nargs="?")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_status)
    sp = sub.add_parser("fault", help=f"inject a fault: {', '.join(FAULTS)}")
    sp.add_argument("device", nargs="?", help="device or switch name, or '*'")
    sp.add_argument(
        "operation",
        nargs="?",
        help="connect, login, verify, change_password, get_config, set_config, ... or '*'",
    )
    sp.add_argument("fault", nargs="?", choices=FAULTS)
    sp.add_argument("--times", type=int, help="fire this many times, then clear (default: until cleared)")
    sp.add_argument("--delay", type=float, help="seconds for 'slow' (default 3)")
    sp.add_argument("--clear", action="store_true", help="clear faults (of DEVICE when given)")
    sp.add_argument("--list", action="store_true")
    sp.add_argument("--site", help="needed when more than one site is up")
    sp.add_argument("--state-dir")
    sp.set_defaults(func=cmd_fault)
    sp = sub.add_parser("screen", help="set a credential on a device's own screen (password on stdin)")
    sp.add_argument("device", help="device name, address or MAC")
    sp.add_argument("username")
    sp.add_argument("--site", help="needed when more than one site is up")
    sp.add_argument("--state-dir")
    sp.set_defaults(func=cmd_screen)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 2
