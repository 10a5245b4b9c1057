# SPDX-License-Identifier: GPL-3.0-or-later
"""Ubiquiti EdgeRouter-like routers: the EdgeOS CLI over SSH and the web UI's login page.

Follows Ubiquiti's EdgeOS documentation ("EdgeRouter - Configuration and Operational Mode",
"EdgeRouter - How to Create a User"; the Vyatta CLI it inherits): operational mode with the
prompt ``user@host:~$``; ``configure`` enters configuration mode (``[edit]`` then
``user@host#``); ``set system login user U authentication plaintext-password P`` stages a
change; ``commit`` applies it (a login then needs the new password); ``save`` writes
``/config/config.boot`` (``Saving configuration to '/config/config.boot'...`` / ``Done``);
``exit`` refuses to leave with uncommitted changes (``Cannot exit: configuration modified``)
until ``exit discard``. ``terminal length``/``width`` and ``show version`` as the real CLI.
"""

from __future__ import annotations

import asyncio
import shlex
from typing import Any, ClassVar

from ..errors import PolicyError
from ..protocols.http import Request, Response, serve_http
from ..protocols.ssh import start_ssh_server
from .base import Device, Listener

IDLE_SECONDS = 300.0
MAX_COMMAND = 4096


class EdgeOsCli:
    """One CLI session (the shell class the lab's SSH server runs)."""

    def __init__(self, device: EdgeRouter, user: str, io: Any) -> None:
        self.device = device
        self.user = user
        self.io = io
        self.configuring = False
        self.staged: dict[str, str] = {}

    @property
    def prompt(self) -> str:
        host = self.device.hostname
        return f"[edit]\r\n{self.user}@{host}# " if self.configuring else f"{self.user}@{host}:~$ "

    async def interact(self) -> None:
        await self.io.write(
            "Welcome to EdgeOS\r\n\r\nBy logging in, accessing, or using the Ubiquiti product, you\r\n"
            "acknowledge that you have read and understood the Ubiquiti License Agreement.\r\n"
        )
        while True:
            await self.io.write(self.prompt)
            try:
                line = await asyncio.wait_for(self.io.readline(), IDLE_SECONDS)
            except TimeoutError:
                return
            if line is None:
                return
            if line.strip() in ("exit", "logout") and not self.configuring:
                return
            out = await self.run(line)
            if out:
                await self.io.write(out.replace("\n", "\r\n"))

    async def run(self, line: str) -> str:
        line = line.strip()[:MAX_COMMAND]
        if not line:
            return ""
        try:
            argv = shlex.split(line)
        except ValueError:
            return "\n  Invalid command: unterminated quote\n\n"
        if self.configuring:
            return await self.config_command(argv)
        if argv[0] == "terminal" and len(argv) == 3 and argv[1] in ("length", "width"):
            return ""
        if argv[0] == "configure" and len(argv) == 1:
            self.configuring = True
            return ""
        if argv[:2] == ["show", "version"]:
            v = self.device.variant
            return (
                f"Version:      {self.device.firmware}\nBuild ID:     {v['build']}\n"
                f"Build on:     {v['built']}\nCopyright:    2012-2020 Ubiquiti Networks, Inc.\n"
                f"HW model:     {v['hw_model']}\nUptime:       00:42:17 up 1 day\n"
            )
        return f"\n  Invalid command: [{argv[0]}]\n\n"

    async def config_command(self, argv: list[str]) -> str:
        d = self.device
        if argv[0] == "set" and argv[1:4] == ["system", "login", "user"] and len(argv) == 8:
            name, rest = argv[4], argv[5:]
            if rest[:2] != ["authentication", "plaintext-password"]:
                return "\n  Configuration path: [system login user] is not valid\n  Set failed\n\n"
            self.staged[name] = rest[2]
            return ""
        if argv[0] == "set":
            return "\n  Configuration path is not valid\n  Set failed\n\n"
        if argv == ["commit"]:
            if not self.staged:
                return "No configuration changes to commit\n"
            fault = await d.gate("change_password")
            staged, self.staged = self.staged, {}
            if fault == "reject":
                return "[ system login user ]\nCommit failed\n"
            for name, password in staged.items():
                if name not in d.state["users"]:
                    d.state["users"][name] = {
                        "id": len(d.state["users"]) + 1,
                        "password": "",
                        "role": "admin",
                    }
                try:
                    d.change_password(name, password)
                except PolicyError as exc:
                    return f"[ system login user {name} authentication ]\n{exc}\nCommit failed\n"
            d.set_setting("config_saved", False)
            return ""
        if argv == ["save"]:
            await d.gate("set_config")
            d.set_setting("config_saved", True)
            d.set_setting("saves", int(d.settings.get("saves", 0)) + 1)
            return "Saving configuration to '/config/config.boot'...\nDone\n"
        if argv == ["exit"]:
            if self.staged:
                return (
                    "Cannot exit: configuration modified.\n"
                    "Use 'exit discard' to discard the changes and exit.\n"
                )
            self.configuring = False
            return "exit\n"
        if argv == ["exit", "discard"]:
            self.staged = {}
            self.configuring = False
            return "exit\n"
        if argv == ["discard"]:
            self.staged = {}
            return "Changes have been discarded\n"
        return f"\n  Invalid command: [{argv[0]}]\n\n"


class EdgeRouter(Device):
    KIND = "edgeos_router"
    DEVICE_CLASS = "router"
    VARIANTS: ClassVar[dict[str, dict[str, Any]]] = {
        "er-x-2.0.9": {
            "vendor": "Ubiquiti",
            "model": "ER-X",
            "hw_model": "EdgeRouter X 5-Port",
            "firmware": "v2.0.9-hotfix.7",
            "build": "5574651",
            "built": "12/30/20 14:58",
            "oui": "74:83:c2",
            "users": [{"username": "ubnt", "password": "ubnt", "role": "admin"}],
            "policy": {"min_length": 1, "max_length": 64, "min_classes": 1},
            "lockout": {"enabled": False, "configurable": False},
            "settings": {"hostname": "ubnt", "config_saved": True, "saves": 0},
            "ssh_version": "OpenSSH_7.4p1 Debian-10+deb9u7",
        },
    }

    def listeners(self) -> list[Listener]:
        return [
            Listener("ssh", "tcp", 22, None, True),
            Listener("http", "tcp", 80, lambda c: serve_http(c, self.web, "Server"), True),
        ]

    async def start_ssh(self, sock):
        return await start_ssh_server(self, sock, self.lab.ssh_host_key_path(), EdgeOsCli)

    async def web(self, req: Request) -> Response:
        if req.path in ("/", "/login"):
            return Response(
                200,
                "<!DOCTYPE html><html><head><title>EdgeOS</title></head><body>"
                '<form method="post" action="/"><input name="username">'
                '<input type="password" name="password">'
                "</form></body></html>\n",
            )
        return Response(404, "<html><body>Not Found</body></html>\n")
