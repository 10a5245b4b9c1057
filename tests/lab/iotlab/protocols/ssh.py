# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH (asyncssh) with password logins checked against the device, and the BusyBox shell."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from ..errors import DropConnection
from .shell import BusyBoxShell

if TYPE_CHECKING:
    from ..devices.base import Device

_KEYS: dict[Path, Any] = {}


def host_key(path: Path) -> Any:
    """One ed25519 host key per site, kept 0600 in the site's state directory."""
    if path not in _KEYS:
        if path.exists():
            _KEYS[path] = asyncssh.read_private_key(str(path))
        else:
            key = asyncssh.generate_private_key("ssh-ed25519")
            key.write_private_key(str(path))
            path.chmod(0o600)
            _KEYS[path] = key
    return _KEYS[path]


class _SshIO:
    def __init__(self, process: asyncssh.SSHServerProcess) -> None:
        self.process = process

    async def write(self, text: str) -> None:
        self.process.stdout.write(text)

    async def readline(self, echo: bool = True) -> str | None:
        chan = self.process.channel
        if not echo:
            try:
                chan.set_echo(False)
            except (asyncssh.Error, AttributeError, ValueError):
                pass
        try:
            line = await self.process.stdin.readline()
        except (asyncssh.BreakReceived, asyncssh.TerminalSizeChanged):
            line = ""
        finally:
            if not echo:
                try:
                    chan.set_echo(True)
                except (asyncssh.Error, AttributeError, ValueError):
                    pass
        if line == "" and self.process.stdin.at_eof():
            return None
        return "".join(ch for ch in line.rstrip("\r\n") if ch.isprintable())


class _Server(asyncssh.SSHServer):
    def __init__(self, device: Device) -> None:
        self.device = device
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn

    async def begin_auth(self, username: str) -> bool:
        # the SSH counterpart of a new connection: where "connect" faults apply
        try:
            fault = await self.device.gate("connect")
        except DropConnection:
            fault = "drop_before"
        if fault is not None and self.conn is not None:
            self.conn.abort()
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        try:
            fault = await self.device.gate("login")
        except DropConnection:
            if self.conn is not None:
                self.conn.abort()
            return False
        ok = fault != "reject" and self.device.check_password(username, password) == "ok"
        if fault == "drop_after" and self.conn is not None:
            self.conn.abort()
            return False
        return ok


async def start_ssh_server(
    device: Device, sock: socket.socket, key_path: Path, shell_class: Any = None
) -> Any:
    """SSH on ``sock``; a session runs ``shell_class`` (the BusyBox shell unless the device
    has a CLI of its own), which offers ``interact()`` and ``run(command)``."""

    async def process_factory(process: asyncssh.SSHServerProcess) -> None:
        user = process.get_extra_info("username")
        shell = (shell_class or BusyBoxShell)(device, user, _SshIO(process))
        try:
            if process.command:
                process.stdout.write((await shell.run(process.command)).replace("\n", "\r\n"))
            else:
                await shell.interact()
            process.exit(0)
        except DropConnection:
            process.channel.get_connection().abort()
        except (asyncssh.Error, ConnectionError):
            process.close()

    return await asyncssh.listen(
        sock=sock,
        server_host_keys=[host_key(key_path)],
        server_factory=lambda: _Server(device),
        process_factory=process_factory,
        server_version=device.variant.get("ssh_version", "dropbear_2014.63"),
        line_editor=True,
        encoding="utf-8",
        login_timeout=30,
    )
