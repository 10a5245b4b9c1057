# SPDX-License-Identifier: GPL-3.0-or-later
"""What every simulated device shares: state, credentials, policy, lockout, faults, listeners.

A device kind is one subclass: ``KIND``, ``DEVICE_CLASS``, a ``VARIANTS`` table (vendor,
model, factory users, password policy, lockout, settings) and ``listeners()``. Protocol
servers live in ``iotlab.protocols`` and are shared.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import logging
import string
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import DropConnection, LabError, PolicyError
from ..net import Conn, UdpProtocol, bind_tcp, bind_udp
from ..netns import bound_in

if TYPE_CHECKING:
    from ..runtime import Lab
    from ..site import DeviceSpec

log = logging.getLogger("iotlab")

SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
HANG_SECONDS = 3600.0


@dataclass
class Listener:
    name: str  # http, rtsp, telnet, ssh, snmp, mqtt, sip, ...
    proto: str  # tcp | udp
    port: int
    handler: Callable[..., Any]  # tcp: async (Conn) -> None; udp: (data, addr) -> bytes | None
    management: bool = False  # can an administrator log in through it?
    setting: str | None = None  # settings key that switches it on and off at run time


def check_policy(policy: dict[str, Any], username: str, password: str) -> str | None:
    """Why ``password`` breaks ``policy`` (None when it is accepted)."""
    if not isinstance(password, str):
        return "password must be a string"
    lo, hi = policy.get("min_length", 1), policy.get("max_length", 64)
    if len(password) < lo:
        return f"password too short: {len(password)} characters, minimum {lo}"
    if len(password) > hi:
        return f"password too long: {len(password)} characters, maximum {hi}"
    symbols = policy.get("symbols", SYMBOLS)
    for ch in password:
        if ch in string.ascii_letters or ch in string.digits:
            continue
        if ch not in symbols:
            return f"character {ch!r} is not allowed (allowed symbols: {symbols or 'none'})"
    classes = sum(
        any(ch in group for ch in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits, symbols or "\0")
    )
    need = policy.get("min_classes", 1)
    if classes < need:
        return (
            f"password uses {classes} character classes, at least {need} of lower/upper/digit/symbol needed"
        )
    if policy.get("forbid_username", False) and username and username.lower() in password.lower():
        return "password must not contain the user name"
    return None


class Device:
    KIND: ClassVar[str] = ""
    DEVICE_CLASS: ClassVar[str] = ""
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, spec: DeviceSpec, lab: Lab) -> None:
        self.spec = spec
        self.lab = lab
        self.name = spec.name
        self.address = spec.address
        # a routed site: the namespace of the VLAN the device is on; offline on a VLAN the
        # site routes no subnet for (the lab moves it: ``move``)
        self.netns: str | None = None
        self.online = True
        if spec.variant not in self.VARIANTS:
            raise LabError(
                f"device {spec.name}: variant={spec.variant!r} is not a {self.KIND} variant; "
                f"use one of {', '.join(self.VARIANTS)}"
            )
        self.variant: dict[str, Any] = self.VARIANTS[spec.variant]
        self.state = lab.store.section("devices", spec.name)
        if not self.state:
            self.state.update(self.factory_state())
            lab.store.changed()
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        # what clients did to this device since the lab started (the tests' judge of login
        # budgets): logins tried, refused, refused while locked, lockouts, the longest run
        # of failures one user reached
        self.auth_stats = {
            "attempts": 0,
            "failures": 0,
            "while_locked": 0,
            "lockouts": 0,
            "max_failures_in_row": 0,
        }
        self._servers: dict[str, Any] = {}
        self._listeners = {lst.name: lst for lst in self.listeners()}
        self.started_at = time.time()

    # -- data --------------------------------------------------------------------------
    def factory_state(self) -> dict[str, Any]:
        v, o = self.variant, self.spec.overrides
        users: dict[str, dict[str, Any]] = {}
        for u in [*v["users"], *o.get("users", [])]:
            uid = users.get(u["username"], {}).get("id", len(users) + 1)
            users[u["username"]] = {"id": uid, "password": u["password"], "role": u.get("role", "admin")}
        return {
            "users": users,
            "lockout": {
                **v.get("lockout", {"enabled": False, "configurable": False}),
                **o.get("lockout", {}),
            },
            "settings": {**copy.deepcopy(v.get("settings", {})), **o.get("settings", {})},
        }

    @property
    def factory_users(self) -> dict[str, str]:
        users = {u["username"]: u["password"] for u in self.variant["users"]}
        users.update({u["username"]: u["password"] for u in self.spec.overrides.get("users", [])})
        return users

    @property
    def policy(self) -> dict[str, Any]:
        return {**self.variant.get("policy", {}), **self.spec.overrides.get("policy", {})}

    @property
    def settings(self) -> dict[str, Any]:
        return self.state["settings"]

    @property
    def vendor(self) -> str:
        return self.variant["vendor"]

    @property
    def model(self) -> str:
        return self.variant["model"]

    @property
    def firmware(self) -> str:
        return self.variant.get("firmware", "")

    @property
    def hostname(self) -> str:
        return self.settings.get("hostname", self.name)

    def listeners(self) -> list[Listener]:
        raise NotImplementedError

    def extra_weaknesses(self) -> set[str]:
        return set()

    def weaknesses(self) -> list[str]:
        found = set(self.spec.overrides.get("weaknesses", [])) | set(self.variant.get("weaknesses", []))
        factory = self.factory_users
        if any(factory.get(n) == u["password"] for n, u in self.state["users"].items()):
            found.add("default_credentials")
        if self.state["users"] and not self.state["lockout"].get("enabled"):
            found.add("no_lockout")
        enabled = [lst for lst in self._listeners.values() if self.listener_enabled(lst)]
        if any(lst.name == "telnet" for lst in enabled):
            found.add("telnet")
        if any(lst.name == "http" and lst.management for lst in enabled) and self.state["users"]:
            found.add("cleartext_http")
        found |= self.extra_weaknesses()
        return sorted(found)

    def ground_truth(self) -> dict[str, Any]:
        enabled = [lst for lst in self._listeners.values() if self.listener_enabled(lst)]
        return {
            "name": self.name,
            "address": self.address,
            "hostname": self.hostname,
            "kind": self.KIND,
            "class": self.DEVICE_CLASS,
            "variant": self.spec.variant,
            "vendor": self.vendor,
            "model": self.model,
            "firmware": self.firmware,
            "mac": self.spec.mac,
            "switch": self.spec.switch,
            "switch_port": self.spec.switch_port,
            "vlan": self.spec.vlan,
            "tcp_ports": sorted(lst.port for lst in enabled if lst.proto == "tcp"),
            "udp_ports": sorted(lst.port for lst in enabled if lst.proto == "udp"),
            "services": {f"{lst.port}/{lst.proto}": lst.name for lst in enabled},
            "management": sorted({lst.name for lst in enabled if lst.management}),
            "credentials": [
                {
                    "username": n,
                    "password": u["password"],
                    "role": u["role"],
                    "default": self.factory_users.get(n) == u["password"],
                }
                for n, u in sorted(self.state["users"].items())
            ],
            "factory_credentials": [
                {"username": n, "password": p} for n, p in sorted(self.factory_users.items())
            ],
            "password_policy": self.policy,
            "lockout": dict(self.state["lockout"]),
            "settings": dict(self.settings),
            "weaknesses": self.weaknesses(),
            "auth": dict(self.auth_stats),
        }

    # -- behaviour ---------------------------------------------------------------------
    def changed(self) -> None:
        self.lab.store.changed()

    async def gate(self, operation: str) -> str | None:
        """Apply a fault set for ``operation``; returns 'reject' / 'drop_after' for the caller."""
        entry = self.lab.faults.take(self.name, operation)
        if entry is None:
            return None
        log.info("fault %s on %s/%s", entry.fault, self.name, operation)
        if entry.fault in ("drop_before", "flap"):
            raise DropConnection
        if entry.fault == "timeout":
            await asyncio.sleep(HANG_SECONDS)
            raise DropConnection
        if entry.fault == "slow":
            await asyncio.sleep(entry.delay)
            return None
        return entry.fault

    def authenticate(self, username: str, check: Callable[[str], bool]) -> str:
        """'ok', 'bad' or 'locked'; ``check(stored_password)`` says whether the client proved it."""
        lockout = self.state["lockout"]
        now = time.monotonic()
        stats = self.auth_stats
        stats["attempts"] += 1
        if lockout.get("enabled") and self._locked_until.get(username, 0.0) > now:
            stats["while_locked"] += 1
            return "locked"
        user = self.state["users"].get(username)
        # an account with no password yet (un-activated, no initial admin) refuses every login
        if user is not None and user["password"] is not None and check(user["password"]):
            self._failures.pop(username, None)
            return "ok"
        count = self._failures.get(username, 0) + 1
        self._failures[username] = count
        stats["failures"] += 1
        stats["max_failures_in_row"] = max(stats["max_failures_in_row"], count)
        if lockout.get("enabled") and count >= int(lockout.get("threshold", 5)):
            self._locked_until[username] = now + float(lockout.get("duration", 60))
            self._failures[username] = 0
            stats["lockouts"] += 1
            log.info("%s: user %r locked out", self.name, username)
        return "bad"

    def check_password(self, username: str, password: str) -> str:
        return self.authenticate(
            username, lambda stored: hmac.compare_digest(stored.encode(), password.encode())
        )

    def locked_for(self, username: str) -> float:
        return max(0.0, self._locked_until.get(username, 0.0) - time.monotonic())

    def policy_problem(self, username: str, password: str) -> str | None:
        """What the device's password policy says against ``password`` (None: fine)."""
        return check_policy(self.policy, username, password)

    def login_failure_delay(self, default: float) -> float:
        """Seconds login(1) pauses after a refused password: the site's or the device
        group's ``login_failure_delay``, else the product's ``default``."""
        product = self.variant.get("login_failure_delay", default)
        return float(self.spec.overrides.get("login_failure_delay", product))

    def change_password(self, username: str, new_password: str, force: bool = False) -> None:
        """Set a password the policy accepts; ``force`` sets it anyway (root's passwd, which
        only warns about a weak password)."""
        if username not in self.state["users"]:
            raise PolicyError(f"user {username!r} does not exist")
        problem = check_policy(self.policy, username, new_password)
        if problem and not force:
            raise PolicyError(problem)
        self.state["users"][username]["password"] = new_password
        self._failures.pop(username, None)
        self._locked_until.pop(username, None)
        log.info("%s: password of %r changed", self.name, username)
        self.changed()

    def set_lockout(self, **values: Any) -> None:
        lockout = self.state["lockout"]
        if not lockout.get("configurable"):
            raise PolicyError("lockout policy is fixed on this device")
        for key in ("enabled", "threshold", "duration"):
            if key in values and values[key] is not None:
                lockout[key] = values[key]
        if not lockout.get("enabled"):
            self._locked_until.clear()
        self.changed()

    def set_setting(self, key: str, value: Any) -> None:
        self.settings[key] = value
        for lst in self._listeners.values():
            if lst.setting == key:
                self.lab.schedule(self._apply_listener(lst))
        self.changed()

    # -- listeners ---------------------------------------------------------------------
    def listener_enabled(self, lst: Listener) -> bool:
        return lst.setting is None or bool(self.settings.get(lst.setting, False))

    async def start(self) -> None:
        if not self.online:
            return
        for lst in self._listeners.values():
            if self.listener_enabled(lst):
                await self._open(lst)

    async def move(self, address: str | None, netns: str | None) -> None:
        """Take another address in another namespace (a routed site's VLAN change): every
        listener closes and opens again there; ``address`` None: offline, nothing listens."""
        await self.stop()
        self.online = address is not None
        if address is not None:
            self.address, self.netns = address, netns
        await self.start()

    async def _apply_listener(self, lst: Listener) -> None:
        want = self.online and self.listener_enabled(lst)
        if want and lst.name not in self._servers:
            await self._open(lst)
        elif not want and lst.name in self._servers:
            await self._close(lst.name)

    async def _open(self, lst: Listener) -> None:
        owner = f"device {self.name} ({lst.name})"
        loop = asyncio.get_running_loop()
        if lst.proto == "udp":
            with bound_in(self.netns):
                sock = bind_udp(self.address, lst.port, owner)

            async def answer(data: bytes, addr, _handler=lst.handler):
                # a datagram is a "connect": drop/flap/timeout/reject mean no answer, slow delays it
                try:
                    if await self.gate("connect") in ("reject", "drop_after"):
                        return None
                except DropConnection:
                    return None
                return _handler(data, addr)

            transport, _unused = await loop.create_datagram_endpoint(
                lambda: UdpProtocol(answer, self.lab.tasks), sock=sock
            )
            self._servers[lst.name] = transport
            return
        with bound_in(self.netns):
            sock = bind_tcp(self.address, lst.port, owner)
        if lst.name == "ssh":
            self._servers[lst.name] = await self.start_ssh(sock)
            return

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._serve(lst.handler, reader, writer)

        self._servers[lst.name] = await asyncio.start_server(accept, sock=sock, limit=65536)

    async def start_ssh(self, sock):  # pragma: no cover - overridden by devices with SSH
        raise NotImplementedError

    async def _serve(self, handler: Callable[[Conn], Awaitable[None]], reader, writer) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.lab.tasks.add(task)
        conn = Conn(reader, writer, writer.get_extra_info("peername"), writer.get_extra_info("sockname"))
        try:
            await self.gate("connect")
            await handler(conn)
        except DropConnection:
            conn.abort()
            return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        except asyncio.CancelledError:
            conn.abort()
            raise
        except Exception:
            log.exception("%s: handler error", self.name)
        finally:
            if task is not None:
                self.lab.tasks.discard(task)
        try:
            writer.close()
        except Exception:  # noqa: BLE001,S110 - the peer may already be gone
            pass

    async def _close(self, name: str) -> None:
        server = self._servers.pop(name, None)
        if server is None:
            return
        server.close()
        if hasattr(server, "wait_closed"):
            try:
                await asyncio.wait_for(server.wait_closed(), 2)
            except (TimeoutError, Exception):  # noqa: BLE001,S110 - shutting down regardless
                pass

    async def stop(self) -> None:
        for name in list(self._servers):
            await self._close(name)
