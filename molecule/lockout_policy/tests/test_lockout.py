# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify the lockout policy by attacking it as a new user would: a parallel cracker from
the controller (hydra -t 16), a local user on the box (su, the tally files), password
services outside PAM, a connection flood against the engineer; and by changing passwords
through PAM (pwquality, pwhistory). Every value in policy.yml differs from the default of
the software it configures, so a setting the role failed to write shows up here."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import paramiko
import pytest
import testinfra
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
POLICY = yaml.safe_load((SCENARIO / "vars" / "policy.yml").read_text())
DENY = POLICY["lockout_policy_faillock_deny"]
ADDRESS = "10.202.0.10"
CONTAINER = "lockout_policy-host"
TALLY_DIR = "/var/lib/faillock"
EPHEMERAL = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))


def _password(user: str) -> str:
    return (EPHEMERAL / "test-passwords" / user).read_text().split()[0]


def _key() -> paramiko.Ed25519Key:
    return paramiko.Ed25519Key.from_private_key_file(str(EPHEMERAL / "engineer_key"))


@pytest.fixture(scope="module")
def host():
    # podman exec directly: an Ansible run per command would make verify take minutes
    return testinfra.get_host(f"podman://{CONTAINER}")


@pytest.fixture(scope="module", autouse=True)
def route():
    out = subprocess.run(["ip", "route", "get", ADDRESS], check=True, capture_output=True, text=True).stdout
    assert " src 10.202.0." in out, f"{ADDRESS} is not reached over this host's bridge: {out}"


