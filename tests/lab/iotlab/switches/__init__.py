# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulated managed switches for the lab: stateful, SSH, driven by netmiko as real devices.

Switches
========

What it is
----------
``SwitchSim`` is one managed switch listening for SSH (asyncssh) on ``address:port``.
netmiko drives it with its stock drivers, ``device_type="cisco_ios"`` or
``"hp_procurve"``, and the output of its show commands parses with the ntc-templates
that ship with netmiko (``send_command(..., use_textfsm=True)``): IOS ``show version``,
``show vlan [brief]``, ``show mac address-table``, ``show interfaces status``; ProCurve
``show vlans``, ``show mac-address``, ``show interfaces brief``. ProCurve ``show version``
and ``show vlans N`` print what a 2530 prints, which netmiko's templates (written for
other output) reject: read those as text. One
asyncio loop can host dozens of them: each costs one listening socket and one task per
open session. Password checks (scrypt) run in a worker thread, not on the loop.

Contract::

    sim = SwitchSim(name="SW-ACC-01", dialect="cisco_ios", address="127.20.0.2", port=22,
                    username="admin", password="...", enable_secret="..." | None,
                    interfaces=["Gi1/0/1", ...], mac_table=[("aa:bb:cc:dd:ee:ff", 10, "Gi1/0/5")],
                    state=<dict, {} at first start>, on_change=<callable>,
                    fault_for=<callable op -> None | fault>,
                    arp_table=[("127.20.0.10", "aa:bb:cc:dd:ee:ff")])
    await sim.start()    # returns once listening
    await sim.stop()     # closes the listener and every session (a power-off)

Bad arguments raise ``ValueError`` naming the field, the value and the fix.

State (``state``, JSON-serialisable, mutated in place)
------------------------------------------------------
``{"schema": 1, "dialect", "host_key", "startup": cfg, "running": cfg, "boots"}`` where
``cfg = {"hostname", "vlans": {"<id>": name}, "ports": {port: {"description",
"shutdown", "mode": "access"|"trunk", "vlan": untagged/access VLAN, "tagged": [ids]}},
"users": {name: {"level", "secret"}}, "enable_secret"}``.

- First start (``{}``): factory config. Every port in VLAN 1, except that a port whose
  MACs (``mac_table``) all sit in one VLAN is an access port of that VLAN (the VLAN is
  created as ``VLAN0010`` / ``VLAN10``) and a port with MACs in several VLANs is a trunk
  carrying them (an uplink). The host key (ed25519) is made once and kept in the state.
