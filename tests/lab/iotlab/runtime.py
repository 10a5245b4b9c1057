# SPDX-License-Identifier: GPL-3.0-or-later
"""The running site: devices, switches, state, faults, ground truth and the control socket."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import json
import logging
import os
import resource
import signal
import time
from pathlib import Path
from typing import Any

from .devices import KINDS
from .errors import LabError
from .faults import FaultTable
from .netns import Topology
from .site import Site, load_site
from .state import StateStore, write_private

log = logging.getLogger("iotlab")
GROUND_TRUTH_VERSION = 1
START_BATCH = 200


def shard_of(items: list, shard: tuple[int, int] | None) -> list:
    """Shard ``(index, count)`` of ``items``: contiguous blocks, so devices that name each
    other (a router's port mappings) stay in one process."""
    if not shard:
        return list(items)
    index, count = shard
    size = -(-len(items) // count)
    return list(items[index * size : (index + 1) * size])


def raise_nofile_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def load_switch_class() -> tuple[Any, str | None]:
    """(SwitchSim, None) when the switch simulator is installed, else (None, reason)."""
    try:
        module = importlib.import_module("iotlab.switches")
    except ImportError as exc:
        return None, f"switch simulator unavailable (iotlab.switches: {exc})"
    cls = getattr(module, "SwitchSim", None)
    if cls is None:
        return None, "switch simulator unavailable (iotlab.switches has no SwitchSim)"
    return cls, None


class Lab:
    def __init__(self, site: Site, state_dir: Path, shard: tuple[int, int] | None = None) -> None:
        self.site = site
        # one process serves one shard of a large site; shard 0 also runs the switches
        self.shard = shard
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(state_dir, 0o700)
        self.store = StateStore(state_dir / "state.json")
        self.store.after_flush = self.write_ground_truth
        self.faults = FaultTable()
        self.tasks: set[asyncio.Task] = set()
        self.devices: dict[str, Any] = {}
        self.switches: dict[str, Any] = {}
        self.switch_note: str | None = None
        self.started_at = 0.0
        self.startup_seconds = 0.0
        self._control: asyncio.AbstractServer | None = None
        self._stopping = asyncio.Event()
        self._background: set[asyncio.Task] = set()
        # a routed site (netns.py): its namespaces, each device's VLAN now, one move at a time
        self.topology: Topology | None = None
        self._vlan_now: dict[str, int] = {}
        self._moving = asyncio.Lock()

    # -- helpers used by devices ----------------------------------------------------------
    def schedule(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def device_by_address(self, address: str) -> Any:
        return next((d for d in self.devices.values() if d.address == address), None)

    def ssh_host_key_path(self) -> Path:
        return self.state_dir / "ssh_host_ed25519_key"

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        t0 = time.monotonic()
        raise_nofile_limit()
        for spec in shard_of(self.site.devices, self.shard):
            self.devices[spec.name] = KINDS[spec.kind](spec, self)
        items = list(self.devices.values())
        if self.site.routed:
            if self.shard and self.shard[1] > 1:
                raise LabError(f"site {self.site.name}: a routed site runs in one process (no --processes)")
            self.topology = Topology(self.site.name, self.site.routed["vlans"], self.site.routed["outside"])
            self.topology.up()
            for dev in items:
                self._place(dev, self._saved_vlan(dev.spec))
        try:
            for i in range(0, len(items), START_BATCH):
                await asyncio.gather(*(d.start() for d in items[i : i + START_BATCH]))
            await self._start_switches()
        except BaseException:
            await self.stop()
            raise
        self.started_at = time.time()
        self.startup_seconds = time.monotonic() - t0
        self.store.flush()  # also writes ground-truth.json
        await self._start_control()

    # -- a routed site --------------------------------------------------------------------
    def _saved_vlan(self, spec: Any) -> int:
        """The VLAN a device starts on: its port's in the switch's saved config (the switch
        boots from it), else the site file's."""
        return self._port_vlans(spec).get("vlan_saved", spec.vlan) if spec.switch else spec.vlan

    def _place(self, dev: Any, vlan: int) -> tuple[str | None, str | None]:
        assert self.topology is not None
        address = self.topology.address_in(vlan, self.site.subnet, dev.spec.address)
        netns = self.topology.vlan_ns(vlan) if address else None
        self._vlan_now[dev.name] = vlan
        dev.online = address is not None
        if address is not None:
            dev.address, dev.netns = address, netns
        return address, netns

    def _switch_changed(self, name: str) -> None:
        self.store.changed()
        if self.topology is not None:
            self.schedule(self._follow_vlans(name))

    async def _follow_vlans(self, name: str) -> None:
        """Move every device whose port the switch put on another VLAN (running config)."""
        sim = self.switches.get(name)
        if sim is None:
            return
        async with self._moving:
            ports = (sim.state.get("running") or {}).get("ports", {})
            moved = False
            for dev in self.devices.values():
                if dev.spec.switch != name:
                    continue
                vlan = (ports.get(dev.spec.switch_port or "") or {}).get("vlan")
                if not isinstance(vlan, int) or vlan == self._vlan_now.get(dev.name):
                    continue
                old = dev.address
                address, netns = self._place(dev, vlan)
                await dev.move(address, netns)
                sim.arp_table = [(a, m) for a, m in sim.arp_table if m != dev.spec.mac]
                if address is not None:
                    sim.arp_table.append((address, dev.spec.mac))
                log.info("%s: port %s on VLAN %d: %s -> %s", dev.name, dev.spec.switch_port, vlan, old,
                         address or "offline (no subnet routed for the VLAN)")  # fmt: skip
                moved = True
            if moved:
                self.store.changed()

    def runs_switches(self) -> bool:
        return not self.shard or self.shard[0] == 0

    async def _start_switches(self) -> None:
        if not self.site.switches or not self.runs_switches():
            return
        cls, reason = load_switch_class()
        if cls is None:
            self.switch_note = reason
            log.warning("%s: %d switch(es) not started", reason, len(self.site.switches))
            return
        for sw in self.site.switches:
            table = [(d.mac, d.vlan, d.switch_port) for d in self.site.devices if d.switch == sw.name]
            state = self.store.section("switches", sw.name)
            try:
                sim = cls(
                    name=sw.name,
                    dialect=sw.dialect,
                    address=sw.address,
                    port=sw.port,
                    username=sw.username,
                    password=sw.password,
                    enable_secret=sw.enable_secret,
                    interfaces=list(sw.interfaces),
                    mac_table=table,
                    # an L3 switch: it resolves the hosts on its own ports (show ip arp / show arp)
                    arp_table=[
                        (self.devices[d.name].address, d.mac)
                        for d in self.site.devices
                        if d.switch == sw.name and d.name in self.devices and self.devices[d.name].online
                    ],
                    state=state,
                    on_change=lambda _n=sw.name: self._switch_changed(_n),
                    netns=self._switch_netns(sw.address),
                    fault_for=lambda op, _n=sw.name: self._switch_fault(_n, op),
                )
            except ValueError as exc:
                raise LabError(f"switch {sw.name}: {exc}") from exc
            try:
                await sim.start()
            except OSError as exc:
                raise LabError(f"switch {sw.name}: cannot listen on {sw.address}:{sw.port}: {exc}") from exc
            self.switches[sw.name] = sim

    def _switch_netns(self, address: str) -> str | None:
        if self.topology is None:
            return None
        for vlan, subnet in self.topology.vlans.items():
            if ipaddress.ip_address(address) in ipaddress.ip_network(subnet):
                return self.topology.vlan_ns(vlan)
        return None

    def _switch_fault(self, name: str, operation: str) -> str | None:
        entry = self.faults.take(name, operation)
        return entry.fault if entry else None

    async def stop(self) -> None:
        if self._control is not None:
            self._control.close()
        for sim in self.switches.values():
            with contextlib.suppress(Exception):
                await sim.stop()
        await asyncio.gather(*(d.stop() for d in self.devices.values()), return_exceptions=True)
        for task in list(self.tasks) + list(self._background):
            task.cancel()
        with contextlib.suppress(Exception):
            self.store.flush()
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / "control.sock").unlink()
        if self.topology is not None:
            self.topology.down()

    async def run(self, ready_file: Path | None = None, owner_pid: int | None = None) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        if owner_pid:
            self.schedule(self._watch_owner(owner_pid))
        if ready_file is not None:
            write_private(ready_file, json.dumps(self.summary()))
        log.info("site %s up: %d devices in %.2fs", self.site.name, len(self.devices), self.startup_seconds)
        await self._stopping.wait()
        await self.stop()

    async def _watch_owner(self, pid: int) -> None:
        """Stop when the process that asked for the site is gone (a killed test run)."""
        while not self._stopping.is_set():
            await asyncio.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                log.warning("owner process %d is gone: stopping site %s", pid, self.site.name)
                self._stopping.set()
            except PermissionError:
                pass

    # -- reporting ------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        return {
            "site": self.site.name,
            "pid": os.getpid(),
            "shard": list(self.shard) if self.shard else None,
            "devices": len(self.devices),
            "switches": len(self.switches),
            "switches_planned": len(self.site.switches) if self.runs_switches() else 0,
            "switch_note": self.switch_note,
            "startup_seconds": round(self.startup_seconds, 3),
            "started_at": self.started_at,
            "state_dir": str(self.state_dir),
            "faults": self.faults.entries(),
            "routed": self.topology.describe() if self.topology else None,
        }

    def ground_truth(self) -> dict[str, Any]:
        exposures = []
        for dev in self.devices.values():
            exposures.extend(getattr(dev, "exposures", lambda: [])())
        exposed = {e["internal_device"] for e in exposures if e.get("internal_device")}
        devices = []
        for dev in self.devices.values():
            gt = dev.ground_truth()
            gt.update(self._port_vlans(dev.spec))
            if self.topology is not None:
                gt["online"] = dev.online
            if dev.name in exposed:
                gt["weaknesses"] = sorted(set(gt["weaknesses"]) | {"internet_exposed"})
            devices.append(gt)
        switches = []
        for sw in self.site.switches if self.runs_switches() else []:
            switches.append(
                {
                    "name": sw.name,
                    "dialect": sw.dialect,
                    "address": sw.address,
                    "mac": sw.mac,
                    "ssh_port": sw.port,
                    "username": sw.username,
                    "password": sw.password,
                    "enable_secret": sw.enable_secret,
                    "interfaces": sw.interfaces,
                    "uplinks": sw.uplinks,
                    "running": sw.name in self.switches,
                    "mac_table": [
                        {"mac": d.mac, "vlan": d.vlan, "interface": d.switch_port, "device": d.name}
                        for d in self.site.devices
                        if d.switch == sw.name
                    ],
                    "state": {
                        k: v
                        for k, v in self.store.data.get("switches", {}).get(sw.name, {}).items()
                        if k != "host_key"
                    },
                }
            )
        return {
            "version": GROUND_TRUTH_VERSION,
            "site": self.site.name,
            "description": self.site.description,
            "subnet": self.site.subnet,
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "switch_note": self.switch_note,
            "devices": devices,
            "switches": switches,
            "exposures": exposures,
            **({"routed": self.topology.describe()} if self.topology else {}),
        }

    def _port_vlans(self, spec: Any) -> dict[str, Any]:
        """The device's access VLAN as its switch port holds it now (running) and saved."""
        sw_state = self.store.data.get("switches", {}).get(spec.switch or "", {})
        out: dict[str, Any] = {}
        for key, config in (("vlan", "running"), ("vlan_saved", "startup")):
            port = (sw_state.get(config) or {}).get("ports", {}).get(spec.switch_port or "")
            if isinstance(port, dict) and isinstance(port.get("vlan"), int):
                out[key] = port["vlan"]
        return out

    def write_ground_truth(self) -> None:
        if not self.devices:
            return
        text = json.dumps(self.ground_truth(), indent=1 if len(self.devices) <= 100 else None)
        write_private(self.state_dir / "ground-truth.json", text)

    # -- control socket -------------------------------------------------------------------
    async def _start_control(self) -> None:
        path = self.state_dir / "control.sock"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        self._control = await asyncio.start_unix_server(self._control_client, path=str(path))
        os.chmod(path, 0o600)

    async def _control_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    reply = self.command(json.loads(line))
                except (ValueError, KeyError, TypeError, LabError) as exc:
                    reply = {"ok": False, "error": str(exc)}
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def command(self, msg: dict[str, Any]) -> dict[str, Any]:
        cmd = msg.get("cmd")
        if cmd == "ping":
            return {"ok": True}
        if cmd == "status":
            return {"ok": True, **self.summary()}
        if cmd == "fault":
            device = str(msg["device"])
            known = set(self.devices) | set(self.site_switch_names())
            if device != "*" and device not in known:
                raise LabError(
                    f"device={device!r} is not in site {self.site.name}; see ground-truth.json for names"
                )
            entry = self.faults.set(
                device, str(msg["operation"]), str(msg["fault"]), msg.get("times"), msg.get("delay")
            )
            return {"ok": True, "fault": entry.to_dict()}
        if cmd == "screen":  # what an engineer types on a device's own screen
            dev = self.devices.get(str(msg["device"]))
            if dev is None or not hasattr(dev, "at_screen"):
                raise LabError(f"device={msg['device']!r} has no screen in site {self.site.name}")
            dev.at_screen(str(msg["username"]), str(msg["password"]))
            return {"ok": True}
        if cmd == "clear":
            return {"ok": True, "cleared": self.faults.clear(msg.get("device"))}
        if cmd == "faults":
            return {"ok": True, "faults": self.faults.entries()}
        if cmd == "flush":
            self.store.flush()
            return {"ok": True}
        if cmd == "shutdown":
            self._stopping.set()
            return {"ok": True}
        raise LabError(
            f"cmd={cmd!r} is unknown; use ping, status, fault, screen, clear, faults, flush or shutdown"
        )

    def site_switch_names(self) -> list[str]:
        return [s.name for s in self.site.switches]


def open_site(
    site: str, state_dir: Path, rebase: str | None = None, shard: tuple[int, int] | None = None
) -> Lab:
    return Lab(load_site(site, KINDS, rebase), state_dir, shard)
