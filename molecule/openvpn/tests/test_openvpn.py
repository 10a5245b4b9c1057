# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenVPN server and its TOTP second factor, seen from two engineers' machines.

Real tools judge: the engineers run the openvpn client with the profiles the role exported,
codes come from oathtool with the secrets the role keeps in the vault, and the management
zone's sshd answers (or not) through the tunnel. Every refusal has a positive control beside
it. The tests run in file order and share the verifier's state (used codes, lockouts).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import time

import pytest
import testinfra

testinfra_hosts = ["openvpn-server"]

MGMT_HOST = "10.210.2.20"
SERVER_WAN = "10.210.1.10"
RENEG = 40  # converge.yml: openvpn_reneg_seconds
SCENARIO = pathlib.Path(__file__).parents[1]
CONTROLLER = (
    pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
    / "inventory/.iotguard/openvpn"
)
EXPORT = CONTROLLER / "export"
STORE = CONTROLLER / "openvpn-server-totp.vault"
LOG = "/var/log/iotguard-openvpn.log"
CODES = []  # every code sent: none may appear in a log


def machine(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture(scope="module")
def alice():
    return machine("openvpn-c1")


@pytest.fixture(scope="module")
def bob():
    return machine("openvpn-c2")


def secrets():
    out = subprocess.run(
        ["ansible-vault", "view", "--vault-password-file", str(SCENARIO / "vault-pass.sh"), str(STORE)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)["totp_secrets"]


def code(name, offset=0):
    """The engineer's code now (oathtool), or of a neighbouring time step."""
    secret = secrets()[name]
    now = int(time.time()) + 30 * offset
    out = subprocess.run(
        ["oathtool", "--totp", "-b", "--now", "@%d" % now, secret], capture_output=True, text=True, check=True
    )
    CODES.append(out.stdout.strip())
    return out.stdout.strip()


def wrong(right):
    return "%06d" % ((int(right) + 500000) % 1000000)


def install_profile(client, name):
    src = EXPORT / ("%s.ovpn" % name)
    assert src.stat().st_mode & 0o777 == 0o600, "the exported profile is not 0600"
    subprocess.run(["podman", "cp", str(src), "%s:/root/%s.ovpn" % (client.backend.name, name)], check=True)


def disconnect(client):
    client.run("kill $(cat /root/ovpn.pid 2>/dev/null) 2>/dev/null; sleep 0.5; rm -f /root/ovpn.pid")


def connect(client, name, password, wait=20, profile=None):
    """Start the engineer's client; return 'up', 'refused' (AUTH_FAILED) or 'no answer'."""
    disconnect(client)
    client.run("rm -f /root/ovpn.log; umask 077; printf '%%s\\n%%s\\n' %s %s > /root/auth", name, password)
    cmd = (
        "openvpn --config /root/%s.ovpn --auth-user-pass /root/auth --auth-retry none"
        " --daemon --log /root/ovpn.log --writepid /root/ovpn.pid" % (profile or name)
    )
    assert client.run(cmd).rc == 0
    deadline = time.time() + wait
    while time.time() < deadline:
        log = client.file("/root/ovpn.log").content_string if client.file("/root/ovpn.log").exists else ""
        if "Initialization Sequence Completed" in log:
            return "up"
        if "AUTH_FAILED" in log:
            return "refused"
        time.sleep(0.5)
    return "no answer"


def ssh_banner(client, timeout=4):
    """What the management host's sshd says to this machine (empty when unreachable)."""
    r = client.run(
        "timeout %s nc -w %s %s 22 </dev/null | head -c 64", str(timeout + 1), str(timeout), MGMT_HOST
    )
    return r.stdout


def server_log(host):
    return host.file(LOG).content_string


def test_server_hardened_unprivileged_and_ca_key_off_the_server(host):
    conf = host.file("/etc/openvpn/server/iotguard.conf").content_string
    for line in (
        "tls-version-min 1.2",
        "data-ciphers AES-256-GCM:CHACHA20-POLY1305",
        "topology subnet",
        'push "route 10.210.2.0 255.255.255.0"',
        "tls-crypt-v2 ",
        "crl-verify ",
        "auth-gen-token",
        "user iotguard-ovpn",
    ):
        assert line in conf, line
    assert "redirect-gateway" not in conf and conf.count("push ") == 1, "routes other than the zone pushed"
    users = host.check_output("ps -o user= -C openvpn").split()
    assert users == ["iotguard-ovpn"], users
    for path in ("server.key", "tls-crypt-v2.key", "clients/alice.key"):
        f = host.file("/etc/openvpn/server/iotguard/" + path)
        assert f.mode == 0o600 and f.user == "root", path
    assert host.file("/etc/iotguard-ovpn-verify.json").mode == 0o640
    found = host.run(
        "grep -rlE --exclude-dir=.ansible 'PRIVATE KE[Y]' /etc /root /var/lib /tmp"
    ).stdout.split()
    assert found == ["/etc/openvpn/server/iotguard/server.key"], found
    assert (CONTROLLER / "pki/ca.key").stat().st_mode & 0o777 == 0o600
    assert b"$ANSIBLE_VAULT" in STORE.read_bytes()[:20]


def test_without_a_tunnel_the_zone_is_unreachable(host, alice):
    assert host.run("nc -z -w 3 %s 22", MGMT_HOST).rc == 0, "positive control: the gateway reaches sshd"
    alice.run("ip route replace %s/32 via %s", MGMT_HOST, SERVER_WAN)
    try:
        assert ssh_banner(alice) == "", "the WAN reached the zone without the VPN"
    finally:
        alice.run("ip route del %s/32", MGMT_HOST)


def test_certificate_password_and_code_reach_the_zone_sshd(host, alice, bob):
    install_profile(alice, "alice")
    install_profile(bob, "bob")
    assert connect(alice, "alice", code("alice")) == "up"
    assert ssh_banner(alice).startswith("SSH-2.0-"), "sshd of the management zone through the tunnel"
    assert "accepted alice" in server_log(host)


def test_wrong_code_is_refused_and_reaches_nothing(host, bob):
    assert connect(bob, "bob", wrong(code("bob"))) == "refused"
    assert ssh_banner(bob, timeout=2) == ""
    assert "refused bob: wrong or reused code (1)" in server_log(host)


def test_a_certificate_only_logs_in_under_its_own_name(host, bob):
    # bob's certificate with alice's name and a valid code of hers: refused before the code counts
    assert connect(bob, "alice", code("alice", offset=1), profile="bob") == "refused"
    assert "username does not match the certificate 'bob'" in server_log(host)


def test_replayed_code_is_refused(host, bob):
    good = code("bob")
    assert connect(bob, "bob", good) == "up"
    assert ssh_banner(bob).startswith("SSH-2.0-")
    disconnect(bob)
    time.sleep(1)
    assert connect(bob, "bob", good) == "refused", "a used code opened a second connection"
    # the success in between cleared bob's count: this refusal is the first again
    assert server_log(host).count("refused bob: wrong or reused code (1)") == 2


def test_repeated_wrong_codes_lock_out_and_alice_is_unaffected(host, alice, bob):
    assert connect(bob, "bob", wrong(code("bob"))) == "refused"
    assert "refused bob: wrong or reused code (2)" in server_log(host)
    assert connect(bob, "bob", wrong(code("bob"))) == "refused"
    assert re.search(r"refused bob: wrong code, locked out for 600s", server_log(host))
    assert connect(bob, "bob", code("bob", offset=1)) == "refused", "a locked-out user got in"
    assert "refused bob: locked out for" in server_log(host)
    assert ssh_banner(alice).startswith("SSH-2.0-"), "alice's tunnel suffered from bob's lockout"


def test_renegotiation_keeps_the_tunnel_without_a_new_code(host, alice):
    # converge.yml renegotiates every RENEG seconds; the session token answers, not a code
    # the server's renegotiation timer runs from alice's connect; a loaded machine (every
    # scenario at once) can stretch it, so the wait is generous and ends at the first success
    wait = 2 * RENEG + 60
    for _unused in range(wait):
        if "auth-token authentication succeeded for username 'alice'" in server_log(host):
            break
        time.sleep(1)
    log = server_log(host)
    client_log = alice.file("/root/ovpn.log").content_string
    assert "TLS: soft reset" in log, "no renegotiation within %d s; server:\n%s\nalice:\n%s" % (
        wait,
        log[-1500:],
        client_log[-1500:],
    )
    assert "auth-token authentication succeeded for username 'alice'" in log
    assert "AUTH_FAILED" not in alice.file("/root/ovpn.log").content_string
    assert ssh_banner(alice).startswith("SSH-2.0-"), "the tunnel broke at renegotiation"
    assert log.count("accepted alice") == 1, "renegotiation asked the verifier for a code"


def converge(extra):
    path = SCENARIO / ".case.json"
    path.write_text(json.dumps(extra))
    env = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(SCENARIO / "vault-pass.sh"), ANSIBLE_NOCOLOR="1")
    try:
        run = subprocess.run(
            [
                "ansible-playbook",
                "-i",
                os.environ["MOLECULE_INVENTORY_FILE"],
                str(SCENARIO / "converge.yml"),
                "-e",
                "@%s" % path,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=400,
            check=False,
        )
    finally:
        path.unlink()
    return run.returncode, " ".join((run.stdout + run.stderr).split())


def state(host):
    """Everything the role writes, on the server and the controller."""
    server = host.check_output(
        "find /etc/openvpn/server /etc/iotguard -type f | sort | xargs sha256sum;"
        " sha256sum /etc/iotguard-ovpn-verify.json"
    )
    controller = sorted(
        (str(p), p.stat().st_mtime_ns)
        for p in CONTROLLER.rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    )
    return server, controller


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"openvpn_test_clients": [{"name": "alice"}, {"name": "../../etc/evil"}]},
            "openvpn_clients[1].name has '../../etc/evil'",
        ),
        (
            {"openvpn_pool": "10.66.0.128/25"},
            "openvpn_pool (10.66.0.128/25) overlaps wireguard_pool (10.66.0.0/24)",
        ),
        (
            {
                "openvpn_totp_create": False,
                "openvpn_test_clients": [{"name": "alice"}, {"name": "bob"}, {"name": "carol"}],
            },
            "names carol have no TOTP secret in",
        ),
    ],
    ids=["path-in-name", "pool-overlaps-wireguard", "missing-totp-secret"],
)
def test_bad_input_is_refused_and_nothing_half_written(host, extra, message):
    before = state(host)
    rc, out = converge(extra)
    assert rc != 0, out[-2000:]
    assert message in out, out[-3000:]
    assert state(host) == before


