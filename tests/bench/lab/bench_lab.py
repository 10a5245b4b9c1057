# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark the simulated site: start-up time and memory of a site, and how many concurrent
logins per second it sustains. Prints figures; asserts nothing about timings.

    .venv/bin/python tests/bench/lab/bench_lab.py [--site large] [--rebase 127.26.0.0/22]
        [--seconds 10] [--concurrency 200]

Logins: HTTP Basic on the phones (one request each), HTTP Digest on the Hikvision cameras
(challenge + answer: two requests), telnet logins on the BusyBox devices, and SSH (key
exchange, password, one exec) on the NVRs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from iotlab.testing import LabSite


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - RFC 7616 Digest uses MD5


async def http_once(host: str, path: str, headers: str = "") -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(host, 80)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}\r\n".encode())
    data = await reader.read()
    writer.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return int(head.split(" ", 2)[1]), head


async def basic_login(dev: dict) -> bool:
    cred = dev["credentials"][0]
    token = base64.b64encode(f"{cred['username']}:{cred['password']}".encode()).decode()
    status, _unused = await http_once(dev["address"], "/api/status", f"Authorization: Basic {token}\r\n")
    return status == 200


async def digest_login(dev: dict) -> bool:
    cred = dev["credentials"][0]
    path = "/ISAPI/Security/userCheck"
    status, head = await http_once(dev["address"], path)
    challenge = next(
        (ln for ln in head.split("\r\n") if ln.lower().startswith("www-authenticate: digest")), ""
    )
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    if status != 401 or not challenge:
        return False
    realm, nonce = params["realm"], params["nonce"]
    ha1, ha2 = md5(f"{cred['username']}:{realm}:{cred['password']}"), md5(f"GET:{path}")
    resp = md5(f"{ha1}:{nonce}:00000001:abcdef:auth:{ha2}")
    auth = (
        f'Authorization: Digest username="{cred["username"]}", realm="{realm}", nonce="{nonce}", '
        f'uri="{path}", '
        f'response="{resp}", qop=auth, nc=00000001, cnonce="abcdef"\r\n'
    )
    status, _unused = await http_once(dev["address"], path, auth)
    return status == 200


async def telnet_login(dev: dict) -> bool:
    cred = dev["credentials"][0]
    reader, writer = await asyncio.open_connection(dev["address"], 23)
    buf = b""
    try:
        for send, want in ((None, b"login: "), (cred["username"], b"Password: "), (cred["password"], b"# ")):
            if send is not None:
                writer.write(send.encode() + b"\r\n")
            while want not in buf:
                chunk = await reader.read(1024)
                if not chunk:
                    return False
                buf += chunk
            buf = buf[buf.index(want) + len(want) :]
        writer.write(b"exit\r\n")
        return True
    finally:
        writer.close()


async def ssh_login(dev: dict) -> bool:
    import asyncssh

    cred = dev["credentials"][0]
    try:
        async with asyncssh.connect(
            dev["address"],
            username=cred["username"],
            password=cred["password"],
            known_hosts=None,
            client_keys=None,
            login_timeout=10,
        ) as conn:
            result = await conn.run("true", check=False)
            return result.exit_status == 0
    except (asyncssh.Error, OSError):
        return False


async def hammer(devices: list[dict], login, seconds: float, concurrency: int) -> tuple[int, int, float]:
    ok = fail = 0
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()

    async def worker(i: int) -> None:
        nonlocal ok, fail
        n = i
        while time.monotonic() < deadline:
            try:
                good = await asyncio.wait_for(login(devices[n % len(devices)]), 10)
            except (OSError, TimeoutError, ValueError):
                good = False
            ok += good
            fail += not good
            n += concurrency

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return ok, fail, time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", default="large")
    ap.add_argument("--rebase", help="run the site in another loopback subnet (e.g. 127.26.0.0/22)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=200)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    with tempfile.TemporaryDirectory(prefix="iotlab-bench-") as tmp:
        site = LabSite(args.site, state_dir=Path(tmp) / args.site, rebase=args.rebase)
        t0 = time.monotonic()
        site.up(fresh=True)
        up = time.monotonic() - t0
        status = site.control.status()
        pid = status["pid"]
        print(f"site {args.site}: {status['devices']} devices, {status['switches']} switches")
        print(f"  lab up (fresh, until every listener is bound): {up:.2f} s wall")
        print(f"  in-process start (every device and switch listening): {status['startup_seconds']:.2f} s")
        print(f"  RSS after start: {rss_mib(pid):.0f} MiB; open fds: {fds(pid)} (nofile limit {soft}/{hard})")
        try:
            devices = site.truth["devices"]
            for label, kind, login in (
                ("HTTP Basic (voip_phone /api/status)", "voip_phone", basic_login),
                ("HTTP Digest (hikvision userCheck, 2 requests)", "hikvision_camera", digest_login),
                ("telnet login (busybox_device)", "busybox_device", telnet_login),
                ("SSH password login + exec (hikvision_nvr)", "hikvision_nvr", ssh_login),
            ):
                pool = [d for d in devices if d["kind"] == kind]
                if not pool:
                    continue
                ok, fail, took = asyncio.run(hammer(pool, login, args.seconds, args.concurrency))
                print(
                    f"  {label}: {ok / took:.0f} logins/s ok over {len(pool)} devices, "
                    f"{fail} failed, concurrency {args.concurrency}, {took:.1f} s"
                )
            print(f"  RSS after load: {rss_mib(pid):.0f} MiB")
        finally:
            t1 = time.monotonic()
            site.down()
            print(f"  lab down: {time.monotonic() - t1:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
