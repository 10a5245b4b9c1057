# SPDX-License-Identifier: GPL-3.0-or-later
"""The BusyBox telnet devices: negotiation, Mirai-era logins, ``passwd`` that really changes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from iotlab.clients import Telnet
from iotlab.control import NOT_UP

pytestmark = pytest.mark.lab
LAB = Path(__file__).resolve().parents[2] / "lab" / "lab"


def test_telnet_negotiation_and_default_login(lab_site):
    dev = lab_site.first("busybox_device", "xiongmai-dvr")
    cred = dev["credentials"][0]
    assert (cred["username"], cred["password"]) == ("root", "xc3511")
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "wrong") == "bad"
        assert t.login("root", "xc3511") == "ok"
        # BusyBox telnetd opens with DO ECHO, DO NAWS, WILL ECHO, WILL SGA
        assert t.options_seen[:4] == [(253, 1), (253, 31), (251, 1), (251, 3)]
        assert "applet not found" in t.run("/bin/busybox MIRAI")
        assert dev["mac"].upper() in t.run("ifconfig")
    finally:
        t.close()


def test_busybox_passwd_changes_the_login(lab_site):
    dev = lab_site.device("cam-backdoor-01")
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "vizxv") == "ok"
        assert "don't match" in t.passwd("NewPass123", retype="Other123")
        # BusyBox only warns root about a weak password, and sets it
        t.write_line("passwd")
        t.read_until(b"New password: ")
        t.write_line("abc")
        assert "Bad password: password too short" in t.read_until(b"Retype password: ")
        t.write_line("abc")
        assert "changed by root" in t.read_until(b"# ")
        assert "changed by root" in t.passwd("NewPass123")
    finally:
        t.close()
    t = Telnet(dev["address"])
    try:
        assert t.login("root", "vizxv") == "bad"
        assert t.login("root", "NewPass123") == "ok"
    finally:
        t.close()
    cred = lab_site.device("cam-backdoor-01")["credentials"][0]
    assert cred["password"] == "NewPass123" and cred["default"] is False


SLOW_SITE = """---
name: {name}
description: one BusyBox box with the real login pause
subnet: 127.20.36.0/29
first_device_address: 127.20.36.2
switches: []
devices:
  - kind: busybox_device
    name: dvr-real
    variant: xiongmai-dvr
  - kind: busybox_device
    name: dvr-two
    variant: xiongmai-dvr
"""


def test_real_login_pause_and_down_by_name_of_a_site_from_a_path(tmp_path):
    # a site file whose stem is not its name, started from its path
    site_file = tmp_path / "one-box.yml"
    site_file.write_text(SLOW_SITE.format(name="pause-test"))
    env = {**os.environ, "IOTLAB_PYTHON": sys.executable, "IOTLAB_STATE_ROOT": str(tmp_path / "state")}

    def lab(*args):
        return subprocess.run(
            [str(LAB), *args], capture_output=True, text=True, timeout=60, check=False, env=env
        )

    up = lab("up", str(site_file), "--fresh")
    assert up.returncode == 0, up.stderr
    shard_pids: list[int] = []
    pid = int((tmp_path / "state" / "one-box" / "lab.pid").read_text())
    try:
        t = Telnet("127.20.36.2")
        try:
            start = time.monotonic()
            assert t.login("root", "wrong") == "bad"
            assert time.monotonic() - start >= 2.9  # BusyBox login's pause
        finally:
            t.close()
        # the collection's driver at the assessment's 3 s timeout hears the refusal after the
        # pause (refused, not "unreachable"/undecided) and still logs in with the right one
        driver = get_driver("telnet_busybox", "127.20.36.2", timeout=3.0)
        start = time.monotonic()
        assert driver.login("root", "wrong") is False
        assert time.monotonic() - start >= 2.9
        assert driver.login("root", "xc3511") is True
        driver.close()
        # stopped by the name inside the file
        down = lab("down", "pause-test")
        assert down.returncode == 0 and "down" in down.stdout and "not up" not in down.stdout, down.stdout
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        assert not _alive(pid)
        # a site that is really not up: a non-zero exit and a message that says so
        again = lab("down", "pause-test")
        assert again.returncode == NOT_UP and "site pause-test is not up" in again.stderr, again
        # the same file served by two processes: found by its name through the shards
        up = lab("up", str(site_file), "--fresh", "--processes", "2")
        assert up.returncode == 0, up.stderr
        shard_pids = [
            int((tmp_path / "state" / "one-box" / s / "lab.pid").read_text()) for s in ("shard-0", "shard-1")
        ]
        assert lab("status", "pause-test").returncode == 0
        down = lab("down", "pause-test")
        assert down.returncode == 0 and "site pause-test down" in down.stdout, down
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(map(_alive, shard_pids)):
            time.sleep(0.1)
        assert not any(map(_alive, shard_pids))
        assert lab("status", "pause-test").returncode == NOT_UP
    finally:
        for p in [pid, *shard_pids]:
            if _alive(p):
                os.kill(p, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
