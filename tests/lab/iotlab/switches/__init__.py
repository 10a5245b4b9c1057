# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulated managed switches for the lab: stateful, SSH, driven by netmiko as real devices.

DOCSTRING_PLACEHOLDER
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import asyncssh

from . import _model
from ._session import Session

__all__ = ["DIALECTS", "FAULTS", "OPERATIONS", "SwitchSim"]

OPERATIONS = ("login", "config", "write_memory", "change_password")
FAULTS = ("drop_before", "drop_after", "reject", "slow", "timeout", "flap")
DIALECTS = ("cisco_ios", "hp_procurve")
LOGIN_TIMEOUT = 60.0


def _session_class(dialect: str) -> type[Session]:
    if dialect == "cisco_ios":
        from .cisco_ios import CiscoIosSession

        return CiscoIosSession
    from .hp_procurve import HpProcurveSession

    return HpProcurveSession


class _Server(asyncssh.SSHServer):
    """One SSH connection: password authentication against the switch's current users."""

    def __init__(self, sim: SwitchSim) -> None:
        self._sim = sim
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._sim._conns.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._sim._conns.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        sim = self._sim
        conn = self._conn
        fault = sim._fault("login")
        if fault == "drop_before":
            if conn is not None:
                conn.abort()  # no auth answer at all: the link just goes
                await conn.wait_closed()
            return False
        if fault == "reject":
            return False
        if fault == "timeout":
            if conn is not None:
                await conn.wait_closed()
            return False
        slow = fault == "slow"
        if slow:
            await asyncio.sleep(sim.slow_delay)
        user = sim.state["running"]["users"].get(username)
        stored = user.get("secret") if user else None
        ok = await asyncio.to_thread(_model.verify, password, stored)
        if ok and conn is not None:
            conn.set_extra_info(iotlab_slow=slow, iotlab_drop_after=fault == "drop_after")
        return ok


class SwitchSim:
    """A managed switch (``cisco_ios`` or ``hp_procurve`` dialect) listening for SSH."""

    #: seconds the "slow" fault waits before each answer (an attribute, so tests may shorten it)
    slow_delay: float = 2.0

    def __init__(
        self,
        *,
        name: str,
        dialect: str,
        address: str,
        port: int,
        username: str,
        password: str,
        enable_secret: str | None,
        interfaces: list[str],
        mac_table: list[tuple[str, int, str]],
        state: dict,
        on_change: Callable[[], None],
        fault_for: Callable[[str], str | None],
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect: {dialect!r} is not supported; use one of {DIALECTS}")
        if not isinstance(name, str) or not name or len(name) > 63:
            raise ValueError(f"name: {name!r} must be a hostname of 1 to 63 characters")
        if not name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"name: {name!r} may hold only letters, digits, '-' and '_' (it is the prompt)")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port: {port!r} must be an integer from 1 to 65535")
        if not username or any(c.isspace() for c in username):
            raise ValueError(f"username: {username!r} must be one word without spaces")
        if not password:
            raise ValueError("password: must not be empty; give the switch's login password")
        if not interfaces:
            raise ValueError("interfaces: must list at least one port, e.g. ['Gi1/0/1']")
        if len(set(interfaces)) != len(interfaces):
            raise ValueError(f"interfaces: {interfaces!r} holds duplicates; name each port once")
        _session_class(dialect).check_interfaces(interfaces)
        self.name = name
        self.dialect = dialect
        self.address = address
        self.port = port
        self.interfaces = list(interfaces)
        self.mac_table = _model.check_mac_table(mac_table, interfaces)
        self.state = state
        self._on_change = on_change
        self._fault_for = fault_for
        self._factory = {
            "username": username,
            "password": password,
            "enable_secret": enable_secret,
        }
        self._server: Any = None
        self._conns: set[asyncssh.SSHServerConnection] = set()
        self._sessions: set[asyncio.Task] = set()
        self._flap: dict[str, int] = {}
        self.started_at = time.time()

    # ---- life cycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Boot: load the saved config into running (unsaved changes are lost), listen."""
        if self._server is not None:
            raise RuntimeError(f"switch {self.name}: already started")
        if not self.state:
            cfg = await asyncio.to_thread(
                _model.factory_config,
                hostname=self.name,
                dialect=self.dialect,
                interfaces=self.interfaces,
                mac_table=self.mac_table,
                **self._factory,
            )
            key = asyncssh.generate_private_key("ssh-ed25519")
            self.state.update(
                {
                    "schema": _model.SCHEMA,
                    "dialect": self.dialect,
                    "host_key": key.export_private_key().decode(),
                    "startup": cfg,
                    "running": _model.clone(cfg),
                    "boots": 0,
                }
            )
        elif self.state.get("schema") != _model.SCHEMA or self.state.get("dialect") != (self.dialect):
            raise ValueError(
                f"state: switch {self.name} was given state of schema "
                f"{self.state.get('schema')!r}/{self.state.get('dialect')!r}; expected "
                f"{_model.SCHEMA}/{self.dialect!r}: pass {{}} to start from factory config"
            )
        self.state["running"] = _model.clone(self.state["startup"])
        self.state["boots"] = self.state.get("boots", 0) + 1
        self.started_at = time.time()
        self._changed()
        host_key = asyncssh.import_private_key(self.state["host_key"])
        self._server = await asyncssh.create_server(
            lambda: _Server(self),
            self.address,
            self.port,
            server_host_keys=[host_key],
            process_factory=self._handle,
            encoding=None,
            line_editor=False,
            login_timeout=LOGIN_TIMEOUT,
            keepalive_interval=0,
            server_version="Cisco-1.25" if self.dialect == "cisco_ios" else "OpenSSH_7.9",
        )

    async def stop(self) -> None:
        """Power off: close the listener and every open session."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for conn in list(self._conns):
            conn.abort()
        for task in list(self._sessions):
            task.cancel()
        await server.wait_closed()
        if self._sessions:
            await asyncio.gather(*self._sessions, return_exceptions=True)
        self._conns.clear()

    # ---- hooks ---------------------------------------------------------------------------
    def _changed(self) -> None:
        self._on_change()

    def _fault(self, op: str) -> str | None:
        fault = self._fault_for(op)
        if fault is None:
            return None
        if fault not in FAULTS:
            raise ValueError(f"fault_for({op!r}) returned {fault!r}; expected None or {FAULTS}")
        if fault == "flap":
            count = self._flap.get(op, 0)
            self._flap[op] = count + 1
            return "drop_before" if count % 2 == 0 else None
        return fault

    async def _handle(self, process: asyncssh.SSHServerProcess) -> None:
        conn = process.get_extra_info("connection")
        task = asyncio.current_task()
        if task is not None:
            self._sessions.add(task)
        try:
            if conn.get_extra_info("iotlab_drop_after"):
                conn.abort()
                return
            username = process.get_extra_info("username") or ""
            cls = _session_class(self.dialect)
            session = cls(self, process, username, bool(conn.get_extra_info("iotlab_slow")))
            await session.run()
        finally:
            if task is not None:
                self._sessions.discard(task)
