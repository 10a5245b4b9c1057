# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify the lockout baseline by attacking it: PAM directly (pamtester), SSH from the
controller (paramiko), a real password cracker (hydra) and an SSH auditor (ssh-audit)."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import time

import paramiko
import pytest

DENY = 3  # converge.yml sets lockout_policy_faillock_deny: 3


def _password(user: str) -> str:
    pw_dir = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "test-passwords"
    return (pw_dir / user).read_text().split()[0]


@pytest.fixture(scope="module")
def address(host) -> str:
    addr = host.interface("eth0").addresses[0]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection((addr, 22), timeout=2).close()
            return addr
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"sshd on the container ({addr}:22) does not answer")


def ssh_login(address: str, user: str, password: str) -> bool:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - throwaway test container
    try:
        client.connect(
            address, username=user, password=password, look_for_keys=False, allow_agent=False, timeout=15
        )
    except paramiko.AuthenticationException:
        return False
    else:
        _stdin, out, _stderr = client.exec_command("id -un")
        return out.read().decode().strip() == user
    finally:
        client.close()


def failures(host, user: str) -> int:
    out = host.check_output(f"faillock --user {user}")
    return sum(1 for line in out.splitlines() if line.strip().endswith(" V"))


def test_pam_locks_after_deny_failures(host):
    user, good = "pamuser", _password("pamuser")
    assert host.run(f"printf '%s\\n' '{good}' | pamtester sshd {user} authenticate").rc == 0
    for _attempt in range(DENY):
        assert host.run(f"printf 'wrong\\n' | pamtester sshd {user} authenticate").rc != 0
    assert failures(host, user) == DENY
    locked = host.run(f"printf '%s\\n' '{good}' | pamtester sshd {user} authenticate")
    assert locked.rc != 0, "the right password still works after the account should be locked"
    host.check_output(f"faillock --user {user} --reset")
    assert host.run(f"printf '%s\\n' '{good}' | pamtester sshd {user} authenticate").rc == 0


def test_ssh_logins_lock_the_account(host, address):
    user, good = "sshuser", _password("sshuser")
    assert ssh_login(address, user, good), "the test account cannot log in before any failure"
    for attempt in range(DENY):
        assert not ssh_login(address, user, f"wrong-{attempt}")
    assert not ssh_login(address, user, good), "SSH still accepts the right password on a locked account"
    host.check_output(f"faillock --user {user} --reset")
    assert ssh_login(address, user, good)


def test_max_auth_tries_per_connection(address):
    sock = socket.create_connection((address, 22), timeout=15)
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=15)
        refused = 0
        for attempt in range(5):
            try:
                transport.auth_password("triesuser", f"wrong-{attempt}")
            except paramiko.AuthenticationException:
                refused += 1
            except (paramiko.SSHException, EOFError):
                break
        # MaxAuthTries 3: sshd drops the connection once the limit is reached, so at
        # most three password attempts fit into one connection.
        assert refused <= 3
    finally:
        transport.close()


def test_root_password_login_refused(address):
    assert not ssh_login(address, "root", _password("root"))


def test_hydra_finds_nothing_once_locked(host, address, tmp_path):
    def crack(user: str, guesses: list[str]) -> list[dict]:
        wordlist = tmp_path / f"{user}.txt"
        wordlist.write_text("\n".join(guesses) + "\n")
        out = tmp_path / f"{user}.json"
        subprocess.run(
            [
                "hydra",
                "-l",
                user,
                "-P",
                str(wordlist),
                "-t",
                "1",
                "-f",
                "-I",
                "-o",
                str(out),
                "-b",
                "json",
                f"ssh://{address}",
            ],
            check=False,
            capture_output=True,
            timeout=300,
        )
        return json.loads(out.read_text())["results"] if out.exists() else []

    # Control: hydra does find a password that comes before the lockout threshold, so an
    # empty result below means the lockout stopped it, not that hydra could not work.
    found = crack("hydractl", ["wrong-a", _password("hydractl")])
    assert [r["password"] for r in found] == [_password("hydractl")]

    guesses = [f"wrong-{i}" for i in range(DENY + 2)] + [_password("hydrauser")]
    assert crack("hydrauser", guesses) == []
    assert failures(host, "hydrauser") >= DENY


def test_ssh_audit_reports_no_failures(address):
    run = subprocess.run(
        ["ssh-audit", "-j", "-p", "22", address], check=False, capture_output=True, text=True, timeout=120
    )
    report = json.loads(run.stdout)
    # ssh-audit really audited the server: it listed what sshd offers.
    offered = {alg["algorithm"] for alg in report["kex"]}
    assert "sntrup761x25519-sha512@openssh.com" in offered
    # An unhardened Debian 12 sshd gets critical "remove" advice for the NIST curves,
    # ECDSA host keys and SHA-1 MACs; the hardened one gets none.
    critical = report.get("recommendations", {}).get("critical", {})
    fails = [
        (action, section, rec["name"])
        for action, sections in critical.items()
        for section, recs in sections.items()
        for rec in recs
    ]
    assert fails == [], f"ssh-audit critical findings: {fails}"
    assert not report.get("cves"), f"ssh-audit lists CVEs: {report['cves']}"


def test_sshd_effective_settings(host):
    effective = dict(line.split(" ", 1) for line in host.check_output("sshd -T").splitlines() if " " in line)
    assert effective["maxauthtries"] == "3"
    assert effective["permitrootlogin"] == "without-password"
    assert effective["permitemptypasswords"] == "no"
    assert "diffie-hellman-group1-sha1" not in effective["kexalgorithms"]