def wait_for_sshd(port: int = 22) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection((ADDRESS, port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"sshd on {ADDRESS}:{port} does not answer")


def connect(
    user: str, password: str | None = None, key: bool = False, port: int = 22
) -> paramiko.SSHClient | None:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # noqa: S507 - throwaway test container
    try:
        client.connect(
            ADDRESS,
            port=port,
            username=user,
            password=password,
            pkey=_key() if key else None,
            look_for_keys=False,
            allow_agent=False,
            timeout=15,
            banner_timeout=15,
            auth_timeout=15,
        )
    except (paramiko.AuthenticationException, paramiko.SSHException, OSError):
        client.close()
        return None
    return client


def runs(client: paramiko.SSHClient | None, command: str = "id -un") -> str | None:
    if client is None:
        return None
    try:
        _in, out, _err = client.exec_command(command, timeout=15)
        return out.read().decode().strip()
    finally:
        client.close()


def ssh_login(user: str, password: str) -> bool:
    return runs(connect(user, password)) == user


def key_login(user: str) -> bool:
    return runs(connect(user, key=True)) == user


def allowed_methods(user: str) -> list[str]:
    transport = paramiko.Transport(socket.create_connection((ADDRESS, 22), timeout=15))
    try:
        transport.start_client(timeout=15)
        try:
            transport.auth_none(user)
        except paramiko.BadAuthenticationType as exc:
            return list(exc.allowed_types)
        return ["none"]
    finally:
        transport.close()


def failures(host, user: str) -> int:
    out = host.check_output(f"faillock --dir {TALLY_DIR} --user {user}")
    return sum(1 for line in out.splitlines() if line.strip().endswith(" V"))


def reset(host, user: str) -> None:
    host.check_output(f"faillock --dir {TALLY_DIR} --user {user} --reset")


def pty(host, user: str, command: str, answers: list[str]):
    """Run ``command`` as ``user`` on a terminal in the container, answering its prompts."""
    feed = shlex.quote("\n".join(answers) + "\n")
    return host.run(f"printf %s {feed} | runuser -u {user} -- python3 /usr/local/bin/pty_run {command}")


def hydra(user: str, wordlist: pathlib.Path, tmp_path: pathlib.Path, tasks: int = 16) -> tuple[list, str]:
    out = tmp_path / f"{user}.json"
    run = subprocess.run(
        [
            "hydra",
            "-l",
            user,
            "-P",
            str(wordlist),
            "-t",
            str(tasks),
            "-I",
            "-f",
            "-w",
            "5",
            "-o",
            str(out),
            "-b",
            "json",
            f"ssh://{ADDRESS}",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    found = json.loads(out.read_text())["results"] if out.exists() else []
    return found, run.stdout + run.stderr


class GraceProbe:
    """One unauthenticated connection held open until sshd drops it, timed in a thread so
    that the other tests run meanwhile (started after the container's restart)."""

    def __init__(self):
        self.thread = None
        self.waited = None

    def _run(self):
        sock = socket.create_connection((ADDRESS, 22), timeout=5)
        sock.recv(256)
        sock.settimeout(40)
        start = time.monotonic()
        try:
            while sock.recv(256):
                pass
        except OSError:
            pass
        self.waited = time.monotonic() - start
        sock.close()

    def start(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def result(self) -> float:
        self.start()
        self.thread.join(60)
        assert self.waited is not None, "the grace time probe did not finish"
        return self.waited


GRACE = GraceProbe()


# --- 1. a parallel cracker -------------------------------------------------------------


def test_parallel_hydra_finds_nothing(host, tmp_path):
    wordlist = EPHEMERAL / "hydra-wordlist"
    words = wordlist.read_text().split()
    position = words.index(_password("hydrauser")) + 1
    # at most PerSourceMaxStartups attempts are in flight when the tally reaches the threshold
    assert position > DENY + POLICY["lockout_policy_sshd_per_source_max_startups"]
    # and after hydra's first wave (-t 16), whose guesses reach sshd in any order
    assert position > 16
    control = json.loads((EPHEMERAL / "hydra-control.json").read_text())["results"]
    assert [r["password"] for r in control] == [_password("hydrauser")], (
        "the control (before the role) found nothing"
    )

    found, log = hydra("hydrauser", wordlist, tmp_path)
    assert found == [], f"hydra -t 16 found the password placed {position}th"
    assert "1 of 1 target completed" in log, f"hydra did not finish its list: {log[-500:]}"
    assert failures(host, "hydrauser") >= DENY
    assert not ssh_login("hydrauser", _password("hydrauser"))
    reset(host, "hydrauser")


# --- 2. the threshold, the unlock time and the recovery path ----------------------------


def test_lock_at_the_threshold(host):
    user, good = "sshuser", _password("sshuser")
    for attempt in range(DENY - 1):
        assert not ssh_login(user, f"wrong-{attempt}")
    assert failures(host, user) == DENY - 1
    assert ssh_login(user, good), "locked before the threshold"
    reset(host, user)
    for attempt in range(DENY):
        assert not ssh_login(user, f"wrong-{attempt}")
    assert not ssh_login(user, good), "SSH still accepts the right password on a locked account"
    reset(host, user)
    assert ssh_login(user, good)


# --- 3. the tally: persistent, and no local user can reset it ---------------------------


def test_tally_survives_restart_and_no_local_user_resets_it(host):
    user, good = "pamuser", _password("pamuser")
    # the wrong passwords one after the other (each waits out PAM's failure delay): all are
    # counted. At once, two pam_faillock processes can read the same tally before either
    # writes it, and a failure goes uncounted (seen under load), which is not what this guards
    wrong = f"printf 'wrong\\n' | pamtester sshd {user} authenticate >/dev/null 2>&1; echo rc=$?"
    rcs = host.check_output(f"for i in $(seq {DENY}); do {wrong}; done").split()
    assert len(rcs) == DENY and "rc=0" not in rcs, rcs
    assert failures(host, user) == DENY
    tally = f"{TALLY_DIR}/{user}"
    truncate = host.run(f"runuser -u lowuser -- sh -c ': > {tally}'")
    assert truncate.rc != 0
    host.run(f"runuser -u lowuser -- faillock --dir {TALLY_DIR} --user {user} --reset")
    assert failures(host, user) == DENY, "a local user reset another account's tally"
    assert host.file(TALLY_DIR).user == "root" and host.file(TALLY_DIR).mode & 0o007 == 0

    host.check_output("touch /run/boot-marker")
    subprocess.run(["podman", "restart", "-t", "0", CONTAINER], check=True, capture_output=True, timeout=60)
    wait_for_sshd()
    assert not host.file("/run/boot-marker").exists, "/run survived the restart: the test proves nothing"
    assert failures(host, user) == DENY, "the tally did not survive the restart"
    assert host.run(f"printf '%s\\n' '{good}' | pamtester sshd {user} authenticate").rc != 0
    reset(host, user)
    assert host.run(f"printf '%s\\n' '{good}' | pamtester sshd {user} authenticate").rc == 0
    GRACE.start()  # no restart after this: the grace time test's connection runs meanwhile


# --- 4. root: not lockable over SSH, locked (silently) for a local guesser --------------


def test_root_is_not_lockable_over_ssh(host):
    assert "password" not in allowed_methods("root")
    for attempt in range(DENY + 1):
        assert not ssh_login("root", f"wrong-{attempt}")
    assert failures(host, "root") == 0, "remote password guesses count against root"
    assert not key_login("root"), "root logs in over SSH (PermitRootLogin)"


def test_root_guessing_through_su_locks_silently(host):
    # the tally file is made by lowuser's own su: in a directory lowuser could enter, it
    # would carry lowuser's group, mode 0660, and lowuser could empty it between guesses
    host.check_output(f"rm -f {TALLY_DIR}/root")
    for attempt in range(DENY):
        assert pty(host, "lowuser", "su -c 'id -un' root", [f"wrong-{attempt}"]).rc != 0
        host.run(f"runuser -u lowuser -- sh -c ': > {TALLY_DIR}/root'")
    assert failures(host, "root") >= DENY, "root's failures were not counted (or lowuser emptied the tally)"
    locked = pty(host, "lowuser", "su -c 'id -un' root", [_password("root")])
    assert locked.rc != 0, "su accepts root's password after the lock"
    assert "locked" not in locked.stdout.lower() and "failed" not in locked.stdout.lower(), locked.stdout
    time.sleep(POLICY["lockout_policy_faillock_root_unlock_time"] + 2)
    works = pty(host, "lowuser", "su -c 'id -un' root", [_password("root")])
    assert works.rc == 0 and "root" in works.stdout, "root did not unlock after root_unlock_time"
    reset(host, "root")


# --- 5. the engineer and the break-glass account under attack ---------------------------

# Keeps 60 unauthenticated connections open from the container's own loopback (a source
# other than the controller), reopening those sshd closes.
FLOOD = """
import socket, time
held = []
end = time.monotonic() + 120
while time.monotonic() < end:
    alive = []
    for s in held:
        s.setblocking(False)
        try:
            if s.recv(4096) == b"":
                s.close()
                continue
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        alive.append(s)
    held = alive
    while len(held) < 60:
        try:
            held.append(socket.create_connection(("127.0.0.1", 22), timeout=1))
        except OSError:
            break
    time.sleep(0.5)
"""


def test_engineer_and_break_glass_survive_an_attack(host, tmp_path):
    session = connect("engineer", key=True)
    assert session is not None, "the engineer's key login fails before the attack"
    pid = None
    try:
        wordlist = tmp_path / "guesses"
        wordlist.write_text("\n".join(f"wrong-{i}" for i in range(DENY + 1)) + "\n")
        users = ["engineer", "breakglass"]
        for user in users:
            (tmp_path / user).mkdir()  # hydra keeps its restore file in its working directory
        with ThreadPoolExecutor(2) as pool:
            attacks = pool.map(lambda user: hydra(user, wordlist, tmp_path / user)[0], users)
        assert list(attacks) == [[], []]
        assert failures(host, "engineer") >= DENY, "the attack on the engineer's password did not land"
        assert failures(host, "breakglass") == 0, "the break-glass account's password was tried over SSH"
        assert "password" not in allowed_methods("breakglass")

        pid = host.check_output(f"nohup python3 -c {shlex.quote(FLOOD)} >/dev/null 2>&1 & echo $!")
        time.sleep(3)
        _in, out, _err = session.exec_command("id -un", timeout=15)
        assert out.read().decode().strip() == "engineer", "the engineer's open session died"
        logins = [key_login("engineer") for _attempt in range(5)]
        assert all(logins), f"engineer key logins (password locked) during a 60-connection flood: {logins}"
        assert key_login("breakglass")
        # The recovery path of the README: the engineer's key session resets a locked account.
        reset_cmd = "sudo faillock --dir /var/lib/faillock --user engineer --reset && echo done"
        assert runs(connect("engineer", key=True), reset_cmd) == "done"
        assert failures(host, "engineer") == 0
    finally:
        session.close()
        if pid:
            host.run(f"kill {int(pid)}")


def test_break_glass_password_works_at_the_console(host):
    # the way in when SSH is gone: its password, locally (su stands in for the console login)
    works = pty(host, "lowuser", "su -c 'id -un' breakglass", [_password("breakglass")])
    assert works.rc == 0 and "breakglass" in works.stdout, works.stdout


# --- 6. password logins outside PAM ------------------------------------------------------


def test_non_pam_password_services_are_gone(host):
    control = json.loads((EPHEMERAL / "hydra-dropbear-control.json").read_text())["results"]
    assert len(control) == 1, "the control: dropbear took the password before the role"
    for port in (2222, 2323):
        assert host.run(f"nc -z -w 2 127.0.0.1 {port}").rc != 0, f"port {port} still listens"
    assert not host.file("/etc/systemd/system/multi-user.target.wants/dropbear.service").exists
    assert host.run("ls /etc/rc2.d/S*dropbear").rc != 0


# --- 7. sshd: the host's stricter setting kept, the policy's where the host was looser ---


def test_host_stricter_login_grace_time_kept():
    assert POLICY["lockout_policy_sshd_login_grace_time"] > 20
    waited = GRACE.result()
    assert waited < 25, (
        f"sshd kept an unauthenticated connection {waited:.0f} s (the host had LoginGraceTime 20)"
    )


def test_max_auth_tries_per_connection():
    transport = paramiko.Transport(socket.create_connection((ADDRESS, 22), timeout=15))
    refused = 0
    try:
        transport.start_client(timeout=15)
        for attempt in range(8):
            try:
                transport.auth_password("outsider", f"wrong-{attempt}")
            except paramiko.AuthenticationException:
                refused += 1
            except (paramiko.SSHException, EOFError, OSError):
                break
    finally:
        transport.close()
    assert refused == POLICY["lockout_policy_sshd_max_auth_tries"]


def test_per_source_unauthenticated_connections(host):
    probe = """
import socket
held, refused = [], 0
for _ in range(10):
    s = socket.create_connection(("127.0.0.1", 22), timeout=3)
    s.settimeout(3)
    try:
        banner = s.recv(64)
    except OSError:
        banner = b""
    if banner.startswith(b"SSH-"):
        held.append(s)
    else:
        refused += 1
print(len(held))
"""
    held = int(host.check_output(f"python3 -c {shlex.quote(probe)}"))
    assert held == POLICY["lockout_policy_sshd_per_source_max_startups"]


def test_what_sshd_refuses():
    assert "keyboard-interactive" not in allowed_methods("sshuser")
    assert not ssh_login("emptyuser", ""), "an empty password logs in"
    assert not ssh_login("outsider", _password("outsider")), "a user outside AllowGroups logs in"
    client = connect("engineer", key=True)
    assert client is not None
    try:
        with pytest.raises(paramiko.ChannelException):
            client.get_transport().open_channel(
                "direct-tcpip", ("127.0.0.1", 22), ("127.0.0.1", 0), timeout=10
            )
    finally:
        client.close()


def test_sshd_effective_settings(host):
    effective = dict(line.split(" ", 1) for line in host.check_output("sshd -T").splitlines() if " " in line)
    assert effective["maxstartups"] == POLICY["lockout_policy_sshd_max_startups"]
    assert effective["clientaliveinterval"] == str(POLICY["lockout_policy_sshd_client_alive_interval"])
    assert effective["clientalivecountmax"] == str(POLICY["lockout_policy_sshd_client_alive_count_max"])
    assert effective["loglevel"] == "VERBOSE"
    assert effective["usepam"] == "yes"
    # the whole configuration validates (not the drop-in alone)
    assert host.run("sshd -t").rc == 0


def test_ssh_audit_reports_no_failures():
    run = subprocess.run(
        ["ssh-audit", "-j", "-p", "22", ADDRESS], check=False, capture_output=True, text=True, timeout=120
    )
    report = json.loads(run.stdout)
    offered = {alg["algorithm"] for alg in report["kex"]}
    assert "sntrup761x25519-sha512@openssh.com" in offered
    critical = report.get("recommendations", {}).get("critical", {})
    fails = [
        (a, s, r["name"]) for a, sections in critical.items() for s, recs in sections.items() for r in recs
    ]
    assert fails == [], f"ssh-audit critical findings: {fails}"
    assert not report.get("cves"), f"ssh-audit lists CVEs: {report['cves']}"


# --- 8. passwords: quality, history, ageing ------------------------------------------------


def test_weak_password_refused_and_reused_password_refused(host):
    user, current = "pwuser", _password("pwuser")
    # start from the password prepare set, with no history (usermod does not go through PAM)
    make_hash = "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))"
    host.check_output(
        f"python3 -W ignore -c {shlex.quote(make_hash)} {shlex.quote(current)} > /root/pwuser.hash"
    )
    host.check_output(
        f"usermod -p \"$(cat /root/pwuser.hash)\" {user} && sed -i '/^{user}:/d' /etc/security/opasswd"
    )
    host.check_output(f"chage -m 0 {user}")  # the policy's minimum age would refuse a second change today
    length = POLICY["lockout_policy_password_min_length"]
    weak = "Qz7!vbTrWm4Kp"[: length - 4]  # every character class, no word, only too short
    refused = pty(host, user, "passwd", [current, weak, weak])
    assert refused.rc != 0 and "shorter than" in refused.stdout, refused.stdout
    strong = "Lockout-Pw-" + "x7Q" * 3 + "-Zr9"
    assert len(strong) >= length
    changed = pty(host, user, "passwd", [current, strong, strong])
    assert changed.rc == 0, f"a strong new password was refused: {changed.stdout}"
    reused = pty(host, user, "passwd", [strong, current, current])
    assert reused.rc != 0 and "already" in reused.stdout.lower(), reused.stdout


def test_password_ages(host):
    defs = host.file("/etc/login.defs").content_string
    assert f"PASS_MAX_DAYS\t{POLICY['lockout_policy_password_max_age_days']}" in defs
    ages = host.check_output("chage -l sshuser")
    assert f": {POLICY['lockout_policy_password_max_age_days']}" in ages
    assert f": {POLICY['lockout_policy_password_warn_age_days']}" in ages
    assert "99999" in host.check_output("chage -l breakglass"), "the break-glass account's password ages"
