# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH (paramiko against the asyncssh server) and FTP logins, with the device's lockout."""

from __future__ import annotations

import ftplib
import time

import paramiko
import pytest

pytestmark = pytest.mark.lab


def ssh(address: str, user: str, password: str) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - the lab's own throwaway key
    client.connect(
        address, username=user, password=password, timeout=10, allow_agent=False, look_for_keys=False
    )
    return client


def read_until(chan: paramiko.Channel, marker: bytes, timeout: float = 10) -> bytes:
    buf, deadline = b"", time.monotonic() + timeout
    while marker not in buf:
        if time.monotonic() > deadline:
            raise TimeoutError(buf[-200:])
        if chan.recv_ready():
            buf += chan.recv(4096)
        else:
            time.sleep(0.02)
    return buf


def test_ssh_exec_and_interactive_passwd(lab_site):
    cam = lab_site.device("cam-hall-02")
    assert lab_site.truth and 22 in cam["tcp_ports"]
    user, pw = cam["credentials"][0]["username"], cam["credentials"][0]["password"]
    client = ssh(cam["address"], user, pw)
    try:
        assert client.get_transport().remote_version == "SSH-2.0-dropbear_2014.63"
        _stdin, out, _stderr = client.exec_command("id; uname -a")
        text = out.read().decode()
        assert f"uid=1000({user})" in text and "Linux cam-hall-02" in text
        chan = client.invoke_shell()
        read_until(chan, b"# ")
        chan.send("passwd\n")
        read_until(chan, b"New password: ")
        chan.send("Ssh-Rotated-1\n")
        read_until(chan, b"Retype password: ")
        chan.send("Ssh-Rotated-1\n")
        done = read_until(chan, b"# ")
        assert b"changed by" in done and b"Ssh-Rotated-1" not in done  # no echo of the secret
    finally:
        client.close()
    with pytest.raises(paramiko.AuthenticationException):
        ssh(cam["address"], user, pw)
    ssh(cam["address"], user, "Ssh-Rotated-1").close()


def test_ssh_lockout_after_threshold(lab_site):
    nvr = lab_site.device("nvr-01")  # lockout enabled, 5 failures, 30 minutes
    user, pw = nvr["credentials"][0]["username"], nvr["credentials"][0]["password"]
    assert nvr["lockout"]["enabled"] and nvr["lockout"]["threshold"] == 5
    ssh(nvr["address"], user, pw).close()
    for _unused in range(5):
        with pytest.raises(paramiko.AuthenticationException):
            ssh(nvr["address"], user, "wrong-guess")
    with pytest.raises(paramiko.AuthenticationException):
        ssh(nvr["address"], user, pw)  # the right password no longer helps


def test_axis_ftp_banner_and_login(lab_site):
    cam = lab_site.device("cam-pharmacy-01")
    user, pw = cam["credentials"][0]["username"], cam["credentials"][0]["password"]
    ftp = ftplib.FTP()  # noqa: S321 - the device under test speaks cleartext FTP
    welcome = ftp.connect(cam["address"], 21, timeout=5)
    assert welcome.startswith("220 Axis M3045-V Network Camera 9.80.1")
    with pytest.raises(ftplib.error_perm, match="530"):
        ftp.login(user, "wrong")
    assert ftp.login(user, pw).startswith("230")
    ftp.quit()


def test_ssh_connect_fault_drops_the_session(lab_site):
    cam = lab_site.device("cam-hall-01")
    user, pw = cam["credentials"][0]["username"], cam["credentials"][0]["password"]
    lab_site.fault("cam-hall-01", "connect", "drop_before", times=1)
    with pytest.raises((paramiko.SSHException, EOFError, ConnectionResetError)):
        ssh(cam["address"], user, pw)
    ssh(cam["address"], user, pw).close()
