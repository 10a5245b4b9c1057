# SPDX-License-Identifier: GPL-3.0-or-later
"""HP ProCurve / ArubaOS-Switch dialect of the simulated switch."""

from __future__ import annotations

import asyncio
import re
from typing import ClassVar

from . import _model
from ._cli import Failure, Grammar
from ._session import Session

_PORT = re.compile(r"^([A-Z]?)(\d+)$|^(\d+/)(\d+)$")
_ESC_SETUP = "\x1b[2J\x1b[?7l\x1b[3;23r\x1b[?6l\x1b[24;1H\x1b[?25h\x1b[24;1H"
_BANNER = (
    "\n"
    "HP J9775A 2530-48G Switch\n"
    "Software revision YA.16.10.0009\n"
    "\n"
    "(C) Copyright 2020 Hewlett Packard Enterprise Development LP\n"
    "\n"
    "                   RESTRICTED RIGHTS LEGEND\n"
    " Confidential computer software.  Valid license from Hewlett Packard Enterprise\n"
    " Development LP required for possession, use or copying.  Consistent with FAR\n"
    " 12.211 and 12.212, Commercial Computer Software, Computer Software\n"
    " Documentation, and Technical Data for Commercial Items are licensed to the\n"
    " U.S. Government under vendor's standard commercial license.\n"
    "\n"
    "We'd like to keep you up to date about:\n"
    "  * Software feature updates\n"
    "  * New product announcements\n"
    "  * Special events\n"
    "\n"
    "Please register your products now at:  www.hpe.com/networking/register\n"
    "\n\n"
    "Press any key to continue"
)


def _split(name: str) -> tuple[str, int]:
    m = _PORT.match(name)
    if not m:
        raise ValueError(name)
    if m.group(2) is not None:
        return m.group(1), int(m.group(2))
    return m.group(3), int(m.group(4))


def parse_ports(text: str) -> list[str] | None:
    """'5', '1-4,6', 'A1-A3' -> port names (None when malformed). Existence is checked by
    the caller, which knows the chassis."""
    out: list[str] = []
    for part in text.split(","):
        lo, _dash, hi = part.partition("-")
        try:
            p1, n1 = _split(lo.upper())
            p2, n2 = _split(hi.upper()) if hi else (p1, n1)
        except ValueError:
            return None
        if p1 != p2 or n2 < n1 or n2 - n1 > 512:
            return None
        out.extend(f"{p1}{n}" for n in range(n1, n2 + 1))
    return out


def compress_ports(names: list[str]) -> str:
    """The inverse of parse_ports, in chassis order: ['1','2','3','5'] -> '1-3,5'."""
    runs: list[list] = []
    for name in names:
        prefix, num = _split(name)
        if runs and runs[-1][0] == prefix and runs[-1][2] == num - 1:
            runs[-1][2] = num
        else:
            runs.append([prefix, num, num])
    return ",".join(f"{p}{a}" if a == b else f"{p}{a}-{p}{b}" for p, a, b in runs)


