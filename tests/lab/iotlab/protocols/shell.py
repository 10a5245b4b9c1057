# SPDX-License-Identifier: GPL-3.0-or-later
"""A BusyBox ash look-alike: the shell behind telnet and SSH logins (``passwd`` works)."""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from ..errors import DropConnection, PolicyError

if TYPE_CHECKING:
    from ..devices.base import Device

MAX_COMMAND = 1024
IDLE_SECONDS = 300.0


class ShellIO(Protocol):
    async def write(self, text: str) -> None: ...
    async def readline(self, echo: bool = True) -> str | None: ...


def busybox_version(device: Device) -> str:
    return device.variant.get("busybox", "BusyBox v1.19.4 (2014-06-10 11:55:12 CST)")


class BusyBoxShell:
    def __init__(self, device: Device, user: str, io: ShellIO) -> None:
        self.device = device
        self.user = user
        self.io = io
        self.commands: dict[str, Callable[[list[str]], Awaitable[str | None]]] = {
            "passwd": self.passwd,
            "id": self.id,
            "whoami": self.whoami,
            "uname": self.uname,
            "hostname": self.hostname,
            "echo": self.echo,
            "cat": self.cat,
            "busybox": self.busybox,
            "help": self.help,
            "ifconfig": self.ifconfig,
            "ps": self.ps,
            "true": self.nothing,
        }

    @property
    def prompt(self) -> str:
        return self.device.variant.get("prompt", "# " if self.user == "root" else "$ ")

    async def interact(self) -> None:
        banner = self.device.variant.get("shell_banner")
        if banner is None:
            banner = (
                f"\r\n\r\n{busybox_version(self.device)} built-in shell (ash)\r\n"
                "Enter 'help' for a list of built-in commands.\r\n\r\n"
            )
        await self.io.write(banner)
        while True:
            await self.io.write(self.prompt)
            try:
                line = await asyncio.wait_for(self.io.readline(), IDLE_SECONDS)
            except TimeoutError:
                await self.io.write("\r\ntimed out waiting for input: auto-logout\r\n")
                return
            if line is None:
                return
            if line.strip() in ("exit", "logout"):
                return
            out = await self.run(line)
            if out:
                await self.io.write(out.replace("\n", "\r\n") if "\r\n" not in out else out)

    async def run(self, line: str) -> str:
        line = line.strip()[:MAX_COMMAND]
        if not line:
            return ""
        outputs = []
        for part in line.split(";"):
            try:
                argv = shlex.split(part)
            except ValueError:
                outputs.append("-sh: syntax error: unterminated quoted string\n")
                continue
            if not argv:
                continue
            name = argv[0].rsplit("/", 1)[-1]
            if name == "busybox" and len(argv) > 1:
                name, argv = argv[1], argv[1:]
                if name not in self.commands:
                    outputs.append(f"{name}: applet not found\n")
                    continue
            fn = self.commands.get(name)
            if fn is None:
                outputs.append(f"-sh: {argv[0]}: not found\n")
                continue
            outputs.append(await fn(argv) or "")
        return "".join(outputs)

    async def nothing(self, argv: list[str]) -> str:
        return ""

    async def id(self, argv: list[str]) -> str:
        uid = 0 if self.user == "root" else 1000
        return f"uid={uid}({self.user}) gid={uid}({self.user})\n"

    async def whoami(self, argv: list[str]) -> str:
        return f"{self.user}\n"

    async def hostname(self, argv: list[str]) -> str:
        return f"{self.device.hostname}\n"

    async def uname(self, argv: list[str]) -> str:
        kernel = self.device.variant.get("kernel", "3.10.0")
        arch = self.device.variant.get("arch", "armv7l")
        if "-a" in argv:
            return f"Linux {self.device.hostname} {kernel} #1 PREEMPT {arch} GNU/Linux\n"
        return "Linux\n"

    async def echo(self, argv: list[str]) -> str:
        return " ".join(argv[1:]) + "\n"

    async def busybox(self, argv: list[str]) -> str:
        return (
            f"{busybox_version(self.device)} multi-call binary.\n\nUsage: busybox [function [arguments]...]\n"
        )

    async def help(self, argv: list[str]) -> str:
        return "Built-in commands:\n-------------------\n\t" + " ".join(sorted(self.commands)) + " exit\n"

    async def cat(self, argv: list[str]) -> str:
        kernel = self.device.variant.get("kernel", "3.10.0")
        files = {
            "/proc/version": f"Linux version {kernel} (gcc version 4.9.4) #1 PREEMPT\n",
            "/etc/passwd": "".join(
                f"{u}:x:{0 if u == 'root' else 1000}:0::/:/bin/sh\n" for u in self.device.state["users"]
            ),
            "/etc/hostname": f"{self.device.hostname}\n",
        }
        out = []
        for path in argv[1:]:
            out.append(files.get(path, f"cat: can't open '{path}': No such file or directory\n"))
        return "".join(out)

    async def ifconfig(self, argv: list[str]) -> str:
        return (
            f"eth0      Link encap:Ethernet  HWaddr {self.device.spec.mac.upper()}\n"
            f"          inet addr:{self.device.address}  Bcast:0.0.0.0  Mask:255.255.255.0\n"
            "          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n"
        )

    async def ps(self, argv: list[str]) -> str:
        return (
            "  PID USER       VSZ STAT COMMAND\n"
            "    1 root      1520 S    init\n"
            "  412 root      1524 S    telnetd\n"
        )

    async def passwd(self, argv: list[str]) -> str:
        target = argv[1] if len(argv) > 1 else self.user
        if target != self.user and self.user != "root":
            return "passwd: must be suid to work properly\n"
        if target not in self.device.state["users"]:
            return f"passwd: unknown user {target}\n"
        # loginutils/passwd.c with libbb/obscure.c: a weak password ends the dialog for a
        # user; root is told "Bad password: ..." and asked to retype it all the same
        await self.io.write(f"Changing password for {target}\r\nNew password: ")
        first = await self.io.readline(echo=False)
        if first is None:
            raise DropConnection
        problem = self.device.policy_problem(target, first)
        if problem:
            await self.io.write(f"\r\nBad password: {problem}\r\n")
            if self.user != "root":
                return f"passwd: password for {target} is unchanged\n"
        await self.io.write("\r\nRetype password: ")
        second = await self.io.readline(echo=False)
        await self.io.write("\r\n")
        if second is None:
            raise DropConnection
        if first != second:
            return f"Passwords don't match\npasswd: password for {target} is unchanged\n"
        fault = await self.device.gate("change_password")
        if fault == "reject":
            return f"passwd: password for {target} is unchanged\n"
        try:
            self.device.change_password(target, first, force=self.user == "root")
        except PolicyError as exc:
            return f"passwd: {exc}\npasswd: password for {target} is unchanged\n"
        if fault == "drop_after":
            raise DropConnection
        return f"passwd: password for {target} changed by {self.user}\n"