def test_revoking_bob_leaves_alice_connected(host, alice, bob):
    pid = host.check_output("cat /run/iotguard-openvpn.pid")
    rc, out = converge({"openvpn_test_clients": [{"name": "alice"}, {"name": "bob", "revoked": True}]})
    assert rc == 0, out[-3000:]
    assert host.check_output("cat /run/iotguard-openvpn.pid") == pid, "revocation restarted the server"
    assert not (EXPORT / "bob.ovpn").exists() and not (EXPORT / "bob-totp.uri.vault").exists()
    assert "bob" not in secrets() and "alice" in secrets()
    crl = host.check_output("openssl crl -in /etc/openvpn/server/iotguard-crl.pem -noout -text")
    bob_serial = (
        subprocess.run(
            ["openssl", "x509", "-in", str(CONTROLLER / "pki/issued/bob.crt"), "-noout", "-serial"],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.split("=")[1]
        .strip()
    )
    assert re.sub(r"[^0-9A-F]", "", crl.upper()).find(bob_serial.upper()) >= 0, (
        "bob's serial is not on the CRL"
    )
    assert ssh_banner(alice).startswith("SSH-2.0-"), "alice's tunnel dropped at bob's revocation"
    # bob's old profile (still on his machine) no longer passes the TLS handshake
    assert connect(bob, "bob", "000000", wait=12) != "up"
    deadline = time.time() + 20
    while "certificate revoked" not in server_log(host) and time.time() < deadline:
        time.sleep(1)
    assert "certificate revoked" in server_log(host)
    disconnect(bob)
    # alice logs in again with a fresh code
    assert connect(alice, "alice", code("alice", offset=1)) == "up"
    assert ssh_banner(alice).startswith("SSH-2.0-")


def test_logs_hold_no_code_and_no_secret(host, alice):
    text = server_log(host) + alice.file("/root/ovpn.log").content_string
    for c in set(CODES):
        assert not re.search(r"(?<![0-9])%s(?![0-9])" % c, text), "a TOTP code is in a log"
    for s in secrets().values():
        assert s not in text
    assert "PRIVATE KEY" not in text
