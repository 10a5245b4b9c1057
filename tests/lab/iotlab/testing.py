# SPDX-License-Identifier: GPL-3.0-or-later
"""Bring a site up and down from Python (pytest fixtures, benchmarks, the demo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from .control import NOT_UP, LabControl, state_dir_for
from .errors import LabError

LAB_SCRIPT = Path(__file__).resolve().parent.parent / "lab"
#: a ground-truth weakness label -> the finding rule of the collection's risk catalogue that
#: names it (the tests that compare a report with what the lab planted)
WEAKNESS_RULES = {
    "default_credentials": "IOTG-DEFAULT-CREDS",
    "telnet": "IOTG-CLEARTEXT-MGMT",
    "cleartext_http": "IOTG-HTTP-NO-TLS",
    "internet_exposed": "IOTG-INTERNET-EXPOSED",
    "no_lockout": "IOTG-NO-LOCKOUT",
    "snmp_public": "IOTG-SNMP-PUBLIC",
    "mqtt_noauth": "IOTG-MQTT-NOAUTH",
    "eol_os": "IOTG-EOL",
    "smbv1": "IOTG-SMBV1",
    "dicom_no_auth": "IOTG-DICOM-NOAUTH",
    "unauthenticated_api": "IOTG-API-NOAUTH",
    "port_forwarding": "IOTG-UPNP-IGD",
    "upnp_exposed": "IOTG-UPNP-IGD",
}
#: labels that name no weakness to fix (a speaker without any management interface)
INFORMATIONAL = {"unmanageable"}


class LabSite:
    """A running site: its ground truth, and a handle to set faults and restart it."""

    def __init__(
        self,
        site: str,
        *,
        state_dir: Path | None = None,
        rebase: str | None = None,
        timeout: float = 120.0,
        processes: int | None = None,
    ) -> None:
        self.site = site
        self.rebase = rebase
        self.processes = processes
        self.state_dir = state_dir or state_dir_for(site)
        self.timeout = timeout
        self.control = LabControl(self.state_dir)
        self.truth: dict[str, Any] = {}
        self.up_seconds = 0.0

    def _run(self, *args: str, timeout: float, ok: tuple[int, ...] = (0,)) -> str:
        cmd = [sys.executable, "-m", "iotlab", *args, "--state-dir", str(self.state_dir)]
        env_path = str(LAB_SCRIPT.parent)
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": env_path},
            check=False,
        )
        if proc.returncode not in ok:
            raise LabError(
                f"`lab {' '.join(args)}` failed ({proc.returncode}): "
                f"{proc.stderr.strip() or proc.stdout.strip()}"
            )
        return proc.stdout

    def up(self, fresh: bool = True) -> LabSite:
        t0 = time.monotonic()
        self._run(
            "up",
            self.site,
            *(["--fresh"] if fresh else []),
            *(["--rebase", self.rebase] if self.rebase else []),
            *(["--processes", str(self.processes)] if self.processes else []),
            "--owner-pid",
            str(os.getpid()),
            "--timeout",
            str(self.timeout),
            timeout=self.timeout + 10,
        )
        self.up_seconds = time.monotonic() - t0
        self.control = LabControl(self.state_dir)  # a site of several processes answers through its shards
        self.refresh()
        return self

    def down(self) -> None:
        # stopping a site that is already down (a test stopped it itself) is not an error here
        self._run("down", self.site, timeout=60, ok=(0, NOT_UP))

    def restart(self) -> None:
        """Stop and start again keeping state (what a power cycle does to a device)."""
        self.down()
        self.up(fresh=False)

    def refresh(self) -> dict[str, Any]:
        self.truth = self.control.ground_truth(fresh=True)
        return self.truth

    # -- lookups --------------------------------------------------------------------------
    @property
    def devices(self) -> list[dict[str, Any]]:
        return self.truth["devices"]

    def device(self, name: str) -> dict[str, Any]:
        for d in self.refresh()["devices"]:
            if d["name"] == name:
                return d
        raise KeyError(f"no device {name!r} in site {self.site}")

    def first(self, kind: str, variant: str | None = None) -> dict[str, Any]:
        for d in self.truth["devices"]:
            if d["kind"] == kind and (variant is None or d["variant"] == variant):
                return d
        raise KeyError(f"site {self.site} has no {kind} {variant or ''}")

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.truth["devices"] if d["kind"] == kind]

    def switch(self, name: str) -> dict[str, Any]:
        return next(s for s in self.refresh()["switches"] if s["name"] == name)

    # -- faults ---------------------------------------------------------------------------
    def fault(
        self, device: str, operation: str, fault: str, times: int | None = None, delay: float | None = None
    ):
        return self.control.fault(device, operation, fault, times, delay)

    def screen(self, device: str, username: str, password: str) -> None:
        self.control.screen(device, username, password)

    def clear_faults(self) -> int:
        return self.control.clear()

    def dump(self) -> str:
        return json.dumps(self.truth, indent=1)


def running(site: LabSite, what: str) -> Iterator[LabSite]:
    """The body of a pytest fixture (``yield from running(...)``): the site up fresh, a start
    that fails being a test error that names ``what`` and the cause; down afterwards."""
    import pytest

    try:
        site.up(fresh=True)
    except Exception as exc:  # noqa: BLE001 - re-raised as a test error that names the cause
        pytest.fail(f"{what} could not start: {exc}", pytrace=False)
    try:
        yield site
    finally:
        site.down()


def tcp_outcome(netns: str | None, address: str, port: int, timeout: float = 2.0) -> str:
    """``open``, ``refused`` (a reset: nothing listens) or ``silent`` (dropped on the way:
    a firewall, no route) for one TCP connect whose socket is made in namespace ``netns``
    (None: where the caller is)."""
    import socket

    from .netns import bound_in

    with bound_in(netns):
        sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "silent"
    finally:
        sock.close()
    return "open"
