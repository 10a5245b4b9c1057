# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures: simulated switches on their own loopback addresses, each in the test that
needs it, served from an asyncio loop in a background thread while netmiko (blocking)
drives them from the test."""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from iotlab.switches import SwitchSim
from netmiko import ConnectHandler

PORT = 2022
_HOSTS = itertools.count(1)

CISCO_PORTS = [f"Gi1/0/{n}" for n in range(1, 13)]
HP_PORTS = [str(n) for n in range(1, 13)]
MACS = [
    ("00:1a:2b:00:00:01", 1, 0),  # camera, still in VLAN 1
    ("00:1a:2b:00:00:02", 20, 1),  # printer, already in VLAN 20
    ("00:1a:2b:00:00:03", 1, 2),  # thermostat
    ("00:1a:2b:00:00:0a", 1, 11),  # uplink carries VLANs 1 and 20
    ("00:1a:2b:00:00:0b", 20, 11),
]


@dataclass
class Switch:
    """One simulated switch plus the knobs a test turns."""

    runner: _Runner
    kwargs: dict[str, Any]
    state: dict = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)
    #: op -> how many calls of that op go through before its fault fires (a fault mid-change)
    fault_after: dict[str, int] = field(default_factory=dict)
    #: ops whose fault fires once, then clears (the link comes back for the restore)
    fault_once: set[str] = field(default_factory=set)
    fault_calls: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    changes: int = 0
    sim: SwitchSim | None = None

    def _fault_for(self, op: str) -> str | None:
        self.fault_calls.append(op)
        if self.fault_calls.count(op) <= self.fault_after.get(op, 0):
            return None
        fault = self.faults.get(op)
        if fault:
            self.fired.append(f"{op}:{fault}")
            if op in self.fault_once:
                del self.faults[op]
        return fault

    def access(self, **overrides: Any) -> dict:
        """The switch as the collection's options name it (host, port, username, ...)."""
        spec = {
            "device_type": self.kwargs["dialect"],
            "host": self.kwargs["address"],
            "port": self.kwargs["port"],
            "username": self.kwargs["username"],
            "password": self.kwargs["password"],
            "secret": self.kwargs["enable_secret"] or "",
            "timeout": 5,
        }
        spec.update(overrides)
        return spec

    def _on_change(self) -> None:
        self.changes += 1

    def start(self) -> Switch:
        self.sim = SwitchSim(
            **self.kwargs,
            state=self.state,
            on_change=self._on_change,
            fault_for=self._fault_for,
        )
        self.runner.run(self.sim.start())
        return self

    def stop(self) -> None:
        if self.sim is not None:
            self.runner.run(self.sim.stop())

    def restart(self) -> None:
        """Power-cycle with the same state dict (what the lab does on `lab down/up`)."""
        self.stop()
        self.start()

    @property
    def running(self) -> dict:
        return self.state["running"]

    @property
    def startup(self) -> dict:
        return self.state["startup"]

    def connect(self, *, enable: bool = True, **overrides: Any) -> Any:
        """A netmiko session; in enable mode unless told otherwise."""
        params = self.access(conn_timeout=5, auth_timeout=5, banner_timeout=5)
        del params["timeout"]
        params.update(overrides)
        conn = ConnectHandler(**params)
        if enable:
            conn.enable()
        return conn


class _Runner:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="session")
def runner():
    r = _Runner()
    yield r
    r.close()


@pytest.fixture
def make_switch(runner):
    """make_switch("cisco_ios" | "hp_procurve", **overrides) -> a started Switch."""
    made: list[Switch] = []

    def make(dialect: str, **overrides: Any) -> Switch:
        n = next(_HOSTS)
        ports = CISCO_PORTS if dialect == "cisco_ios" else HP_PORTS
        kwargs = {
            "name": f"SW-{dialect.split('_')[0].upper()}-{n:02d}",
            "dialect": dialect,
            "address": f"127.99.{20 + n // 250}.{n % 250 + 1}",
            "port": PORT,
            "username": "admin",
            "password": "Factory-Pass1",
            "enable_secret": "Enable-Pass1" if dialect == "cisco_ios" else None,
            "interfaces": ports,
            "mac_table": [(mac, vlan, ports[i]) for mac, vlan, i in MACS],
        }
        kwargs.update(overrides)
        switch = Switch(runner, kwargs)
        made.append(switch)
        return switch.start()

    yield make
    for switch in made:
        switch.stop()
