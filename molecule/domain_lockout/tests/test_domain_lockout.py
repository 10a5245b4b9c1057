# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify the domain's lockout policy by attacking it: a parallel cracker from the controller
(hydra -t 16 over LDAPS) with alice's real password after more wrong guesses than the
threshold, then the domain's own records (ldbsearch: badPwdCount, lockoutTime), SMB logins
with smbclient (the right password refused while locked, accepted after the lock time),
another user and the break-glass account unaffected. prepare ran the same attack as a
control and it found the password. The tests run in file order: the lock happens first and
the last test waits out the rest of the one-minute lock."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shlex
import subprocess
import time

import pytest
import testinfra
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
POLICY = yaml.safe_load((SCENARIO / "group_vars" / "domain_controllers.yml").read_text())
DENY = POLICY["lockout_policy_faillock_deny"]
LOCK_SECONDS = POLICY["lockout_policy_faillock_unlock_time"]
ADDRESS = "10.212.1.10"
CONTAINER = "domain_lockout-dc"
SAM = "/var/lib/samba/private/sam.ldb"
EPHEMERAL = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
STATE = {}
# hydra's run and the endings accepted from it, shared with the other lockout scenarios
_spec = importlib.util.spec_from_file_location("hydra_judge", SCENARIO.parent / "shared/hydra_judge.py")
hydra_judge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hydra_judge)


def _password(user: str) -> str:
    return (EPHEMERAL / "test-passwords" / user).read_text().split()[0] + "-Qx7"


@pytest.fixture(scope="module")
def host():
    return testinfra.get_host(f"podman://{CONTAINER}")


@pytest.fixture(scope="module", autouse=True)
def route():
    out = subprocess.run(["ip", "route", "get", ADDRESS], check=True, capture_output=True, text=True).stdout
    assert " src 10.212.1." in out, f"{ADDRESS} is not reached over this host's bridge: {out}"


def smb_login(host, user: str, password: str):
    """An SMB session (NTLM) against the domain controller's netlogon share; smbclient reads
    the password from PASSWD, so it is not on its command line."""
    cmd = f"PASSWD={shlex.quote(password)} smbclient -U LAB\\\\{user} //{ADDRESS}/netlogon -c exit"
    return host.run(cmd)


def account(host, user: str) -> dict:
    out = host.check_output(f"ldbsearch -H {SAM} '(sAMAccountName={user})' badPwdCount lockoutTime")
    wanted = ("badPwdCount: ", "lockoutTime: ")
    pairs = (line.split(": ", 1) for line in out.splitlines() if line.startswith(wanted))
    return {k: int(v) for k, v in pairs}


def hydra(user: str, wordlist: pathlib.Path, name: str) -> list:
    out = EPHEMERAL / name
    argv = ["hydra", "-l", f"{user}@lab.example", "-P", str(wordlist), "-t", "16", "-I", "-f",
            "-o", str(out), "-b", "json", f"ldap2s://{ADDRESS}"]  # fmt: skip
    # an ending with exit 255 after every guess was answered is accepted (hydra_judge); the
    # account's own records below say whether the guesses arrived
    hydra_judge.run(argv, cwd=EPHEMERAL, timeout=120)
    return json.loads(out.read_text())["results"]


def test_samba_tool_reports_the_policy(host):
    show = host.check_output("samba-tool domain passwordsettings show")
    for line in (
        f"Account lockout threshold (attempts): {DENY}",
        "Reset account lockout after (mins): 1",
        "Account lockout duration (mins): 1",
        "Minimum password length: 12",
        "Password history length: 6",
        "Maximum password age (days): 90",
        "Minimum password age (days): 2",
        "Password complexity: on",
    ):
        assert line in show.splitlines(), f"{line!r} not in:\n{show}"


def test_admins_and_break_glass_have_their_own_pso(host):
    admins = host.check_output("samba-tool domain passwordsettings pso show iotguard-admins")
    assert "Minimum password length: 16" in admins
    assert f"Account lockout threshold (attempts): {DENY}" in admins
    assert "CN=Domain Admins,CN=Users,DC=lab,DC=example" in admins
    assert "CN=Schema Admins,CN=Users,DC=lab,DC=example" in admins
    bg = host.check_output("samba-tool domain passwordsettings pso show-user breakglass")
    assert "iotguard-break-glass" in bg and "Account lockout threshold (attempts): 0" in bg
    admin = host.check_output("samba-tool domain passwordsettings pso show-user Administrator")
    assert "iotguard-admins" in admin


def test_parallel_cracker_is_stopped_by_the_lockout(host):
    wordlist = EPHEMERAL / "hydra-wordlist"
    guesses = wordlist.read_text().split()
    position = guesses.index(_password("alice")) + 1
    # beyond hydra's 16 tasks (the first 16 guesses go out at once, in any order), and not
    # among the last ones (whose answers hydra may not read before it ends)
    assert 16 < position <= len(guesses) - 16
    assert account(host, "alice").get("lockoutTime", 0) == 0
    found = hydra("alice", wordlist, "hydra-after.json")
    STATE["locked_at"] = time.monotonic()
    assert found == [], f"hydra -t 16 found alice's password (guess {position}) despite a threshold of {DENY}"
    record = account(host, "alice")
    assert record["lockoutTime"] > 0, record
    assert record["badPwdCount"] >= DENY, record


def test_right_password_is_refused_while_locked(host):
    result = smb_login(host, "alice", _password("alice"))
    assert result.rc != 0 and "NT_STATUS_ACCOUNT_LOCKED_OUT" in result.stdout + result.stderr, result


def test_other_users_are_unaffected(host):
    result = smb_login(host, "bob", _password("bob"))
    assert result.rc == 0, result
    assert account(host, "bob").get("lockoutTime", 0) == 0


def test_break_glass_survives_the_same_attack(host):
    wordlist = EPHEMERAL / "hydra-wordlist-breakglass"
    wordlist.write_text("".join(f"Wrong-Guess-{n}\n" for n in range(1, 3 * DENY)))
    wordlist.chmod(0o600)
    assert hydra("breakglass", wordlist, "hydra-breakglass.json") == []
    assert account(host, "breakglass").get("lockoutTime", 0) == 0  # the guesses did not lock it
    result = smb_login(host, "breakglass", _password("breakglass"))
    assert result.rc == 0, result


def test_account_unlocks_after_the_lock_time(host):
    assert "locked_at" in STATE, "the attack test did not run first"
    time.sleep(max(0.0, STATE["locked_at"] + LOCK_SECONDS + 2 - time.monotonic()))
    result = smb_login(host, "alice", _password("alice"))
    assert result.rc == 0, result
