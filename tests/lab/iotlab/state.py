# SPDX-License-Identifier: GPL-3.0-or-later
"""The site's persistent state: one JSON file per site, written atomically (mode 0600)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATE_VERSION = 1


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (it holds secrets)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


class StateStore:
    """Holds ``{"devices": {name: {...}}, "switches": {name: {...}}}`` and persists it.

    Devices mutate their own sub-dict and call ``changed()``; the write happens soon after
    (coalesced) and always on ``flush()``. ``after_flush`` lets the lab refresh the ground
    truth from the same state.
    """

    def __init__(self, path: Path, *, delay: float = 0.05) -> None:
        self.path = path
        self.delay = delay
        self.data: dict[str, Any] = {"version": STATE_VERSION, "devices": {}, "switches": {}}
        self.after_flush: Callable[[], None] | None = None
        self._pending: asyncio.TimerHandle | None = None
        self.last_flush_seconds = 0.0
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"state file {path} is unreadable ({exc}); remove it to start from factory defaults"
                ) from exc
            if isinstance(loaded, dict) and loaded.get("version") == STATE_VERSION:
                self.data.update(loaded)

    def section(self, kind: str, name: str) -> dict[str, Any]:
        return self.data.setdefault(kind, {}).setdefault(name, {})

    def changed(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._pending is None:
            # a big site takes a while to write: space writes out so they stay a small share of the loop
            self._pending = loop.call_later(max(self.delay, 4 * self.last_flush_seconds), self.flush)

    def flush(self) -> None:
        if self._pending is not None:
            with contextlib.suppress(Exception):
                self._pending.cancel()
            self._pending = None
        t0 = time.monotonic()
        write_private(self.path, json.dumps(self.data, sort_keys=True, separators=(",", ":")))
        if self.after_flush is not None:
            self.after_flush()
        self.last_flush_seconds = time.monotonic() - t0
