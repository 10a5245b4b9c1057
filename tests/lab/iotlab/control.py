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


SHARDS_FILE = "shards.json"
# exit code of `lab down SITE` / `lab status SITE` when no such site is running
NOT_UP = 3


def shard_dirs(state_dir: Path) -> list[Path]:
    """State directories of a site served by several processes (empty: one process)."""
    try:
        doc = json.loads((Path(state_dir) / SHARDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(state_dir) / name for name in doc.get("shards", [])]


def merge_truth(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One site's ground truth from its shards' (in shard order)."""
    merged = dict(parts[0], devices=[], switches=[], exposures=[])
    for part in parts:
        for key in ("devices", "switches", "exposures"):
            merged[key].extend(part.get(key) or [])
    return merged


class LabControl:
    """A handle on one running site (by its state directory).

    A site served by several processes (``lab up`` of a large site) is answered by its
    shards: ground truth and status are merged, a fault goes to the shard that has the
    device.
    """

    def __init__(self, state_dir: Path | str, timeout: float = 10.0) -> None:
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.shards = [LabControl(d, timeout) for d in shard_dirs(self.state_dir)]

    @classmethod
    def for_site(cls, site: str) -> LabControl:
        return cls(state_dir_for(site))

    @property
    def ground_truth_path(self) -> Path:
        return self.state_dir / "ground-truth.json"

    def request(self, **msg: Any) -> dict[str, Any]:
        if self.shards:
            return self._request_shards(msg)
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

    def _request_shards(self, msg: dict[str, Any]) -> dict[str, Any]:
        replies, errors = [], []
        for shard in self.shards:
            try:
                replies.append(shard.request(**msg))
            except LabError as exc:
                errors.append(str(exc))
        cmd = msg.get("cmd")
        if cmd in ("fault", "screen"):  # the one shard that has the device (or every one, for '*')
            if replies:
                return replies[0]
            raise LabError(errors[-1])
        if errors:
            raise LabError(errors[0])
        reply = dict(replies[0])
        if cmd == "status":
            reply["devices"] = sum(r["devices"] for r in replies)
            reply["faults"] = [f for r in replies for f in r.get("faults", [])]
            reply["pids"] = [r["pid"] for r in replies]
            reply["startup_seconds"] = max(r["startup_seconds"] for r in replies)
            reply["state_dir"] = str(self.state_dir)
        elif cmd == "clear":
            reply["cleared"] = sum(r["cleared"] for r in replies)
        elif cmd == "faults":
            reply["faults"] = [f for r in replies for f in r["faults"]]
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

    def screen(self, device: str, username: str, password: str) -> None:
        """Set a credential as an engineer does on the device's own screen (a thermostat)."""
        self.request(cmd="screen", device=device, username=username, password=password)

    def clear(self, device: str | None = None) -> int:
        return self.request(cmd="clear", device=device)["cleared"]

    def faults(self) -> list[dict[str, Any]]:
        return self.request(cmd="faults")["faults"]

    def ground_truth(self, fresh: bool = True) -> dict[str, Any]:
        """The ground truth as the site holds it now (``fresh`` flushes pending changes first)."""
        if self.shards:
            return merge_truth([shard.ground_truth(fresh) for shard in self.shards])
        if fresh:
            self.request(cmd="flush")
        return json.loads(self.ground_truth_path.read_text(encoding="utf-8"))

    def shutdown(self) -> None:
        self.request(cmd="shutdown")
