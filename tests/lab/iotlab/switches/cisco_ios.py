# SPDX-License-Identifier: GPL-3.0-or-later
"""Cisco IOS (Catalyst access switch) dialect of the simulated switch."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from typing import ClassVar

from . import _model
from ._cli import Failure, Grammar
from ._session import Session

# Short interface names as IOS abbreviates them, with the long names they stand for.
IFACE_TYPES = {
    "Gi": "GigabitEthernet",
    "Fa": "FastEthernet",
    "Te": "TenGigabitEthernet",
    "Tw": "TwoGigabitEthernet",
    "Fo": "FortyGigabitEthernet",
    "Et": "Ethernet",
}
_IFACE = re.compile(r"^([A-Za-z]+)\s*(\d+(?:/\d+)*)$")
# VLANs every Catalyst reports and nobody may delete.
_RESERVED = {
    1002: "fddi-default",
    1003: "token-ring-default",
    1004: "fddinet-default",
    1005: "trnet-default",
}
_CPU_MACS = ("0100.0ccc.cccc", "0100.0ccc.cccd", "0180.c200.0000", "0180.c200.0002")


def canonical_iface(text: str) -> str | None:
    """'gi1/0/5', 'GigabitEthernet1/0/5', 'g1/0/5' -> 'Gi1/0/5' (None when not a name)."""
    m = _IFACE.match(text.strip())
    if not m:
        return None
    prefix, number = m.group(1).lower(), m.group(2)
    hits = [s for s, long in IFACE_TYPES.items() if long.lower().startswith(prefix)]
    if len(hits) != 1:
        return None
    return hits[0] + number


def _vlan_list(text: str) -> set[int] | None:
    """'1,20,30-32' -> {1, 20, 30, 31, 32} (None if malformed)."""
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        m = re.fullmatch(r"(\d{1,4})(?:-(\d{1,4}))?", part)
        if not m:
            return None
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not 1 <= lo <= hi <= 4094:
            return None
        out.update(range(lo, hi + 1))
    return out


def _vlan_ranges(vids: set[int]) -> str:
    """{1, 20, 21, 22} -> '1,20-22' (as IOS prints allowed lists)."""
    runs: list[list[int]] = []
    for vid in sorted(vids):
        if runs and runs[-1][1] == vid - 1:
            runs[-1][1] = vid
        else:
            runs.append([vid, vid])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


_RANGE_PART = re.compile(r"^([A-Za-z]+\s*(?:\d+/)*)(\d+)(?:\s*-\s*(\d+))?$")


def parse_range(text: str) -> list[str] | None:
    """'gi1/0/1 - 4, gi1/0/6' -> ['Gi1/0/1', ..., 'Gi1/0/4', 'Gi1/0/6'] (None if malformed)."""
    names: list[str] = []
    for part in text.split(","):
        m = _RANGE_PART.match(part.strip())
        if not m:
            return None
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) else first
        if last < first or last - first > 512:
            return None
        base = canonical_iface(m.group(1) + str(first))
        if base is None:
            return None
        stem = base[: len(base) - len(str(first))]
        names.extend(f"{stem}{n}" for n in range(first, last + 1))
    return names


def long_iface(short: str) -> str:
    return IFACE_TYPES[short[:2]] + short[2:]


def _secret_arg(text: str) -> tuple[str | None, str]:
    """Parse '[0|5|8|9] <secret>' -> (hash to store or None, error)."""
    parts = text.split(None, 1)
    if len(parts) == 2 and parts[0] == "0":
        return _model.type9_hash(parts[1]), ""
    if len(parts) == 2 and parts[0] == "9":
        if _model.is_type9(parts[1]):
            return parts[1], ""
        return None, "% Invalid encrypted password: " + _model.clean_text(parts[1], 16)
    if len(parts) == 2 and parts[0] in ("5", "8", "7"):
        return None, f"% Secret type {parts[0]} is not accepted here; use type 0 or 9"
    if len(parts) == 1 or not parts[0].isdigit():
        return _model.type9_hash(text), ""
    return None, "% Invalid input: secret type must be 0 or 9"


_EXEC_SHOW = [
    ("show version", None, "show_version"),
    ("show vlan brief", None, "show_vlan_brief"),
    ("show vlan", None, "show_vlan"),
    ("show mac address-table", None, "show_mac"),
    ("show ip arp", None, "show_ip_arp"),
    ("show mac-address-table", None, "show_mac"),
    ("show interfaces status", None, "show_interfaces_status"),
    ("terminal length <0-512>", None, "noop_arg"),
    ("terminal width <0-512>", None, "noop_arg"),
    ("enable", None, "enable"),
    ("exit", None, "logout"),
    ("logout", None, "logout"),
    ("quit", None, "logout"),
]

_PRIV = [
    *_EXEC_SHOW,
    ("show running-config", None, "show_running"),
    ("show startup-config", None, "show_startup"),
    ("configure terminal", None, "configure"),
    ("disable", None, "disable"),
    ("write memory", "write_memory", "write_memory"),
    ("write", "write_memory", "write_memory"),
    ("copy running-config startup-config", "write_memory", "copy_run_start"),
]

_CONFIG = [
    ("vlan <1-4094>", "config", "vlan"),
    ("no vlan <1-4094>", "config", "no_vlan"),
    ("interface <IFACE>", None, "interface"),
    ("interface range <LINE>", None, "interface_range"),
    ("hostname <WORD>", "config", "hostname"),
    ("username <WORD> privilege <0-15> secret <LINE>", "change_password", "username_secret"),
    ("username <WORD> secret <LINE>", "change_password", "username_secret_default"),
    ("no username <WORD>", "change_password", "no_username"),
    ("enable secret <LINE>", "change_password", "enable_secret"),
    ("no enable secret", "change_password", "no_enable_secret"),
    ("do <LINE>", None, "do"),
    ("end", None, "end"),
    ("exit", None, "exit_config"),
]

_CONFIG_IF = [
    ("switchport mode access", "config", "mode_access"),
    ("switchport mode trunk", "config", "mode_trunk"),
    ("switchport trunk allowed vlan <LINE>", "config", "trunk_allowed"),
    ("switchport access vlan <1-4094>", "config", "access_vlan"),
    ("no switchport access vlan", "config", "no_access_vlan"),
    ("description <LINE>", "config", "description"),
    ("no description", "config", "no_description"),
    ("shutdown", "config", "shutdown"),
    ("no shutdown", "config", "no_shutdown"),
    ("do <LINE>", None, "do"),
    ("end", None, "end"),
    ("exit", None, "exit_sub"),
]

_CONFIG_VLAN = [
    ("name <WORD>", "config", "vlan_name"),
    ("no name", "config", "no_vlan_name"),
    ("do <LINE>", None, "do"),
    ("end", None, "end"),
    ("exit", None, "exit_sub"),
]


class CiscoIosSession(Session):
    """An IOS 15.2 Catalyst 2960-X: ``>``/``#`` prompts, enable secret, config sub-modes."""

    grammars: ClassVar[dict[str, Grammar]] = {}
    parent_mode: ClassVar[dict[str, str]] = {
        "config-if": "config",
        "config-if-range": "config",
        "config-vlan": "config",
    }

    @staticmethod
    def check_interfaces(interfaces: list[str]) -> None:
        for name in interfaces:
            if canonical_iface(name) != name or name[:2] not in IFACE_TYPES:
                raise ValueError(
                    f"interfaces: {name!r} is not an IOS short interface name; "
                    "write it like 'Gi1/0/5' (types: " + ", ".join(IFACE_TYPES) + ")"
                )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.context: list[str] | int | None = None

    def initial_mode(self) -> str:
        level = self.running["users"].get(self.user, {}).get("level", 1)
        return "exec" if level == 15 else "user"

    def prompt(self) -> str:
        host = self.hostname
        if self.mode == "user":
            return f"{host}>"
        if self.mode == "exec":
            return f"{host}#"
        # IOS cuts the hostname to 20 characters in config modes.
        return f"{host[:20]}({self.mode})#"

    async def greet(self) -> None:
        self.write("\n")

    # ---- errors --------------------------------------------------------------------------
    def error(self, failure: Failure, line: str) -> str:
        if failure.reason == "ambiguous":
            return f'% Ambiguous command:  "{_model.clean_text(line, 80)}"\n'
        if failure.reason == "incomplete":
            return "% Incomplete command.\n\n"
        pad = " " * (len(self.prompt()) + failure.offset)
        return f"{pad}^\n% Invalid input detected at '^' marker.\n\n"

    def reject_message(self, op: str, line: str) -> str:
        if op == "write_memory":
            return "%Error opening nvram:startup-config (Device or resource busy)\n"
        if op == "change_password":
            return "% Password too short - must be at least 8 characters. Password configuration failed\n"
        pad = " " * len(self.prompt())
        return f"{pad}^\n% Invalid input detected at '^' marker.\n\n"

    # ---- grammar -------------------------------------------------------------------------
    def leave_submode(self, mode: str) -> None:
        self.mode = mode
        self.context = None

    # ---- exec ----------------------------------------------------------------------------
    async def do_noop_arg(self, _value: int) -> bool:
        return False

    async def do_logout(self) -> bool:
        self.close()
        return False

    async def do_disable(self) -> bool:
        self.mode = "user"
        return False

    async def do_enable(self) -> bool:
        if self.mode != "user":
            return False
        stored = self.running.get("enable_secret")
        if not stored:
            self.write("% No password set\n")
            return False
        for _attempt in range(3):
            self.write("Password: ")
            attempt = await self.read_line(echo=False)
            if await asyncio.to_thread(_model.verify, attempt, stored):
                self.mode = "exec"
                return False
        self.write("% Bad secrets\n\n")
        return False

    async def do_configure(self) -> bool:
        self.write("Enter configuration commands, one per line.  End with CNTL/Z.\n")
        self.mode = "config"
        return False

    async def do_write_memory(self) -> bool:
        self.write("Building configuration...\n")
        self.sim.state["startup"] = _model.clone(self.running)
        self.write("[OK]\n")
        return True

    async def do_copy_run_start(self) -> bool:
        self.write("Destination filename [startup-config]? ")
        answer = (await self.read_line()).strip()
        if answer not in ("", "startup-config"):
            self.write("%Error opening nvram:" + _model.clean_text(answer, 40) + "\n")
            return False
        return await self.do_write_memory()

    # ---- show ----------------------------------------------------------------------------
    def _serial(self) -> str:
        digest = hashlib.sha256(self.sim.name.encode()).hexdigest().upper()
        return "FOC" + digest[:8]

    def _base_mac(self) -> str:
        digest = hashlib.sha256(self.sim.name.encode()).hexdigest()
        return "70:" + ":".join(digest[i : i + 2] for i in range(0, 10, 2))

    def _uptime(self) -> str:
        minutes = int(time.time() - self.sim.started_at) // 60
        parts = []
        for unit, size in (("week", 10080), ("day", 1440), ("hour", 60)):
            n, minutes = divmod(minutes, size)
            if n:
                parts.append(f"{n} {unit}{'s' if n != 1 else ''}")
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return ", ".join(parts)

    async def do_show_version(self) -> bool:
        n = len(self.sim.interfaces)
        self.write(
            "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(7)E4, "
            "RELEASE SOFTWARE (fc2)\n"
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.\n"
            "Compiled Thu 18-Mar-21 02:12 by prod_rel_team\n\n"
            "ROM: Bootstrap program is C2960X boot loader\n"
            "BOOTLDR: C2960X Boot Loader (C2960X-HBOOT-M) Version 15.2(7r)E2, "
            "RELEASE SOFTWARE (fc1)\n\n"
            f"{self.hostname} uptime is {self._uptime()}\n"
            "System returned to ROM by power-on\n"
            'System image file is "flash:c2960x-universalk9-mz.152-7.E4.bin"\n'
            "Last reload reason: power-on\n\n\n\n"
            "cisco WS-C2960X-48FPD-L (APM86XXX) processor (revision B0) with "
            "524288K bytes of memory.\n"
            f"Processor board ID {self._serial()}\n"
            "Last reset from power-on\n"
            "1 Virtual Ethernet interface\n"
            f"{n} Gigabit Ethernet interfaces\n"
            "The password-recovery mechanism is enabled.\n\n"
            "512K bytes of flash-simulated non-volatile configuration memory.\n"
            f"Base ethernet MAC Address       : {self._base_mac()}\n"
            "Motherboard assembly number     : 73-15252-05\n"
            f"System serial number            : {self._serial()}\n"
            "Model number                    : WS-C2960X-48FPD-L\n\n"
            "Switch Ports Model                     SW Version            SW Image\n"
            "------ ----- -----                     ----------            ----------\n"
            f"*    1 {n:<5} WS-C2960X-48FPD-L          15.2(7)E4             "
            "C2960X-UNIVERSALK9-M\n\n\n"
            "Configuration register is 0xF\n\n"
        )
        return False

    def _vlan_ports(self, cfg: dict) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for name in self.sim.interfaces:
            port = cfg["ports"][name]
            if port["mode"] == "access" and str(port["vlan"]) in cfg["vlans"]:
                out.setdefault(port["vlan"], []).append(name)
        return out

    def _vlan_brief(self) -> str:
        cfg = self.running
        members = self._vlan_ports(cfg)
        lines = [
            "",
            "VLAN Name                             Status    Ports",
            "---- -------------------------------- --------- -------------------------------",
        ]
        rows = [(v, cfg["vlans"][str(v)]) for v in _model.sorted_vlans(cfg)]
        rows += sorted(_RESERVED.items())
        for vid, name in rows:
            status = "act/unsup" if vid in _RESERVED else "active"
            ports = members.get(vid, [])
            chunks = [", ".join(ports[i : i + 4]) for i in range(0, len(ports), 4)] or [""]
            lines.append(f"{vid:<4} {name[:32]:<32} {status:<9} {chunks[0]}".rstrip())
            lines.extend(" " * 48 + chunk for chunk in chunks[1:])
        return "\n".join(lines) + "\n"

    async def do_show_vlan_brief(self) -> bool:
        self.write(self._vlan_brief())
        return False

    async def do_show_vlan(self) -> bool:
        lines = [
            self._vlan_brief(),
            "VLAN Type  SAID       MTU   Parent RingNo BridgeNo Stp  BrdgMode Trans1 Trans2",
            "---- ----- ---------- ----- ------ ------ -------- ---- -------- ------ ------",
        ]
        for vid in _model.sorted_vlans(self.running) + sorted(_RESERVED):
            kind = {1002: "fddi", 1003: "tr", 1004: "fdnet", 1005: "trnet"}.get(vid, "enet")
            lines.append(
                f"{vid:<4} {kind:<5} {100000 + vid:<10} 1500  -      -      -        -    -        0      0"
            )
        self.write("\n".join(lines) + "\n\nRemote SPAN VLANs\n" + "-" * 78 + "\n\n")
        return False

    def mac_entries(self) -> list[tuple[int, str, str]]:
        return _model.mac_entries(self.running, self.sim.mac_table)

    async def do_show_mac(self) -> bool:
        entries = self.mac_entries()
        lines = [
            "          Mac Address Table",
            "-------------------------------------------",
            "",
            "Vlan    Mac Address       Type        Ports",
            "----    -----------       --------    -----",
        ]
        lines += [f" All    {mac}    STATIC      CPU" for mac in _CPU_MACS]
        lines += [
            f"{vlan:>4}    {_model.mac_cisco(mac)}    DYNAMIC     {iface}" for vlan, mac, iface in entries
        ]
        lines.append(f"Total Mac Addresses for this criterion: {len(entries) + len(_CPU_MACS)}")
        self.write("\n".join(lines) + "\n")
        return False

    async def do_show_ip_arp(self) -> bool:
        """What a Catalyst routing its VLANs prints: one line per resolved host, on the SVI of
        the VLAN the host is in now; the switch's own address has no age."""
        own = _model.mac_cisco(self._base_mac())
        lines = ["Protocol  Address          Age (min)  Hardware Addr   Type   Interface"]
        lines.append(f"Internet  {self.sim.address:<16} {'-':>9}   {own}  ARPA   Vlan1")
        for address, mac, vlan, _iface in _model.arp_entries(
            self.running, self.sim.mac_table, self.sim.arp_table
        ):
            lines.append(f"Internet  {address:<16} {0:>9}   {_model.mac_cisco(mac)}  ARPA   Vlan{vlan}")
        self.write("\n".join(lines) + "\n")
        return False

    def port_status(self, name: str) -> str:
        cfg = self.running
        port = cfg["ports"][name]
        if port["shutdown"]:
            return "disabled"
        if port["mode"] == "access" and str(port["vlan"]) not in cfg["vlans"]:
            return "inactive"
        learnt = any(iface == name for _v, _m, iface in self.mac_entries())
        return "connected" if learnt else "notconnect"

    async def do_show_interfaces_status(self) -> bool:
        lines = ["", "Port      Name               Status       Vlan       Duplex  Speed Type"]
        for name in self.sim.interfaces:
            port = self.running["ports"][name]
            status = self.port_status(name)
            vlan = "trunk" if port["mode"] == "trunk" else str(port["vlan"])
            duplex, speed = ("a-full", "a-1000") if status == "connected" else ("auto", "auto")
            desc = port["description"][:18]
            lines.append(
                f"{name:<10}{desc:<19}{status:<13}{vlan:<11}{duplex:>6} {speed:>6} 10/100/1000BaseTX"
            )
        self.write("\n".join(lines) + "\n")
        return False

    def render_config(self, cfg: dict) -> str:
        out = [
            "!",
            "version 15.2",
            "no service pad",
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "service password-encryption",
            "!",
            f"hostname {cfg['hostname']}",
            "!",
            "boot-start-marker",
            "boot-end-marker",
            "!",
        ]
        if cfg.get("enable_secret"):
            out += [f"enable secret 9 {cfg['enable_secret']}", "!"]
        for user in sorted(cfg["users"]):
            info = cfg["users"][user]
            out.append(f"username {user} privilege {info['level']} secret 9 {info['secret']}")
        out += [
            "no aaa new-model",
            "switch 1 provision ws-c2960x-48fpd-l",
            "!",
            "no ip domain-lookup",
            "vtp mode transparent",
            "!",
            "spanning-tree mode rapid-pvst",
            "spanning-tree extend system-id",
            "!",
        ]
        for vid in _model.sorted_vlans(cfg):
            if vid == 1:
                continue
            out.append(f"vlan {vid}")
            name = cfg["vlans"][str(vid)]
            if name != _model.default_vlan_name("cisco_ios", vid):
                out.append(f" name {name}")
            out.append("!")
        for name in self.sim.interfaces:
            port = cfg["ports"][name]
            out.append(f"interface {long_iface(name)}")
            if port["description"]:
                out.append(f" description {port['description']}")
            if port["mode"] == "trunk":
                if port["tagged"]:
                    allowed = _vlan_ranges({port["vlan"], *port["tagged"]})
                    out.append(f" switchport trunk allowed vlan {allowed}")
                out.append(" switchport mode trunk")
            else:
                if port["vlan"] != 1:
                    out.append(f" switchport access vlan {port['vlan']}")
                out.append(" switchport mode access")
            if port["shutdown"]:
                out.append(" shutdown")
            out.append("!")
        out += [
            "interface Vlan1",
            " no ip address",
            "!",
            "ip http server",
            "ip http secure-server",
            "!",
            "line con 0",
            "line vty 0 4",
            " login local",
            " transport input ssh",
            "line vty 5 15",
            " login local",
            " transport input ssh",
            "!",
            "end",
        ]
        body = "\n".join(out) + "\n"
        return body

    async def do_show_running(self) -> bool:
        body = self.render_config(self.running)
        self.write(f"Building configuration...\n\nCurrent configuration : {len(body)} bytes\n{body}\n")
        return False

    async def do_show_startup(self) -> bool:
        body = self.render_config(self.sim.state["startup"])
        self.write(f"Using {len(body)} out of 524288 bytes\n{body}\n")
        return False

    # ---- config --------------------------------------------------------------------------
    async def do_end(self) -> bool:
        self.mode = "exec"
        self.context = None
        return False

    async def do_exit_config(self) -> bool:
        return await self.do_end()

    async def do_exit_sub(self) -> bool:
        self.mode = "config"
        self.context = None
        return False

    async def do_do(self, line: str) -> bool:
        result = self.grammars["exec"].match(line)
        if isinstance(result, Failure) or result.handler in ("configure", "enable", "logout"):
            pad = " " * (len(self.prompt()) + 3 + getattr(result, "offset", 0))
            self.write(f"{pad}^\n% Invalid input detected at '^' marker.\n\n")
            return False
        mode = self.mode
        await self.run_guarded(result, line)
        self.mode = mode
        return False

    async def do_vlan(self, vid: int) -> bool:
        self.mode = "config-vlan"
        self.context = vid
        if vid == 1 or vid in _RESERVED or str(vid) in self.running["vlans"]:
            return False
        self.running["vlans"][str(vid)] = _model.default_vlan_name("cisco_ios", vid)
        return True

    async def do_no_vlan(self, vid: int) -> bool:
        if vid == 1 or vid in _RESERVED:
            self.write(f"%Default VLAN {vid} may not be deleted.\n\n")
            return False
        return self.running["vlans"].pop(str(vid), None) is not None

    async def do_vlan_name(self, name: str) -> bool:
        vid = self.context
        if vid == 1 or vid in _RESERVED:
            self.write(f"%Default VLAN {vid} may not have its name changed.\n")
            return False
        if len(name) > _model.MAX_NAME:
            self.write(f"%VLAN name cannot be longer than {_model.MAX_NAME} characters.\n")
            return False
        self.running["vlans"][str(vid)] = _model.clean_text(name, _model.MAX_NAME)
        return True

    async def do_no_vlan_name(self) -> bool:
        vid = self.context
        if vid == 1 or vid in _RESERVED:
            return False
        self.running["vlans"][str(vid)] = _model.default_vlan_name("cisco_ios", int(vid))
        return True

    async def do_interface(self, name: str) -> bool:
        if name not in self.running["ports"]:
            # The name is well formed but this chassis has no such port.
            offset = self.current_line.rstrip().rfind(" ") + 1
            self.write(self.error(Failure("invalid", offset, name), self.current_line))
            return False
        self.mode = "config-if"
        self.context = [name]
        return False

    async def do_interface_range(self, text: str) -> bool:
        names = parse_range(text)
        if not names or any(n not in self.running["ports"] for n in names):
            offset = self.current_line.lower().find("range") + len("range ")
            self.write(self.error(Failure("invalid", offset, text), self.current_line))
            return False
        self.mode = "config-if-range"
        self.context = names
        return False

    def _ports(self) -> list[dict]:
        return [self.running["ports"][name] for name in self.context]

    async def do_mode_access(self) -> bool:
        for port in self._ports():
            port["mode"] = "access"
            port["tagged"] = []
        return True

    async def do_mode_trunk(self) -> bool:
        for port in self._ports():
            port["mode"] = "trunk"
        return True

    async def do_trunk_allowed(self, text: str) -> bool:
        """'all' | a list like '1,20,30-32' | 'add <list>' | 'remove <list>'."""
        words = text.split()
        verb = words[0].lower() if words else ""
        listed = " ".join(words[1:]) if verb in ("add", "remove") else text
        if listed.strip().lower() == "all" and verb not in ("add", "remove"):
            return self._set_all("tagged", [])
        vids = _vlan_list(listed)
        if vids is None:
            offset = self.current_line.find(listed)
            self.write(self.error(Failure("invalid", offset, listed), self.current_line))
            return False
        for port in self._ports():
            # no list means all VLANs; a list always allows the native VLAN as well
            current = {port["vlan"], *port["tagged"]} if port["tagged"] else set(range(1, 4095))
            if verb == "add":
                current |= vids
            elif verb == "remove":
                current -= vids
            else:
                current = vids
            if not current:
                self.write("% The allowed VLAN list cannot be empty here; use 'all'\n")
                return False
            port["tagged"] = sorted(current)
        return True

    async def do_access_vlan(self, vid: int) -> bool:
        if vid in _RESERVED:
            self.write(f"% Access VLAN {vid} is a reserved VLAN; use 1-1001 or 1006-4094\n")
            return False
        if str(vid) not in self.running["vlans"]:
            self.write("% Access VLAN does not exist. Creating vlan " + str(vid) + "\n")
            self.running["vlans"][str(vid)] = _model.default_vlan_name("cisco_ios", vid)
        for port in self._ports():
            port["vlan"] = vid
        return True

    def _set_all(self, key: str, value: object) -> bool:
        for port in self._ports():
            port[key] = value
        return True

    async def do_no_access_vlan(self) -> bool:
        return self._set_all("vlan", 1)

    async def do_description(self, text: str) -> bool:
        return self._set_all("description", _model.clean_text(text, _model.MAX_DESCRIPTION))

    async def do_no_description(self) -> bool:
        return self._set_all("description", "")

    async def do_shutdown(self) -> bool:
        return self._set_all("shutdown", True)

    async def do_no_shutdown(self) -> bool:
        return self._set_all("shutdown", False)

    async def do_hostname(self, name: str) -> bool:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,62}", name):
            self.write("% Hostname contains one or more illegal characters.\n")
            return False
        self.running["hostname"] = name
        return True

    def _set_user(self, name: str, level: int, secret_text: str) -> bool:
        stored, err = _secret_arg(secret_text)
        if stored is None:
            self.write(err + "\n")
            return False
        self.running["users"][name[:64]] = {"level": level, "secret": stored}
        return True

    async def do_username_secret(self, name: str, level: int, secret_text: str) -> bool:
        return self._set_user(name, level, secret_text)

    async def do_username_secret_default(self, name: str, secret_text: str) -> bool:
        level = self.running["users"].get(name, {}).get("level", 1)
        return self._set_user(name, level, secret_text)

    async def do_no_username(self, name: str) -> bool:
        if name == self.user:
            self.write("% Cannot remove the user of this session\n")
            return False
        return self.running["users"].pop(name, None) is not None

    async def do_enable_secret(self, secret_text: str) -> bool:
        stored, err = _secret_arg(secret_text)
        if stored is None:
            self.write(err + "\n")
            return False
        self.running["enable_secret"] = stored
        return True

    async def do_no_enable_secret(self) -> bool:
        self.running["enable_secret"] = None
        return True


_KINDS = {"IFACE": canonical_iface}
CiscoIosSession.grammars = {
    "user": Grammar(_EXEC_SHOW, _KINDS),
    "exec": Grammar(_PRIV, _KINDS),
    "config": Grammar(_CONFIG, _KINDS),
    "config-if": Grammar(_CONFIG_IF, _KINDS),
    "config-if-range": Grammar(_CONFIG_IF, _KINDS),
    "config-vlan": Grammar(_CONFIG_VLAN, _KINDS),
}