- ``start()`` is a boot: ``running`` is reset from ``startup``. Only ``write memory`` /
  ``copy run start`` (or answering "y" to ProCurve's save question at logout) copies
  running to startup, so unsaved changes are lost across ``stop()``/``start()``. If
  ``interfaces`` changed since the state was saved, ports the chassis lacks are dropped
  and new ones get factory settings; everything else saved is kept.
- ``on_change()`` is called after every change (config, save, boot): persist then.
- ARP table: an L3 switch resolves the addresses of the hosts it routes for. ``arp_table``
  lists (address, MAC) pairs; ``show ip arp`` (IOS) / ``show arp`` (ProCurve) print those
  whose MAC the switch learns now (in the VLAN the MAC table shows), plus the switch's own
  management address. An address whose MAC is no longer learnt has aged out.
- Secrets are never stored in clear: users' passwords and the enable secret are IOS type 9
  hashes (``$9$`` + scrypt). Changing one through config makes the old one fail at the
  next login (or ``enable``) at once; after a restart, the saved one applies.
- MAC table: derived, not stored. A MAC on an access port shows in that port's current
  VLAN (so it moves when the port's access/untagged VLAN changes); on a trunk it shows in
  its own VLAN if the trunk carries it (an IOS trunk with no allowed list carries all);
  shut ports and deleted VLANs learn nothing.

Logins
------
- ``cisco_ios``: the constructor's user is privilege 1 when ``enable_secret`` is given
  (lands at ``>``; netmiko's ``enable()`` with ``secret=`` gets ``#``), else privilege 15
  (lands at ``#``). A wrong enable secret gets ``Password:`` again, then ``% Bad secrets``.
- ``hp_procurve``: the constructor's user is the manager (lands at ``#``); the
  ``enable_secret`` is not used. On connect the switch prints its banner and
  ``Press any key to continue`` and waits for one key, as netmiko's driver expects. An
  operator (``password operator ...``) lands at ``>``; ``enable`` asks ``Username:`` and
  ``Password:`` of the manager. ``logout`` asks ``Do you want to save the current
  configuration [y/n/^C]?`` when running differs from startup, then ``Do you want to log
  out [y/n]?``.

Commands (keywords take any unique prefix: ``sh vl br``, ``conf t``, ``int gi1/0/5``)
------------------------------------------------------------------------------------
cisco_ios, exec: ``show version``, ``show vlan [brief]``, ``show ip arp``, ``show mac address-table``
(also ``show mac-address-table``), ``show interfaces status``, ``show running-config``
(secrets as ``secret 9 $9$...``), ``show startup-config``, ``terminal length N``,
``terminal width N``, ``enable``, ``disable``, ``configure terminal``, ``write [memory]``,
``copy running-config startup-config`` (asks ``Destination filename [startup-config]?``),
``exit``/``logout``. Config: ``vlan N`` (then ``name X`` / ``no name``), ``no vlan N`` (its
ports stay assigned and show ``inactive``), ``interface <name>`` (``Gi1/0/5``,
``gi1/0/5``, ``GigabitEthernet1/0/5``) or ``interface range gi1/0/1 - 4, gi1/0/6``
(then ``switchport mode access|trunk``, ``switchport trunk allowed vlan
all|<list>|add <list>|remove <list>``, ``switchport access vlan N`` (creates a
missing VLAN, as IOS says), ``no switchport access vlan``, ``description ...``, ``no
description``, ``shutdown``, ``no shutdown``),
``hostname X``, ``username X [privilege N] secret [0|9] Y``, ``no username X``,
``enable secret [0|9] Y``, ``no enable secret``, ``do <exec command>``, ``exit``, ``end``.
A sub-mode falls back to global config, as IOS does. Errors as IOS prints them: the
``^`` under the offending word and ``% Invalid input detected at '^' marker.``,
``% Incomplete command.``, ``% Ambiguous command:  "..."``.

hp_procurve, manager level: ``show vlans``, ``show mac-address``, ``show arp``, ``show interfaces
brief``, ``show vlans N`` (its ports, Untagged/Tagged, Up/Down), ``show
running-config`` (``password manager`` without the credential),
``show config`` (startup), ``show version``, ``no page``, ``terminal length|width N``,
``configure [terminal]``, ``write memory``, ``logout``/``exit``. Config (show and write
commands work there too): ``vlan N`` (context: ``name X``, ``untagged P``, ``tagged P``,
``no untagged P``, ``no tagged P``), ``vlan N name X``, ``vlan N untagged P``, ``vlan N
tagged P``, ``no vlan N`` (its ports return to DEFAULT_VLAN), ``interface P`` (context:
``name X``, ``no name``, ``disable``, ``enable``), ``hostname X``, ``password
manager|operator user-name X plaintext Y``, ``exit``, ``end``. Port lists: ``5``,
``1-4,6``, ``A1-A4``. Errors: ``Invalid input: <word>``, ``Module not present for port or
invalid port: <p>``.

Device text is bounded and control characters are stripped (descriptions 240, names 32).

Faults (``fault_for(op)``)
--------------------------
Asked once per login (``op="login"``) and before each command of a class: ``config``
(any config command that changes state, ``vlan N`` included), ``change_password``
(``username``/``enable secret``/``password manager|operator``), ``write_memory``
(``write memory``, ``copy run start``). Answers:

- ``drop_before``: the TCP connection is cut before the command applies (login: before any
  auth answer; paramiko calls that "transport shut down or saw EOF").
- ``drop_after``: the command applies, then the connection is cut (login: auth succeeds,
  the shell is cut at once).
- ``reject``: the command is refused with the dialect's error and nothing changes. login:
  the password is refused. config: ``% Invalid input detected at '^' marker.`` /
  ``Invalid input: <word>``. write_memory: ``%Error opening nvram:startup-config (Device
  or resource busy)`` / ``Unable to save the configuration: ...``. change_password:
  ``% Password too short - must be at least 8 characters. Password configuration
  failed`` / ``Password does not meet the minimum length requirement.``
- ``slow``: from then on this session answers each line after ``SwitchSim.slow_delay``
  (2 s; an attribute a test may shorten). login: the auth answer is late too.
- ``timeout``: the session stops answering (login: no auth answer) until the client
  leaves or the switch stops.
- ``flap``: every other time this op is asked, starting with the first, it is
  ``drop_before``; the others go through (a retry succeeds).

Any other answer raises ``ValueError`` naming the op and the value.

Tests: ``tests/integration/lab_switches`` (netmiko against switches on 127.99.20.0/24).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import asyncssh

from ..net import bind_tcp
from ..netns import bound_in
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
        arp_table: list[tuple[str, str]] | None = None,
        netns: str | None = None,
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
        self.arp_table = _model.check_arp_table(arp_table)
        self.state = state
        # a routed site: the namespace of the management VLAN the switch listens in
        self.netns = netns
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
        # a site file may have grown or shrunk the chassis since the state was saved
        _model.reconcile_ports(self.state["startup"], self.dialect, self.interfaces, self.mac_table)
        self.state["running"] = _model.clone(self.state["startup"])
        self.state["boots"] = self.state.get("boots", 0) + 1
        self.started_at = time.time()
        self._changed()
        host_key = asyncssh.import_private_key(self.state["host_key"])
        where: dict[str, Any] = {"host": self.address, "port": self.port}
        if self.netns is not None:
            with bound_in(self.netns):
                where = {"sock": bind_tcp(self.address, self.port, f"switch {self.name}")}
        self._server = await asyncssh.create_server(
            lambda: _Server(self),
            **where,
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
