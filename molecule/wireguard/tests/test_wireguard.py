# SPDX-License-Identifier: GPL-3.0-or-later
"""Behaviour of the WireGuard hub and its TOTP second factor, seen from the engineers' side.

Codes are computed with oathtool on the controller from the otpauth URIs the role exported.
The tests run in file order: they share the authenticator's state (sessions, lockouts).
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest
import testinfra

testinfra_hosts = ["wg-hub"]

HUB_TUNNEL = "10.66.0.1"
AUTH_URL = "http://10.66.0.1:8181/"
MGMT_HOST = "10.89.141.20"
SESSION = 20  # converge.yml: wireguard_session_seconds
EXPORT = (
    pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
    / "inventory/.iotguard/wireguard/export"
)


def peer(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture(scope="module")
def alice():
    return peer("wg-peer1")


@pytest.fixture(scope="module")
def bob():
    return peer("wg-peer2")


def secret(name):
    uri = (EXPORT / ("%s-totp.uri" % name)).read_text()
    m = re.search(r"[?&]secret=([A-Z2-7]+)", uri)
    assert m, "no secret in the exported otpauth URI of %s" % name
    return m.group(1)


def code(name, offset=0):
    oathtool = shutil.which("oathtool")
    assert oathtool, "oathtool is needed on the controller (apt-get install oathtool)"
    out = subprocess.run(
        [oathtool, "--totp", "-b", "--now", "@%d" % int(time.time() + offset), secret(name)],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def auth(host, value):
    """POST the code from the peer through its tunnel; return the HTTP status."""
    script = (
        "import sys, urllib.request, urllib.error\n"
        "try:\n"
        "    r = urllib.request.urlopen(sys.argv[1], data=('code=' + sys.argv[2]).encode(), timeout=5)\n"
        "    print(r.status)\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code)\n"
    )
    out = host.check_output("python3 -c %s %s %s", script, AUTH_URL, value)
    return int(out.strip())


def reaches_mgmt(host):
    """ICMP and a TCP connection (sshd) to the management-zone host, through the tunnel."""
    ping = host.run("ping -c 1 -W 1 %s", MGMT_HOST).rc == 0
    tcp = host.run("timeout 3 bash -c %s", "exec 3<>/dev/tcp/%s/22" % MGMT_HOST).rc == 0
    assert ping == tcp, "ping and TCP disagree (ping=%s tcp=%s)" % (ping, tcp)
    return ping


def test_handshakes(host, alice, bob):
    for p in (alice, bob):
        assert p.run("ping -c 2 -W 2 %s", HUB_TUNNEL).rc == 0
    dump = host.check_output("wg show wg0 latest-handshakes")
    stamps = [int(line.split()[1]) for line in dump.splitlines() if line.split()[1] != "0"]
    assert len(stamps) >= 2, dump


def test_rotation_happened_with_traffic_flowing(host, alice, bob):
    """side_effect.yml rotated alice's key, then the hub's, while both engineers pinged."""
    old = alice.file("/root/rotation-old-pubkey").content_string.strip()
    new = alice.check_output("wg show wg0 public-key").strip()
    assert old and new and old != new, "alice's key was not rotated"
    hub_peers = host.check_output("wg show wg0 peers").split()
    assert new in hub_peers and old not in hub_peers
    hub_old = host.file("/root/rotation-old-pubkey").content_string.strip()
    hub_new = host.check_output("wg show wg0 public-key").strip()
    assert hub_old and hub_new and hub_old != hub_new, "the hub's key was not rotated"
    for p in (alice, bob):
        assert p.check_output("wg show wg0 peers").split() == [hub_new]
    assert "PublicKey = %s" % hub_new in (EXPORT / "carol.conf").read_text()
    assert not host.file("/etc/wireguard/wg0.key.next").exists
    assert not alice.file("/etc/wireguard/wg0.key.next").exists
    assert alice.file("/etc/wireguard/wg0.key").mode == 0o600
    # ping ran from before each rotation play until after it, so it spans the switch
    for log_name, limits in (("peer", ((alice, 5), (bob, 0))), ("hub", ((alice, 5), (bob, 5)))):
        for p, max_loss in limits:
            log = p.file("/root/rotation-%s-ping.log" % log_name).content_string
            m = re.search(r"(\d+) packets transmitted, (\d+) received", log)
            assert m, log[-500:]
            sent, got = int(m.group(1)), int(m.group(2))
            assert sent >= 50, "only %d pings: the %s rotation was not covered by traffic" % (sent, log_name)
            assert sent - got <= max_loss, "%s rotation: lost %d of %d pings" % (log_name, sent - got, sent)
            seqs = {int(s) for s in re.findall(r"icmp_seq=(\d+)", log)}
            assert seqs & {sent, sent - 1, sent - 2}, "the last pings did not come back: traffic stopped"


def test_no_session_reaches_authenticator_not_mgmt(host, alice, bob):
    assert alice.run("busybox wget -q -O - %s", AUTH_URL).rc == 0
    assert not reaches_mgmt(alice)
    assert not reaches_mgmt(bob)


def test_authenticator_only_on_tunnel(host):
    # from the WAN side (not through the tunnel) the authenticator is not reachable
    assert peer("wg-peer1").run("timeout 3 bash -c %s", "exec 3<>/dev/tcp/10.89.140.10/8181").rc != 0


def test_correct_code_opens_a_session_then_it_expires(host, alice, bob):
    assert auth(alice, code("alice")) == 200
    assert reaches_mgmt(alice)
    assert not reaches_mgmt(bob), "bob was let in by alice's code"
    assert "10.66.0.2" in host.check_output("nft list set inet iotguard_wg authed")
    time.sleep(SESSION + 2)
    assert not reaches_mgmt(alice), "the session outlived wireguard_session_seconds"


def test_replayed_code_is_refused(host, alice):
    c = code("alice", 30)
    assert auth(alice, c) == 200
    assert auth(alice, c) == 401


def test_wrong_codes_lock_out_and_others_unaffected(host, alice, bob):
    good = code("bob")
    wrong = "%06d" % ((int(good) + 1) % 1000000)
    assert auth(bob, wrong) == 401
    assert auth(bob, wrong) == 401
    assert auth(bob, wrong) == 429
    assert auth(bob, good) == 429, "a locked-out peer was let in"
    assert not reaches_mgmt(bob)
    # alice is unaffected: her session (from the replay test) still works
    assert reaches_mgmt(alice)
    assert "locked out" in host.file("/var/log/iotguard-wg-auth.log").content_string
    assert good not in host.file("/var/log/iotguard-wg-auth.log").content_string


def test_zone_management_only_from_vpn_or_mgmt_vlan(alice, bob):
    """Past the tunnel, over the WAN: alice's WAN address stands for any outside host, bob's
    for the management VLAN (converge.yml wireguard_mgmt_sources)."""
    for p in (alice, bob):
        p.check_output("ip route replace %s/32 via 10.89.140.10 dev eth0", MGMT_HOST)
    try:
        assert alice.run("ping -c 1 -W 1 %s", MGMT_HOST).rc == 0, "ping (not a management port) is forwarded"
        assert alice.run("timeout 3 bash -c %s", "exec 3<>/dev/tcp/%s/22" % MGMT_HOST).rc != 0
        assert bob.run("timeout 3 bash -c %s", "exec 3<>/dev/tcp/%s/22" % MGMT_HOST).rc == 0
    finally:
        for p in (alice, bob):
            p.run("ip route del %s/32 via 10.89.140.10 dev eth0", MGMT_HOST)


def test_exported_engineer_config_and_qr():
    conf = EXPORT / "carol.conf"
    png = EXPORT / "carol.png"
    assert conf.stat().st_mode & 0o777 == 0o600 and png.stat().st_mode & 0o777 == 0o600
    text = conf.read_text()
    assert "Endpoint = 10.89.140.10:51820" in text and "AllowedIPs = 10.66.0.1/32, 10.89.141.0/24" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_secrets_are_encrypted_at_rest():
    store = EXPORT.parent / "wg-hub-totp.vault"
    assert store.stat().st_mode & 0o777 == 0o600
    data = store.read_text()
    assert data.startswith("$ANSIBLE_VAULT;") and secret("alice") not in data


def hub_state(host):
    """The hub's tunnel as configured (peers, allowed IPs, addresses), without counters."""
    dump = host.check_output("wg show wg0 dump").splitlines()
    peers = sorted("%s %s" % (f.split("\t")[0], f.split("\t")[3]) for f in dump[1:])
    return peers, host.check_output("ip -o address show dev wg0"), host.check_output("ls /etc/wireguard/psk")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"wireguard_pool": "10.89.141.0/25"},
            "address pools overlap: pool (10.89.141.0/25) overlaps mgmt_zones[0]",
        ),
        (
            {
                "wireguard_peers": [
                    {"name": "alice", "host": "wg-peer1"},
                    {"name": "alice", "host": "wg-peer2"},
                ]
            },
            "every entry of wireguard_peers needs a unique name",
        ),
        (
            {
                "wireguard_peers": [
                    {"name": "alice", "host": "wg-peer1"},
                    {"name": "bob", "host": "wg-peer2"},
                    {"name": "dave"},
                ]
            },
            "(name='dave') has no public_key",
        ),
        ({"wireguard_endpoint": "gateway!:51820"}, "'gateway!' is neither an IP address nor a DNS name"),
    ],
    ids=["overlapping-pools", "name-twice", "missing-public-key", "endpoint-not-address"],
)
def test_bad_input_is_refused_and_nothing_half_configured(host, extra, message, tmp_path):
    before = hub_state(host)
    case = tmp_path / "case.json"
    case.write_text(__import__("json").dumps(extra))
    scenario = pathlib.Path(__file__).parents[1]
    env = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(scenario / "vault-pass.sh"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(scenario / "converge.yml"),
            "-e",
            "@%s" % case,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    out = " ".join((run.stdout + run.stderr).split())
    assert run.returncode != 0, out[-2000:]
    assert message in out, out[-3000:]
    assert hub_state(host) == before