def _name_arg(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    return _model.clean_text(text, _model.MAX_NAME)


_OPERATOR = [
    ("show version", None, "show_version"),
    ("show vlans", None, "show_vlans"),
    ("show vlans <1-4094>", None, "show_vlan_id"),
    ("show mac-address", None, "show_mac"),
    ("show arp", None, "show_arp"),
    ("show interfaces brief", None, "show_int_brief"),
    ("terminal length <1-1000>", None, "noop_arg"),
    ("terminal width <1-1000>", None, "noop_arg"),
    ("enable", None, "enable"),
    ("exit", None, "logout"),
    ("logout", None, "logout"),
]
_MANAGER = [
    *_OPERATOR,
    ("show running-config", None, "show_running"),
    ("show config", None, "show_startup"),
    ("configure terminal", None, "configure"),
    ("configure", None, "configure"),
    ("no page", None, "noop"),
    ("page", None, "noop"),
    ("write memory", "write_memory", "write_memory"),
]
_CONFIG = [
    ("vlan <1-4094>", "config", "vlan_ctx"),
    ("vlan <1-4094> name <LINE>", "config", "vlan_name"),
    ("vlan <1-4094> untagged <PORTS>", "config", "vlan_untagged"),
    ("vlan <1-4094> tagged <PORTS>", "config", "vlan_tagged"),
    ("no vlan <1-4094>", "config", "no_vlan"),
    ("interface <PORTS>", None, "eth_ctx"),
    ("hostname <LINE>", "config", "hostname"),
    ("password manager user-name <WORD> plaintext <LINE>", "change_password", "pw_manager"),
    ("password operator user-name <WORD> plaintext <LINE>", "change_password", "pw_operator"),
    ("end", None, "end"),
    ("exit", None, "exit_config"),
]
_VLAN = [
    ("name <LINE>", "config", "ctx_vlan_name"),
    ("untagged <PORTS>", "config", "ctx_untagged"),
    ("tagged <PORTS>", "config", "ctx_tagged"),
    ("no untagged <PORTS>", "config", "ctx_no_untagged"),
    ("no tagged <PORTS>", "config", "ctx_no_tagged"),
    ("end", None, "end"),
    ("exit", None, "exit_sub"),
]
_ETH = [
    ("name <LINE>", "config", "eth_name"),
    ("no name", "config", "eth_no_name"),
    ("disable", "config", "eth_disable"),
    ("enable", "config", "eth_enable"),
    ("end", None, "end"),
    ("exit", None, "exit_sub"),
]


class HpProcurveSession(Session):
    """A ProCurve 2530-48G (YA.16.10): banner, "Press any key", manager/operator levels."""

    grammars: ClassVar[dict[str, Grammar]] = {}
    parent_mode: ClassVar[dict[str, str]] = {
        "vlan": "config",
        "eth": "config",
        "config": "manager",
    }

    @staticmethod
    def check_interfaces(interfaces: list[str]) -> None:
        for name in interfaces:
            if not _PORT.match(name):
                raise ValueError(
                    f"interfaces: {name!r} is not a ProCurve port name; write it like '5', 'A5' or '1/5'"
                )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.context: int | list[str] | None = None

    def initial_mode(self) -> str:
        level = self.running["users"].get(self.user, {}).get("level")
        return "manager" if level == "manager" else "operator"

    def prompt(self) -> str:
        host = self.hostname[:32]
        if self.mode == "operator":
            return f"{host}> "
        if self.mode == "manager":
            return f"{host}# "
        if self.mode == "vlan":
            return f"{host}(vlan-{self.context})# "
        if self.mode == "eth":
            return f"{host}(eth-{compress_ports(self.context)})# "
        return f"{host}(config)# "

    async def greet(self) -> None:
        self.write(_BANNER)
        await self.read_key()
        self.write("\n" + _ESC_SETUP)

    def error(self, failure: Failure, line: str) -> str:
        token = _model.clean_text(failure.token, 40)
        if failure.reason == "ambiguous":
            return f"Ambiguous input: {token}\n"
        if failure.reason == "incomplete":
            return f"Incomplete input: {_model.clean_text(line.strip(), 80)}\n"
        return f"Invalid input: {token}\n"

    def reject_message(self, op: str, line: str) -> str:
        if op == "write_memory":
            return "Unable to save the configuration: the flash is busy, try again.\n"
        if op == "change_password":
            return "Password does not meet the minimum length requirement.\n"
        token = _model.clean_text(line.split()[0] if line.split() else "", 40)
        return f"Invalid input: {token}\n"

    def leave_submode(self, mode: str) -> None:
        # show/write commands borrowed from the manager level keep the context
        if mode == "config":
            self.mode = mode
            self.context = None

    # ---- checks --------------------------------------------------------------------------
    def _known(self, ports: list[str]) -> bool:
        missing = [p for p in ports if p not in self.running["ports"]]
        if missing:
            self.write(f"Module not present for port or invalid port: {missing[0]}\n")
            return False
        return True

    def _ensure_vlan(self, vid: int) -> bool:
        if str(vid) in self.running["vlans"]:
            return False
        self.running["vlans"][str(vid)] = _model.default_vlan_name("hp_procurve", vid)
        return True

    # ---- exec ----------------------------------------------------------------------------
    async def do_noop(self) -> bool:
        return False

    async def do_noop_arg(self, _value: int) -> bool:
        return False

    async def do_enable(self) -> bool:
        if self.mode != "operator":
            return False
        self.write("Username: ")
        name = (await self.read_line()).strip()
        self.write("Password: ")
        password = await self.read_line(echo=False)
        user = self.running["users"].get(name)
        manager = user is not None and user["level"] == "manager"
        if manager and await asyncio.to_thread(_model.verify, password, user["secret"]):
            self.mode = "manager"
        else:
            self.write("Invalid password\n")
        return False

    async def do_logout(self) -> bool:
        if self.mode == "manager" and self.running != self.sim.state["startup"]:
            self.write("Do you want to save the current configuration [y/n/^C]? ")
            answer = await self.read_key()
            self.write(answer + "\n" if answer.isprintable() else "\n")
            if answer == "\x03":
                return False
            if answer.lower() == "y":
                self.sim.state["startup"] = _model.clone(self.running)
                self.sim._changed()
        self.write("Do you want to log out [y/n]? ")
        answer = await self.read_key()
        self.write(answer + "\n" if answer.isprintable() else "\n")
        if answer.lower() == "y":
            self.close()
        return False

    async def do_configure(self) -> bool:
        self.mode = "config"
        return False

    async def do_write_memory(self) -> bool:
        self.sim.state["startup"] = _model.clone(self.running)
        return True

    async def do_end(self) -> bool:
        self.mode = "manager"
        self.context = None
        return False

    async def do_exit_config(self) -> bool:
        return await self.do_end()

    async def do_exit_sub(self) -> bool:
        self.mode = "config"
        self.context = None
        return False

    # ---- show ----------------------------------------------------------------------------
    async def do_show_version(self) -> bool:
        self.write(
            "Image stamp:    /ws/swbuildm/rel_yakima_qaoff/code/build/lvm(swbuildm_rel_yakima"
            "_qaoff_rel_yakima)\n"
            "                Jun 16 2020 10:37:27\n"
            "                YA.16.10.0009\n"
            "                1045\n"
            "Boot Image:     Primary\n\n"
        )
        return False

    async def do_show_vlans(self) -> bool:
        cfg = self.running
        lines = [
            "",
            " Status and Counters - VLAN Information",
            "",
            "  Maximum VLANs to support : 256",
            "  Primary VLAN : DEFAULT_VLAN",
            "  Management VLAN :",
            "",
            "  VLAN ID Name                             | Status     Voice Jumbo",
            "  ------- -------------------------------- + ---------- ----- -----",
        ]
        for vid in _model.sorted_vlans(cfg):
            name = cfg["vlans"][str(vid)]
            lines.append(f"  {vid:<7} {name:<32} | Port-based No    No")
        self.write("\n".join(lines) + "\n\n")
        return False

    async def do_show_vlan_id(self, vid: int) -> bool:
        cfg = self.running
        if str(vid) not in cfg["vlans"]:
            self.write(f"VLAN {vid} is not configured.\n")
            return False
        learnt = {iface for _v, _m, iface in _model.mac_entries(cfg, self.sim.mac_table)}
        lines = [
            "",
            f" Status and Counters - VLAN Information - VLAN {vid}",
            "",
            f"  VLAN ID : {vid}",
            f"  Name : {cfg['vlans'][str(vid)]}",
            "  Status : Port-based",
            "  Voice : No",
            "  Jumbo : No",
            "",
            "  Port Information Mode     Unknown VLAN Status    ",
            "  ---------------- -------- ------------ ----------",
        ]
        for name in self.sim.interfaces:
            port = cfg["ports"][name]
            if port["vlan"] == vid:
                mode = "Untagged"
            elif vid in port["tagged"]:
                mode = "Tagged"
            else:
                continue
            status = "Up" if name in learnt else "Down"
            lines.append(f"  {name:<16} {mode:<8} Learn        {status:<10}")
        self.write("\n".join(lines) + "\n\n")
        return False

    async def do_show_mac(self) -> bool:
        lines = [
            "",
            " Status and Counters - Port Address Table",
            "",
            "  MAC Address   Port   VLAN",
            "  ------------- ------ ----",
        ]
        for vlan, mac, iface in _model.mac_entries(self.running, self.sim.mac_table):
            lines.append(f"  {_model.mac_hp(mac)} {iface:<6} {vlan}")
        self.write("\n".join(lines) + "\n\n")
        return False

    async def do_show_arp(self) -> bool:
        """A 2530 with IP routing on: resolved hosts, the port each is reached through."""
        lines = [
            "",
            " IP ARP table",
            "",
            "  IP Address       MAC Address       Type    Port",
            "  --------------- ----------------- ------- ----",
        ]
        for address, mac, _vlan, iface in _model.arp_entries(
            self.running, self.sim.mac_table, self.sim.arp_table
        ):
            lines.append(f"  {address:<15}  {_model.mac_hp(mac):<17} dynamic {iface}")
        self.write("\n".join(lines) + "\n\n")
        return False

    async def do_show_int_brief(self) -> bool:
        learnt = {iface for _v, _m, iface in _model.mac_entries(self.running, self.sim.mac_table)}
        lines = [
            "",
            " Status and Counters - Port Status",
            "",
            "                          | Intrusion                           MDI  Flow  Bcast",
            "  Port         Type      | Alert     Enabled Status Mode       Mode Ctrl  Limit",
            "  ------------ --------- + --------- ------- ------ ---------- ---- ----- ------",
        ]
        for name in self.sim.interfaces:
            port = self.running["ports"][name]
            enabled = "No" if port["shutdown"] else "Yes"
            up = name in learnt
            status, mdi = ("Up", "MDIX") if up else ("Down", "Auto")
            lines.append(
                f"  {name:<12} 100/1000T | No        {enabled:<7} {status:<6} "
                f"{'1000FDx':<10} {mdi:<4} off   0"
            )
        self.write("\n".join(lines) + "\n\n")
        return False

    def render_config(self, cfg: dict) -> str:
        out = [
            "; J9775A Configuration Editor; Created on release #YA.16.10.0009",
            "; Ver #14:01.4f.f8.1d.9b.3f.bf.bb.ef.7c.59.fc.6b.fb.9f.fc.ff.ff.37.ef:05",
            "",
            f'hostname "{cfg["hostname"]}"',
            "module 1 type j9775a",
            "no telnet-server",
            "ip ssh",
            'snmp-server community "public" unrestricted',
        ]
        order = {name: i for i, name in enumerate(self.sim.interfaces)}
        for name in self.sim.interfaces:
            port = cfg["ports"][name]
            if port["description"] or port["shutdown"]:
                out.append(f"interface {name}")
                if port["shutdown"]:
                    out.append("   disable")
                if port["description"]:
                    out.append(f'   name "{port["description"]}"')
                out.append("   exit")
        for vid in _model.sorted_vlans(cfg):
            out.append(f"vlan {vid}")
            out.append(f'   name "{cfg["vlans"][str(vid)]}"')
            untagged = [n for n in self.sim.interfaces if cfg["ports"][n]["vlan"] == vid]
            tagged = [n for n in self.sim.interfaces if vid in cfg["ports"][n]["tagged"]]
            if untagged:
                out.append(f"   untagged {compress_ports(sorted(untagged, key=order.get))}")
            if tagged:
                out.append(f"   tagged {compress_ports(sorted(tagged, key=order.get))}")
            if vid == 1:
                out.append("   ip address dhcp-bootp")
            else:
                out.append("   no ip address")
            out.append("   exit")
        levels = {info["level"] for info in cfg["users"].values()}
        for level in ("manager", "operator"):
            if level in levels:
                out.append(f"password {level}")
        return "\n".join(out) + "\n"

    async def do_show_running(self) -> bool:
        self.write("\nRunning configuration:\n\n" + self.render_config(self.running) + "\n")
        return False

    async def do_show_startup(self) -> bool:
        body = self.render_config(self.sim.state["startup"])
        self.write("\nStartup configuration: 7\n\n" + body + "\n")
        return False

    # ---- config --------------------------------------------------------------------------
    async def do_vlan_ctx(self, vid: int) -> bool:
        self.mode = "vlan"
        self.context = vid
        return self._ensure_vlan(vid)

    def _rename(self, vid: int, text: str) -> bool:
        name = _name_arg(text)
        if not name:
            self.write("Invalid input: name\n")
            return False
        self._ensure_vlan(vid)
        self.running["vlans"][str(vid)] = name
        return True

    def _untag(self, vid: int, ports: list[str]) -> bool:
        if not self._known(ports):
            return False
        self._ensure_vlan(vid)
        for name in ports:
            port = self.running["ports"][name]
            port["vlan"] = vid
            if vid in port["tagged"]:
                port["tagged"].remove(vid)
        return True

    def _tag(self, vid: int, ports: list[str]) -> bool:
        if not self._known(ports):
            return False
        self._ensure_vlan(vid)
        for name in ports:
            port = self.running["ports"][name]
            if port["vlan"] == vid:
                port["vlan"] = None
            if vid not in port["tagged"]:
                port["tagged"] = sorted([*port["tagged"], vid])
            port["mode"] = "trunk"
        return True

    async def do_vlan_name(self, vid: int, text: str) -> bool:
        return self._rename(vid, text)

    async def do_vlan_untagged(self, vid: int, ports: list[str]) -> bool:
        return self._untag(vid, ports)

    async def do_vlan_tagged(self, vid: int, ports: list[str]) -> bool:
        return self._tag(vid, ports)

    async def do_ctx_vlan_name(self, text: str) -> bool:
        return self._rename(self.context, text)

    async def do_ctx_untagged(self, ports: list[str]) -> bool:
        return self._untag(self.context, ports)

    async def do_ctx_tagged(self, ports: list[str]) -> bool:
        return self._tag(self.context, ports)

    async def do_ctx_no_untagged(self, ports: list[str]) -> bool:
        if not self._known(ports):
            return False
        for name in ports:
            port = self.running["ports"][name]
            if port["vlan"] == self.context:
                port["vlan"] = 1 if self.context != 1 else None
        return True

    async def do_ctx_no_tagged(self, ports: list[str]) -> bool:
        if not self._known(ports):
            return False
        for name in ports:
            port = self.running["ports"][name]
            if self.context in port["tagged"]:
                port["tagged"].remove(self.context)
            if not port["tagged"]:
                port["mode"] = "access"
                if port["vlan"] is None:
                    port["vlan"] = 1
        return True

    async def do_no_vlan(self, vid: int) -> bool:
        if vid == 1:
            self.write("The default VLAN cannot be deleted.\n")
            return False
        if self.running["vlans"].pop(str(vid), None) is None:
            self.write(f"VLAN {vid} not found.\n")
            return False
        for port in self.running["ports"].values():
            if port["vlan"] == vid:
                port["vlan"] = 1
            if vid in port["tagged"]:
                port["tagged"].remove(vid)
        return True

    async def do_eth_ctx(self, ports: list[str]) -> bool:
        if not self._known(ports):
            return False
        self.mode = "eth"
        self.context = ports
        return False

    def _each_port(self):
        return [self.running["ports"][name] for name in self.context]

    async def do_eth_name(self, text: str) -> bool:
        for port in self._each_port():
            port["description"] = _name_arg(text)
        return True

    async def do_eth_no_name(self) -> bool:
        for port in self._each_port():
            port["description"] = ""
        return True

    async def do_eth_disable(self) -> bool:
        for port in self._each_port():
            port["shutdown"] = True
        return True

    async def do_eth_enable(self) -> bool:
        for port in self._each_port():
            port["shutdown"] = False
        return True

    async def do_hostname(self, text: str) -> bool:
        name = _name_arg(text)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            self.write("Invalid input: hostname\n")
            return False
        self.running["hostname"] = name
        return True

    def _set_password(self, level: str, name: str, text: str) -> bool:
        password = text.strip()
        if len(password) >= 2 and password[0] == password[-1] == '"':
            password = password[1:-1]
        if not password or len(password) > 64:
            self.write("Invalid password: use 1 to 64 characters.\n")
            return False
        users = self.running["users"]
        for old in [u for u, info in users.items() if info["level"] == level]:
            del users[old]
        users[name[:64]] = {"level": level, "secret": _model.type9_hash(password)}
        return True

    async def do_pw_manager(self, name: str, text: str) -> bool:
        return self._set_password("manager", name, text)

    async def do_pw_operator(self, name: str, text: str) -> bool:
        return self._set_password("operator", name, text)


_KINDS = {"PORTS": parse_ports}
HpProcurveSession.grammars = {
    "operator": Grammar(_OPERATOR, _KINDS),
    "manager": Grammar(_MANAGER, _KINDS),
    "config": Grammar(_CONFIG, _KINDS),
    "vlan": Grammar(_VLAN, _KINDS),
    "eth": Grammar(_ETH, _KINDS),
}
