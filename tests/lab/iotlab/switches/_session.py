# SPDX-License-Identifier: GPL-3.0-or-later
"""One interactive SSH shell on a simulated switch: echo, line reading, dispatch, faults."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from ._cli import MAX_LINE, Failure, Grammar, Match

if TYPE_CHECKING:  # pragma: no cover
    from . import SwitchSim


class SessionClosed(Exception):
    """The session ended (client left, a fault dropped it, or the switch stopped)."""


class Session:
    """Base of a dialect's shell. Subclasses give grammars per mode and ``do_<name>`` handlers.

    A handler is a coroutine taking the matched arguments; it writes its own output with
    ``self.write`` and returns True when it changed the switch's state.
    """

    grammars: ClassVar[dict[str, Grammar]] = {}
    parent_mode: ClassVar[dict[str, str]] = {}

    def __init__(self, sim: SwitchSim, process: Any, user: str, slow: bool) -> None:
        self.sim = sim
        self.process = process
        self.user = user
        self.slow = slow
        self.mode = ""
        self._pending = ""
        self._skip_lf = False
        self._closing = False
        self.current_line = ""

    # ---- state shortcuts -------------------------------------------------------------
    @property
    def running(self) -> dict:
        return self.sim.state["running"]

    @property
    def hostname(self) -> str:
        return self.running["hostname"]

    # ---- I/O ---------------------------------------------------------------------------
    def write(self, text: str) -> None:
        if self._closing:
            return
        try:
            self.process.stdout.write(text.replace("\n", "\r\n").encode("utf-8", "replace"))
        except Exception as exc:  # channel already gone
            raise SessionClosed() from exc

    async def _read_chunk(self) -> None:
        try:
            data = await self.process.stdin.read(4096)
        except Exception as exc:  # BreakReceived, TerminalSizeChanged, connection lost
            if exc.__class__.__name__ == "TerminalSizeChanged":
                return
            raise SessionClosed() from exc
        if not data:
            raise SessionClosed()
        self._pending += data.decode("utf-8", "replace")

    async def read_key(self) -> str:
        """One keystroke (answers to y/n questions and "Press any key"); skips line ends
        left over from a previous line."""
        while True:
            if not self._pending:
                await self._read_chunk()
            ch, self._pending = self._pending[0], self._pending[1:]
            if self._skip_lf and ch == "\n":
                self._skip_lf = False
                continue
            self._skip_lf = ch == "\r"
            return ch

    async def read_line(self, echo: bool = True) -> str:
        """One line, echoed as typed (one write per chunk received, not per character)."""
        line: list[str] = []
        while True:
            if not self._pending:
                await self._read_chunk()
            data, self._pending = self._pending, ""
            shown: list[str] = []
            for i, ch in enumerate(data):
                if self._skip_lf and ch == "\n":
                    self._skip_lf = False
                    continue
                self._skip_lf = False
                if ch in "\r\n":
                    self._skip_lf = ch == "\r"
                    self._pending = data[i + 1 :]
                    self.write(("".join(shown) if echo else "") + "\n")
                    return "".join(line)
                if ch in "\x08\x7f":
                    if line:
                        line.pop()
                        shown.append("\b \b")
                    continue
                if ch == "\x03":  # Ctrl-C abandons the line
                    line.clear()
                    continue
                if ch < " " or len(line) >= MAX_LINE:
                    continue
                line.append(ch)
                shown.append(ch)
            if echo and shown:
                self.write("".join(shown))

    # ---- the dialect's side ------------------------------------------------------------
    def prompt(self) -> str:  # pragma: no cover - dialects override
        raise NotImplementedError

    def error(self, failure: Failure, line: str) -> str:  # pragma: no cover
        raise NotImplementedError

    def reject_message(self, op: str, line: str) -> str:  # pragma: no cover
        raise NotImplementedError

    async def greet(self) -> None:
        """Runs once after the shell opens, before the first prompt."""

    def initial_mode(self) -> str:  # pragma: no cover
        raise NotImplementedError

    # ---- the loop ------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            self.mode = self.initial_mode()
            await self.greet()
            self.write(self.prompt())
            while not self._closing:
                line = await self.read_line()
                if self.slow:
                    await asyncio.sleep(self.sim.slow_delay)
                await self.execute(line)
                if not self._closing:
                    self.write(self.prompt())
        except SessionClosed:
            pass
        finally:
            self._closing = True
            try:
                self.process.exit(0)
            except Exception:  # noqa: BLE001, S110 - the channel may already be gone
                pass

    def lookup(self, line: str) -> tuple[Match | Failure, str]:
        """Match in the current mode, then in its parent modes (a sub-mode falls back to
        global config, as IOS and ProCurve do)."""
        mode = self.mode
        first: Match | Failure | None = None
        while mode:
            result = self.grammars[mode].match(line)
            if isinstance(result, Match):
                return result, mode
            if first is None:
                first = result
            mode = self.parent_mode.get(mode, "")
        assert first is not None
        return first, self.mode

    async def execute(self, line: str) -> None:
        if not line.strip():
            return
        self.current_line = line
        result, mode = self.lookup(line)
        if isinstance(result, Failure):
            self.write(self.error(result, line))
            return
        if mode != self.mode:
            self.leave_submode(mode)
        await self.run_guarded(result, line)

    def leave_submode(self, mode: str) -> None:
        self.mode = mode

    async def run_guarded(self, match: Match, line: str) -> None:
        fault = self.sim._fault(match.op) if match.op else None
        if fault == "drop_before":
            await self.drop()
        if fault == "timeout":
            await self.hang()
        if fault == "reject":
            self.write(self.reject_message(match.op or "", line))
            return
        if fault == "slow" and not self.slow:
            self.slow = True
            await asyncio.sleep(self.sim.slow_delay)
        handler = getattr(self, "do_" + match.handler)
        changed = await handler(*match.args)
        if changed:
            self.sim._changed()
        if fault == "drop_after":
            await self.drop()

    async def drop(self) -> None:
        """Cut the connection as a crash or a link flap would: no goodbye."""
        self._closing = True
        conn = self.process.get_extra_info("connection")
        if conn is not None:
            conn.abort()
        raise SessionClosed()

    async def hang(self) -> None:
        """Stop answering; wait until the client gives up or the switch stops."""
        self._closing = True
        try:
            await self.process.channel.wait_closed()
        finally:
            raise SessionClosed()

    def close(self) -> None:
        """A clean logout: the shell ends after the current output."""
        self._closing = False
        self.process.exit(0)
        self._closing = True
