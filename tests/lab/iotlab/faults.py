# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults on demand: per device and per operation, set at run time.

A fault entry matches a device name (or ``*``) and an operation (or ``*``). ``take()`` is
called by a device at the point where the operation happens and returns the fault to act
on (or ``None``). ``times`` bounds how often a fault fires; ``flap`` fires on every other
call.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

FAULTS = ("drop_before", "drop_after", "reject", "slow", "timeout", "flap")
OPERATIONS = (
    "connect",
    "login",
    "verify",
    "change_password",
    "get_config",
    "set_config",
    "*",
)
DEFAULT_SLOW_SECONDS = 3.0


@dataclass
class FaultEntry:
    device: str
    operation: str
    fault: str
    times: int | None = None  # None: until cleared
    delay: float = DEFAULT_SLOW_SECONDS
    fired: int = 0
    calls: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


class FaultTable:
    """Thread-safe table of active faults."""

    def __init__(self) -> None:
        self._entries: list[FaultEntry] = []
        self._lock = threading.Lock()

    def set(
        self,
        device: str,
        operation: str,
        fault: str,
        times: int | None = None,
        delay: float | None = None,
    ) -> FaultEntry:
        if fault not in FAULTS:
            raise ValueError(f"fault={fault!r} is not a fault; use one of {', '.join(FAULTS)}")
        if not device:
            raise ValueError("device='' is empty; give a device name from ground-truth.json or '*'")
        if not operation:
            raise ValueError("operation='' is empty; use e.g. login, change_password, set_config or '*'")
        if times is not None and times < 1:
            raise ValueError(f"times={times!r} must be a positive count (or omitted for 'until cleared')")
        if delay is not None and not 0 < delay <= 600:
            raise ValueError(f"delay={delay!r} must be between 0 and 600 seconds")
        entry = FaultEntry(device, operation, fault, times, DEFAULT_SLOW_SECONDS if delay is None else delay)
        with self._lock:
            self._entries = [e for e in self._entries if (e.device, e.operation) != (device, operation)]
            self._entries.append(entry)
        return entry

    def clear(self, device: str | None = None) -> int:
        with self._lock:
            before = len(self._entries)
            if device is None:
                self._entries = []
            else:
                self._entries = [e for e in self._entries if e.device != device]
            return before - len(self._entries)

    def entries(self) -> list[dict]:
        with self._lock:
            return [e.to_dict() for e in self._entries]

    def lookup(self, device: str, operation: str) -> FaultEntry | None:
        """The most specific entry for (device, operation) without consuming it."""
        with self._lock:
            return self._find(device, operation)

    def _find(self, device: str, operation: str) -> FaultEntry | None:
        best: tuple[int, FaultEntry] | None = None
        for e in self._entries:
            if e.device not in (device, "*") or e.operation not in (operation, "*"):
                continue
            score = (e.device == device) * 2 + (e.operation == operation)
            if best is None or score > best[0]:
                best = (score, e)
        return best[1] if best else None

    def take(self, device: str, operation: str) -> FaultEntry | None:
        """The fault to act on now for this call (consumes one of ``times``)."""
        with self._lock:
            e = self._find(device, operation)
            if e is None:
                return None
            e.calls += 1
            if e.fault == "flap" and e.calls % 2 == 0:
                return None
            e.fired += 1
            if e.times is not None and e.fired >= e.times:
                self._entries.remove(e)
            return e
