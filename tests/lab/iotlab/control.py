# SPDX-License-Identifier: GPL-3.0-or-later
"""Talk to a running site: faults, status, shutdown (the Python API tests use)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from .errors import LabError

REPO_ROOT = Path(__file__).resolve().parents[3]


def state_root() -> Path:
    return Path(os.environ.get("IOTLAB_STATE_ROOT", REPO_ROOT / ".build" / "lab"))


def state_dir_for(site: str) -> Path:
    return state_root() / Path(site).stem


class LabControl:
    """A handle on one running site (by its state directory)."""

    def __init__(self, state_dir: Path | str, timeout: float = 10.0) -> None:
        self.state_dir = Path(state_dir)
        self.timeout = timeout

    @classmethod
    def for_site(cls, site: str) -> LabControl:
        return cls(state_dir_for(site))

    @property
    def ground_truth_path(self) -> Path:
        return self.state_dir / "ground-truth.json"

    def request(self, **msg: Any) -> dict[str, Any]:
        path = self.state_dir / "control.sock"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(self.timeout)
                s.connect(str(path))
                s.sendall(json.dumps(msg).encode() + b"\n")
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
        except OSError as exc:
            raise LabError(
                f"site at {self.state_dir} is not answering on {path} ({exc}); is it up? (`lab status`)"
            ) from exc
        reply = json.loads(buf or b"{}")
        if not reply.get("ok"):
            raise LabError(reply.get("error", f"no answer to {msg.get('cmd')}"))
        return reply

    def ping(self) -> bool:
        try:
            self.request(cmd="ping")
        except LabError:
            return False
        return True

    def status(self) -> dict[str, Any]:
        return self.request(cmd="status")

    def fault(
        self, device: str, operation: str, fault: str, times: int | None = None, delay: float | None = None
    ) -> dict[str, Any]:
        return self.request(
            cmd="fault", device=device, operation=operation, fault=fault, times=times, delay=delay
        )["fault"]

    def clear(self, device: str | None = None) -> int:
        return self.request(cmd="clear", device=device)["cleared"]

    def faults(self) -> list[dict[str, Any]]:
        return self.request(cmd="faults")["faults"]

    def ground_truth(self, fresh: bool = True) -> dict[str, Any]:
        """The ground truth as the site holds it now (``fresh`` flushes pending changes first)."""
        if fresh:
            self.request(cmd="flush")
        return json.loads(self.ground_truth_path.read_text(encoding="utf-8"))

    def shutdown(self) -> None:
        self.request(cmd="shutdown")
