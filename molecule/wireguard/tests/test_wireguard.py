# SPDX-License-Identifier: GPL-3.0-or-later
"""Behaviour of the WireGuard hub and its TOTP second factor, seen from the engineers' side,
and the gateway firewall around it, attacked from the engineers, the WAN and the zone.

Codes are computed with oathtool on the controller from the TOTP secrets the role keeps in
the vault. Every check that something is refused has a positive control beside it (the
same listener reached from where it is allowed), so a probe of an address where nothing
listens cannot pass for a closed port. The tests run in file order: they share the
authenticator's state (sessions, lockouts); the reboot test comes last.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import tempfile
import time

import pytest
import testinfra

# the hub through podman, as the other containers: the ansible backend molecule would use
# runs Ansible for every command
testinfra_hosts = ["podman://gateway-hub"]

HUB_TUNNEL = "10.66.0.1"
AUTH_URL = "http://10.66.0.1:8181/"
MGMT_HOST = "10.215.141.20"
MGMT_HOST6 = "fd00:215:141::20"
HUB_ADDRESSES = ["10.66.0.1", "10.215.140.10", "10.215.141.10", "10.215.1.10"]
WAN_HUB = "10.215.140.10"
SESSION = 90  # wireguard.yml: wireguard_session_seconds (longer than a firewall change under load)
SCENARIO = pathlib.Path(__file__).parents[1]
USED = {}  # the last time step accepted per engineer: a code is never reused by accident
LOGGED_IN = {}  # when an engineer's last session began (monotonic)
EXPORT = (
    pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
    / "inventory/.iotguard/wireguard/export"
)
# the engineer's side of the TOTP gate, shared with the segmentation scenario
_spec = importlib.util.spec_from_file_location("totp_client", SCENARIO.parent / "shared/totp_client.py")
totp_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(totp_client)


def peer(name):
    return testinfra.get_host("podman://" + name)


@pytest.fixture(scope="module")
def alice():
    return peer("gateway-peer1")


@pytest.fixture(scope="module")
def bob():
    return peer("gateway-peer2")


def vault_view(path):
    """Decrypt a vault file of the controller directory with the scenario's password."""
    return totp_client.vault_view(path, SCENARIO / "vault-pass.sh")


@functools.lru_cache(maxsize=None)
def secret(name):
    return totp_client.secret(EXPORT.parent / "gateway-hub-totp.vault", name, SCENARIO / "vault-pass.sh")


def code(name, offset=0, at=None):
    return totp_client.code(secret(name), at if at is not None else int(time.time() + offset))


def auth(host, value):
    """POST the code from the peer through its tunnel; return the HTTP status."""
    return totp_client.post(host, AUTH_URL, value)


def login(host, name):
    """A fresh code (a time step after the last one accepted), proven; returns the status.

    The authenticator accepts the steps beside the current one (window 1), each once: the
    earliest one still unused is taken (the one before only with 10 s left of it), so three
    logins fit in a step before a test has to wait for the next."""
    step = fresh_step(name)
    status = auth(host, code(name, at=step * 30 + 1))
    if status == 200:
        accepted(name, step)
    return status


def fresh_step(name):
    """The earliest time step of name's codes the authenticator still takes (see login)."""
    now = time.time()
    current = int(now // 30)
    step = max(USED.get(name, 0) + 1, current - 1 if now % 30 < 20 else current)
    if step > current + 1:
        time.sleep(step * 30 - 29 - time.time())
    return step


def accepted(name, step):
    USED[name] = step
    LOGGED_IN[name] = time.monotonic()


def tcp_open(host, addr, port, timeout=3):
    target = "/dev/tcp/%s/%d" % (addr, port)
    return host.run("timeout %s bash -c %s", str(timeout), "exec 3<>%s" % target).rc == 0


PROBE = (
    "import concurrent.futures, json, socket, sys\n"
    "targets = json.loads(sys.argv[1])\n"
    "def one(t):\n"
    "    try:\n"
    "        socket.create_connection((t[0], t[1]), timeout=float(sys.argv[2])).close()\n"
    "        return True\n"
    "    except OSError:\n"
    "        return False\n"
    "with concurrent.futures.ThreadPoolExecutor(len(targets)) as pool:\n"
    "    print(json.dumps(list(pool.map(one, targets))))\n"
)


def tcp_reached(host, targets, timeout=3):
    """TCP connections to every (address, port) at once, from host: the ones that opened."""
    targets = list(targets)
    out = host.check_output("python3 -c %s %s %s", PROBE, json.dumps(targets), str(timeout))
    return [t for t, ok in zip(targets, json.loads(out), strict=True) if ok]


def udp_send(host, addr, port, payload, source=None):
    bind = ",bind=%s" % source if source else ""
    dst = "[%s]" % addr if ":" in addr else addr
    host.run("echo %s | socat -u - %s", payload, "UDP-SENDTO:%s:%d%s" % (dst, port, bind))


def udp_listen(host, port, log):
    host.run("rm -f %s", log)
    host.run("setsid -f socat -u %s %s", "UDP-RECV:%d,reuseaddr" % port, "OPEN:%s,creat,append" % log)
    time.sleep(0.3)


def tcp_listen(host, port, addr="0.0.0.0"):  # noqa: S104 - inside the test's own container
    host.run("setsid -f socat %s SYSTEM:true", "TCP-LISTEN:%d,bind=%s,reuseaddr,fork" % (port, addr))
    time.sleep(0.3)


def received(host, log):
    f = host.file(log)
    return f.content_string if f.exists else ""


def hub_route(host, dst, via="10.215.140.10", dev="eth0"):
    host.check_output("ip route replace %s via %s dev %s", dst, via, dev)


def playbook(path, extra=None, timeout=240):
    """Run a playbook of the scenario against its inventory; (rc, output on one line)."""
    env = dict(
        os.environ,
        ANSIBLE_VAULT_PASSWORD_FILE=str(SCENARIO / "vault-pass.sh"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
    )
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path)]
    if extra is not None:
        argv += ["-e", json.dumps(extra)]
    run = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return run.returncode, " ".join(re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr).split())


def nft_json(host, *what):
    return json.loads(host.check_output("nft -j list %s", " ".join(what)))["nftables"]


def counter(host, chain, comment_prefix):
    """Packets counted by the rules of a chain whose comment starts with comment_prefix."""
    total, found = 0, False
    for item in nft_json(host, "chain", "inet", "iotguard", chain):
        rule = item.get("rule")
        if rule and rule.get("comment", "").startswith(comment_prefix):
            for expr in rule["expr"]:
                if "counter" in expr:
                    total += expr["counter"]["packets"]
                    found = True
    assert found, "no counting rule %r in chain %s" % (comment_prefix, chain)
    return total


def session_expiry(host, addr, set_name="wg_authed"):
    """Seconds left of addr's element in a session set, or None when it is not there."""
    return totp_client.session_expiry(host, addr, set_name)


def adhoc(module, args, on="gateway-hub"):
    """Run one module on the hub (or another host of the scenario) through Ansible, as a role would."""
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    run = subprocess.run(
        [
            "ansible",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            on,
            "-m",
            module,
            "-a",
            json.dumps(args),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return run.returncode, run.stdout + run.stderr


def tunnel_ip(host):
    return host.check_output("ip -4 -o address show dev wg0").split()[3].split("/")[0]


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
            sent = int(m.group(1))
            assert sent >= 50, "only %d pings: the %s rotation was not covered by traffic" % (sent, log_name)
            # replies only ("64 bytes from ..."), not "From ... icmp_seq=N Destination Host Unreachable"
            seqs = {int(s) for s in re.findall(r"bytes from [^\n]*?icmp_seq=(\d+)", log)}
            assert seqs & {sent, sent - 1, sent - 2}, "the last pings did not come back: traffic stopped"
            # lost: the pings with no reply before the last one answered; the one in flight when
            # SIGINT stopped ping counts as transmitted, never answered, and is no loss
            lost = sorted(set(range(1, max(seqs) + 1)) - seqs)
            assert len(lost) <= max_loss, "%s rotation: lost %d of %d pings (icmp_seq %s)" % (
                log_name,
                len(lost),
                sent,
                lost[:20],
            )


def test_no_session_reaches_authenticator_not_mgmt(host, alice, bob):
    assert alice.run("busybox wget -q -O - %s", AUTH_URL).rc == 0
    assert not reaches_mgmt(alice)
    assert not reaches_mgmt(bob)


def test_authenticator_only_through_the_tunnel(host, alice):
    """The zone host routes 10.66.0.1 through the hub: the authenticator listens there (alice
    reaches it through the tunnel) but nothing from outside the tunnel gets to it."""
    assert tcp_open(alice, HUB_TUNNEL, 8181)
    assert not tcp_open(peer("gateway-mgmt"), HUB_TUNNEL, 8181)


def test_no_hub_service_without_a_session_on_any_hub_address(host, alice):
    """Issue point 1: with a stolen key and no code, nothing of the hub but the authenticator
    (and ping) answers through the tunnel, on every hub address, TCP and UDP."""
    host.run("nft flush set inet iotguard wg_authed")
    tcp_listen(host, 2323)
    udp_listen(host, 5353, "/root/udp-hub.log")
    # positive controls: the listeners and sshd answer where they are allowed to
    assert tcp_open(host, "127.0.0.1", 2323)
    assert tcp_open(alice, "10.215.140.10", 22), "sshd of the hub, from the WAN"
    udp_send(host, "127.0.0.1", 5353, "local-ok")
    # an attacker's side of the tunnel routes every hub address into it
    hub_key = alice.check_output("wg show wg0 peers").split()[0]
    allowed = alice.check_output("wg show wg0 allowed-ips").split()[1:]
    alice.check_output(
        "wg set wg0 fwmark 51820 peer %s allowed-ips %s",
        hub_key,
        ",".join([*allowed, "10.215.140.10/32", "10.215.1.10/32"]),
    )
    alice.check_output("ip rule add not fwmark 51820 table 51820 priority 100")
    try:
        for addr in HUB_ADDRESSES:
            alice.check_output("ip route replace %s/32 dev wg0 table 51820", addr)
        assert tcp_open(alice, HUB_TUNNEL, 8181), "the authenticator is reachable through the tunnel"
        for addr in HUB_ADDRESSES:
            assert "dev wg0" in alice.check_output("ip route get %s", addr)
        reached = tcp_reached(alice, [(addr, port) for addr in HUB_ADDRESSES for port in (22, 2323)])
        assert reached == [], "reached through the tunnel without a code: %s" % reached
        for addr in HUB_ADDRESSES:
            udp_send(alice, addr, 5353, "tunnel-%s" % addr)
        time.sleep(0.5)
        log = received(host, "/root/udp-hub.log")
        assert "local-ok" in log
        assert "tunnel-" not in log, log
    finally:
        alice.run("ip rule del not fwmark 51820 table 51820 priority 100")
        alice.run("ip route flush table 51820")
        alice.run("wg set wg0 fwmark 0 peer %s allowed-ips %s", hub_key, ",".join(allowed))


def test_correct_code_opens_a_session(host, alice, bob):
    assert login(alice, "alice") == 200
    assert reaches_mgmt(alice)
    assert not reaches_mgmt(bob), "bob was let in by alice's code"
    assert "10.66.0.2" in host.check_output("nft list set inet iotguard wg_authed")
    # bob's session is left to expire: test_a_session_expires judges it a few tests later
    assert login(bob, "bob") == 200
    assert reaches_mgmt(bob)


def test_replayed_code_is_refused(host, alice):
    assert login(alice, "alice") == 200
    assert auth(alice, code("alice", at=USED["alice"] * 30 + 1)) == 401


def test_the_session_entry_point_opens_a_session_from_the_engineers_machine(host, alice):
    """The role's `session` entry point (the vpn_session module), run on alice's machine as an
    engineer's controller runs it: no code leaves past the tunnel; a refused code fails the
    run at once, its code not shown; a fresh code opens her session (in the hub's set)."""
    rc, out = adhoc(
        "iotguard.hardening.vpn_session", {"hub_address": WAN_HUB, "code": "123456"}, on="gateway-peer1"
    )
    assert rc != 0 and "leaves by eth0, not through the tunnel" in out, out[-2000:]
    step = fresh_step("alice")
    good = code("alice", at=step * 30 + 1)
    wrong = "%06d" % ((int(good) + 500000) % 1000000)
    rc, out = playbook(SCENARIO / "session.yml", {"wireguard_session_code": wrong})
    assert rc != 0 and "refused the code" in out and "does not try again" in out, out[-2000:]
    # one attempt: one failed task, no retry
    assert wrong not in out and out.count("fatal: [gateway-peer1]") == 1, out[-2000:]
    rc, out = playbook(SCENARIO / "session.yml", {"wireguard_session_code": good})
    assert rc == 0, out[-2000:]
    accepted("alice", step)
    assert "session opened: True for %d s by wg0" % SESSION in out, out[-2000:]
    assert good not in out
    assert session_expiry(host, "10.66.0.2"), "the code the entry point posted opened no session"
    assert reaches_mgmt(alice)


def test_zone_cannot_open_connections_to_an_engineer(host, alice):
    """Issue point 2: during alice's session, the zone host tries TCP and UDP to her laptop."""
    assert login(alice, "alice") == 200
    assert reaches_mgmt(alice)
    zone = peer("gateway-mgmt")
    tcp_listen(alice, 4444, "10.66.0.2")
    udp_listen(alice, 4445, "/root/udp-alice.log")
    assert tcp_open(alice, "10.66.0.2", 4444)
    udp_send(alice, "10.66.0.2", 4445, "local-ok")
    assert not tcp_open(zone, "10.66.0.2", 4444), "a zone host opened a TCP connection to an engineer"
    udp_send(zone, "10.66.0.2", 4445, "from-zone")
    time.sleep(0.5)
    log = received(alice, "/root/udp-alice.log")
    assert "local-ok" in log and "from-zone" not in log, log


def test_unlisted_ports_and_ipv6_refused_from_the_wan(host, alice, bob):
    """Issue point 4: from the WAN nothing reaches the zone, IPv4 or IPv6, listed port or not;
    from the management VLAN the management ports do, unlisted ones do not."""
    zone = peer("gateway-mgmt")
    for port in (2323, 502):
        tcp_listen(zone, port)
    hub_route(alice, MGMT_HOST + "/32")
    alice.check_output("ip -6 route replace %s/128 via fd00:215:140::10 dev eth0", MGMT_HOST6)
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        assert tcp_open(host, MGMT_HOST6, 22), "sshd of the zone host answers on IPv6"
        assert tcp_open(bob, MGMT_HOST, 22), "management VLAN -> zone sshd"
        assert tcp_reached(zone, [("127.0.0.1", p) for p in (22, 2323, 502)]) == [
            ("127.0.0.1", p) for p in (22, 2323, 502)
        ], "the zone host's listeners are up"
        reached = tcp_reached(alice, [(MGMT_HOST, p) for p in (22, 2323, 502)] + [(MGMT_HOST6, 22)])
        assert reached == [], "the WAN reached the zone: %s" % reached
        reached = tcp_reached(bob, [(MGMT_HOST, p) for p in (2323, 502)])
        assert reached == [], "unlisted ports reached from the VLAN: %s" % reached
    finally:
        alice.run("ip route del %s/32", MGMT_HOST)
        alice.run("ip -6 route del %s/128", MGMT_HOST6)
        bob.run("ip route del %s/32", MGMT_HOST)


def test_the_assessments_outside_probe_reads_its_route_with_live_traffic(host, alice):
    """reach_probe, the assessment's probe from outside the VPN, on a live WireGuard peer
    (wireguard-go: a tun link). Routed through the tunnel it refuses to run and names wg0.
    Routed past it (the WAN, as a guest there) it runs and finds the zone host's sshd
    silent, while the same port answers through the tunnel with a session: the evidence
    that management is reachable only through the VPN."""
    assert login(alice, "alice") == 200
    args = {"name": "alice-wan", "targets": [{"address": MGMT_HOST, "ports": [22]}], "timeout": 2}
    rc, out = adhoc("iotguard.hardening.reach_probe", args, on="gateway-peer1")
    assert rc != 0 and "reaches %s through the VPN interface wg0" % MGMT_HOST in out, out
    assert reaches_mgmt(alice), "the zone host's sshd does not answer through the tunnel"
    hub_route(alice, MGMT_HOST + "/32")
    try:
        rc, out = adhoc("iotguard.hardening.reach_probe", args, on="gateway-peer1")
    finally:
        alice.run("ip route del %s/32", MGMT_HOST)
    assert rc == 0, out
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # the scenario's environment may force colour
    result, _end = json.JSONDecoder().raw_decode(out[out.index("{", out.index("=>")) :])
    assert result["devices"] == {
        MGMT_HOST: {"from": "alice-wan", "interface": "eth0", "open": [], "refused": [], "silent": [22]}
    }, out


def test_spoofed_management_vlan_source_is_dropped(host, alice, bob):
    """Issue point 6: a one-way UDP (an SNMP set) with a management-VLAN source address, from
    the WAN and from the tunnel, does not reach the zone; the real VLAN's does."""
    zone = peer("gateway-mgmt")
    udp_listen(zone, 161, "/root/snmp.log")
    spoof = "10.215.1.99"
    alice.check_output("ip address replace %s/32 dev lo", spoof)
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        udp_send(bob, MGMT_HOST, 161, "vlan-ok")
        hub_route(alice, MGMT_HOST + "/32")
        udp_send(alice, MGMT_HOST, 161, "spoof-wan", source=spoof)
        alice.run("ip route del %s/32", MGMT_HOST)
        assert "dev wg0" in alice.check_output("ip route get %s from %s", MGMT_HOST, spoof)
        udp_send(alice, MGMT_HOST, 161, "spoof-tunnel", source=spoof)
        time.sleep(0.5)
        log = received(zone, "/root/snmp.log")
        assert "vlan-ok" in log and "spoof" not in log, log
    finally:
        alice.run("ip address del %s/32 dev lo", spoof)
        alice.run("ip route del %s/32", MGMT_HOST)
        bob.run("ip route del %s/32", MGMT_HOST)


ECHO_PORT = 8080  # wireguard_mgmt_ports: the zone host echoes lines there
RATE_PORT = 8000  # wireguard_mgmt_ports: limited per source by the probe contribution
# another of them: limited the same, and the management zones by a limit of their own
MGMT_RATE_PORT = 8080
HOLD = (
    "import json, os, socket, sys, time\n"
    "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)\n"
    "def echo(word):\n"
    "    s.sendall(word + b'\\n')\n"
    "    got = b''\n"
    "    while not got.endswith(b'\\n'):\n"
    "        chunk = s.recv(64)\n"
    "        if not chunk:\n"
    "            break\n"
    "        got += chunk\n"
    "    return got.decode().strip()\n"
    "def save(out):\n"
    "    open('/root/hold.tmp', 'w').write(json.dumps(out))\n"
    "    os.rename('/root/hold.tmp', '/root/hold.json')\n"
    "out = {'before': echo(b'before')}\n"
    "save(out)\n"
    "for _ in range(900):\n"
    "    if os.path.exists('/root/hold.go'):\n"
    "        break\n"
    "    time.sleep(0.1)\n"
    "try:\n"
    "    out['after'] = echo(b'after')\n"
    "except OSError as exc:\n"
    "    out['after'] = 'error: %s' % exc\n"
    "out['done'] = True\n"
    "save(out)\n"
)
BURST = (
    "import concurrent.futures, json, socket, sys\n"
    "def one(_):\n"
    "    try:\n"
    "        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()\n"
    "        return 1\n"
    "    except OSError:\n"
    "        return 0\n"
    "n = int(sys.argv[3]) if len(sys.argv) > 3 else 12\n"
    "with concurrent.futures.ThreadPoolExecutor(n) as pool:\n"
    "    ok = sum(pool.map(one, range(n)))\n"
    "print(json.dumps({'ok': ok, 'failed': n - ok}))\n"
)


def wait_json(host, path, key, tries=100):
    for _unused in range(tries):
        f = host.file(path)
        if f.exists:
            try:
                data = json.loads(f.content_string)
            except ValueError:
                data = {}
            if key in data:
                return data
        time.sleep(0.2)
    raise AssertionError("%s never got %r" % (path, key))


def test_firewall_reload_keeps_established_connections_and_sessions(host, alice):
    """Issue point 8: another role's contribution goes through the gateway_firewall role (load,
    fresh connection, confirm) while alice, logged in, holds a TCP connection into the zone.
    After the reload the connection still carries data, her session is in the set with its
    own expiry (kept, not renewed) and opens new connections; the contribution's zone,
    dynamic set and rate limit are loaded beside the others."""
    zone = peer("gateway-mgmt")
    zone.run("setsid -f socat %s EXEC:cat", "TCP-LISTEN:%d,reuseaddr,fork" % ECHO_PORT)
    time.sleep(0.3)
    assert login(alice, "alice") == 200
    address = tunnel_ip(alice)
    alice.run("rm -f /root/hold.json /root/hold.go")
    alice.run("setsid -f python3 -c %s %s %s", HOLD, MGMT_HOST, str(ECHO_PORT))
    assert wait_json(alice, "/root/hold.json", "before")["before"] == "before"
    kept = session_expiry(host, address)
    assert kept, "alice's session is not in the set"
    # a network of its own per run, so that this is a change even on a second verify
    probe = {
        "zones": [{"name": "probe", "networks": ["10.215.%d.0/24" % (200 + int(time.time()) % 50)]}],
        "sets": [{"name": "probe_seen", "family": "ipv4", "timeout": True}],
        "rate_limits": [
            {"to": [MGMT_HOST + "/32"], "ports": [RATE_PORT], "per_source": "6/minute", "burst": 3},
            {
                "to": [MGMT_HOST + "/32"],
                "ports": [MGMT_RATE_PORT],
                "per_source": "6/minute",
                "burst": 3,
                "management_per_source": "120/minute",
                "management_burst": 20,
            },
        ],
    }
    rc, out = playbook(
        SCENARIO / "firewall_change.yml", {"firewall_change_name": "probe", "firewall_change": probe}
    )
    assert rc == 0 and re.search(r"gateway-hub\s*: ok=\d+\s+changed=[1-9]", out), out[-3000:]
    try:
        left = session_expiry(host, address)
        assert left is not None, "the reload ended alice's session"
        assert left <= kept, "the reload renewed the session (%s s left, %s before)" % (left, kept)
        assert reaches_mgmt(alice), "the kept session opens no new connection"
        table = host.check_output("nft list table inet iotguard")
        for part in (
            "z_probe_4",
            "set probe_seen",
            "rate limit probe.rate_limits[0]",
            "management rate limit probe.rate_limits[1]",
            "@wg_authed",
        ):
            assert part in table, "%s is not in the reloaded table" % part
    finally:
        alice.run("touch /root/hold.go")
    held = wait_json(alice, "/root/hold.json", "done")
    assert held["after"] == "after", "the established connection did not survive the reload: %s" % held


def test_rate_limit_drops_what_is_over_it(host, bob):
    """The probe contribution limits new connections to the zone host's RATE_PORT to 6 a
    minute per source (burst 3). bob, on the management VLAN where that port is allowed,
    opens 12 at once: a few get through (the port is open to him), the others are dropped,
    and the limit's counter on the hub counted every dropped packet."""
    zone = peer("gateway-mgmt")
    tcp_listen(zone, RATE_PORT)
    assert tcp_open(zone, "127.0.0.1", RATE_PORT)
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        dropped = counter(host, "forward", "rate limit probe.")
        result = json.loads(bob.check_output("python3 -c %s %s %s", BURST, MGMT_HOST, str(RATE_PORT)))
        dropped = counter(host, "forward", "rate limit probe.") - dropped
    finally:
        bob.run("ip route del %s/32", MGMT_HOST)
    assert 1 <= result["ok"] <= 4, "the limit let %d of 12 connections through" % result["ok"]
    assert dropped >= result["failed"] >= 8, "%d connections failed, the limit dropped %d packets" % (
        result["failed"],
        dropped,
    )


def test_management_zones_have_a_rate_limit_of_their_own(host, bob):
    """The probe contribution's second rate limit is the devices' one (6 a minute, burst 3)
    with the management zones' own limit (120 a minute, burst 20), as device hardening puts
    in front of a device without a lockout, so that the MSP's own runs are not throttled by
    it. bob, on the management VLAN (a management zone), opens 12 connections at once: all
    get through, and the devices' limit counted none of them. Then 40 at once: the management
    zones' limit drops what is over its burst, and its own counter counted it."""
    zone = peer("gateway-mgmt")
    tcp_listen(zone, MGMT_RATE_PORT)
    assert tcp_open(zone, "127.0.0.1", MGMT_RATE_PORT)
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    devices, own = "rate limit probe.rate_limits[1]", "management rate limit probe.rate_limits[1]"
    try:
        before = counter(host, "forward", devices), counter(host, "forward", own)
        first = json.loads(bob.check_output("python3 -c %s %s %s 12", BURST, MGMT_HOST, str(MGMT_RATE_PORT)))
        between = counter(host, "forward", devices), counter(host, "forward", own)
        second = json.loads(bob.check_output("python3 -c %s %s %s 40", BURST, MGMT_HOST, str(MGMT_RATE_PORT)))
        after = counter(host, "forward", devices), counter(host, "forward", own)
    finally:
        bob.run("ip route del %s/32", MGMT_HOST)
    assert first["ok"] == 12, "the management VLAN was throttled: %d of 12 connections" % first["ok"]
    assert between == before, "a limit dropped management VLAN connections under 20: %s -> %s" % (
        before,
        between,
    )
    assert second["ok"] <= 20 and second["failed"] >= 20, "the management limit let through %s" % second
    assert after[0] == before[0], "the devices' limit counted the management VLAN"
    assert after[1] - between[1] >= second["failed"], "the management limit dropped %d packets for %d" % (
        after[1] - between[1],
        second["failed"],
    )


def test_a_session_expires(host, bob):
    """bob logged in at test_correct_code_opens_a_session and never again (the tests since
    then reach the zone from his VLAN side, not through his tunnel): after
    wireguard_session_seconds his address is out of the set and the zone closed to him."""
    assert "bob" in LOGGED_IN, "bob's login did not happen"
    left = LOGGED_IN["bob"] + SESSION + 2 - time.monotonic()
    if left > 0:
        time.sleep(left)
    assert session_expiry(host, tunnel_ip(bob)) is None, "bob's session is still in the set"
    assert not reaches_mgmt(bob), "the session outlived wireguard_session_seconds"


def test_wrong_codes_lock_out_and_others_unaffected(host, alice, bob):
    assert login(alice, "alice") == 200
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


def test_restarted_authenticator_keeps_lockouts_and_refuses_replays(host, alice, bob):
    """Issue point 8: state survives a restart; point 9: it runs unprivileged."""
    pid = host.file("/run/iotguard-wg-auth.pid").content_string.strip()
    host.check_output("/usr/local/sbin/iotguard-wg-auth-ctl restart")
    new_pid = host.file("/run/iotguard-wg-auth.pid").content_string.strip()
    assert new_pid != pid
    for _unused in range(20):
        if tcp_open(alice, HUB_TUNNEL, 8181):
            break
        time.sleep(0.5)
    assert auth(bob, code("bob")) == 429, "a restart lifted bob's lockout"
    assert auth(alice, code("alice", at=USED["alice"] * 30 + 1)) == 401, "a restart allowed a replay"
    assert login(alice, "alice") == 200, "alice is not affected"
    status = host.file("/proc/%s/status" % new_pid).content_string
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    assert fields["Uid"].split()[0] != "0", "the authenticator runs as root"
    assert int(fields["CapEff"], 16) == 1 << 12 and int(fields["CapBnd"], 16) == 1 << 12, (
        "more than CAP_NET_ADMIN"
    )
    state = host.file("/var/lib/iotguard-wg-auth/state.json")
    assert state.user == "iotguard-auth" and state.mode & 0o077 == 0
    assert secret("alice") not in state.content_string and secret("bob") not in state.content_string


def test_slow_connection_flood_does_not_stop_another_login(host, alice, bob):
    """Issue point 3: alice holds 300 slow connections to the authenticator; bob logs in.
    nftables refuses every connection over the cap: alice sees them refused, and the cap
    rule's counter on the hub counted at least as many rejected packets."""
    rejected = counter(host, "input", "connection cap wireguard.")
    flood = (
        "import socket, sys, time, json\n"
        "held, refused = [], 0\n"
        "for i in range(300):\n"
        "    s = socket.socket(); s.settimeout(1)\n"
        "    try:\n"
        "        s.connect((sys.argv[1], 8181)); s.send(b'POST / HTTP/1.1\\r\\n'); held.append(s)\n"
        "    except OSError:\n"
        "        refused += 1\n"
        "open('/root/flood.json', 'w').write(json.dumps({'connected': len(held), 'refused': refused}))\n"
        "time.sleep(7)\n"  # the request deadline is 5 s
        "alive = 0\n"
        "for s in held:\n"
        "    s.setblocking(False)\n"
        "    try:\n"
        "        alive += s.recv(1) != b''\n"
        "    except BlockingIOError:\n"
        "        alive += 1\n"
        "    except OSError:\n"
        "        pass\n"
        "out = {'connected': len(held), 'refused': refused, 'alive': alive}\n"
        "open('/root/flood.json', 'w').write(json.dumps(out))\n"
    )
    alice.run("rm -f /root/flood.json")
    alice.run("setsid -f python3 -c %s %s", flood, HUB_TUNNEL)
    for _unused in range(40):
        if alice.file("/root/flood.json").exists:
            break
        time.sleep(0.25)
    started = time.monotonic()
    assert login(bob, "bob") in (200, 429), "bob's login got no answer during alice's flood"
    assert time.monotonic() - started < 5
    result = {}
    for _unused in range(60):
        try:
            result = json.loads(alice.file("/root/flood.json").content_string)
        except ValueError:
            result = {}  # caught between the truncation and the write
        if "alive" in result:
            break
        time.sleep(0.25)
    assert "alive" in result, "the flood did not finish: %s" % result
    assert result["connected"] <= 8, "nftables let one source hold %d connections" % result["connected"]
    assert result["refused"] >= 300 - 8, "connections over the cap were not refused: %s" % result
    rejected = counter(host, "input", "connection cap wireguard.") - rejected
    assert rejected >= result["refused"], "the cap rule rejected %d packets for %d refused connections" % (
        rejected,
        result["refused"],
    )
    assert result["alive"] == 0, "slow connections outlived the request deadline: %s" % result


def test_policy_that_cuts_the_engineer_off_rolls_back_by_itself(host, bob):
    """A new wireguard contribution without the management flows is never confirmed: the
    gateway goes back to the confirmed table by itself. Both reloads (the cut policy and the
    rollback) keep an element of the set the probe contribution added."""
    stored = json.loads(host.check_output("cat /etc/iotguard/firewall.d/wireguard.json"))
    cut = dict(stored, flows=[f for f in stored["flows"] if f["to"] == "gateway"])
    host.check_output("nft add element inet iotguard probe_seen '{ 10.215.1.99 timeout 600s }'")
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        assert tcp_open(bob, MGMT_HOST, 22)
        rc, out = adhoc(
            "iotguard.hardening.gateway_firewall",
            {"contributions": {"wireguard": cut}, "rollback_seconds": 10},
        )
        loaded = time.monotonic()
        assert rc == 0 and '"pending": true' in out, out[-2000:]
        assert not tcp_open(bob, MGMT_HOST, 22, timeout=2), "the new policy was not loaded"
        assert session_expiry(host, "10.215.1.99", "probe_seen"), "the reload emptied a dynamic set"
        back = False
        while not back and time.monotonic() - loaded < 20:
            back = tcp_open(bob, MGMT_HOST, 22, timeout=1)
        assert back, "the unconfirmed policy did not roll back"
        assert time.monotonic() - loaded > 8, "the policy rolled back before its timer"
        assert session_expiry(host, "10.215.1.99", "probe_seen"), "the rollback emptied a dynamic set"
        rc, out = adhoc("iotguard.hardening.gateway_firewall", {"state": "confirmed"})
        assert rc == 0 and '"confirmed": false' in out, "nothing was left to confirm"
        assert json.loads(host.check_output("cat /etc/iotguard/firewall.d/wireguard.json")) == stored
    finally:
        bob.run("ip route del %s/32", MGMT_HOST)


def test_flushed_ruleset_leaves_the_zones_closed(host, bob):
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        assert tcp_open(bob, MGMT_HOST, 22)
        host.check_output("nft flush ruleset")
        assert not tcp_open(bob, MGMT_HOST, 22), "with no ruleset the gateway forwarded to the zone"
    finally:
        host.check_output("nft -f /etc/iotguard/gateway.nft")
        assert tcp_open(bob, MGMT_HOST, 22)
        bob.run("ip route del %s/32", MGMT_HOST)


def test_broken_rules_file_fails_closed(host, alice, bob):
    """What the boot unit runs (the boot loader), with the confirmed table file corrupted and
    no table loaded: the failsafe table comes up instead. Nothing is forwarded (the VLAN no
    longer reaches the zone), the tunnel reaches nothing of the hub (not even the
    authenticator), and the hub's sshd still answers from the WAN (nobody is locked out).
    With the failsafe corrupted too, the built-in table does the same."""
    boot = "/usr/local/sbin/iotguard-firewall-boot"
    files = ("/etc/iotguard/gateway.nft", "/etc/iotguard/gateway.failsafe.nft")
    for f in files:
        host.check_output("cp -p %s %s.good", f, f)
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        assert tcp_open(bob, MGMT_HOST, 22), "the VLAN reaches the zone (positive control)"
        assert tcp_open(alice, HUB_TUNNEL, 8181), "the authenticator answers (positive control)"
        for broken, says in ((files[:1], "FAILSAFE table loaded"), (files, "built-in FAILSAFE table loaded")):
            for f in broken:
                host.check_output("printf 'table inet iotguard {\\n\\tchain broken\\n' > %s", f)
            host.check_output("nft flush ruleset")
            run = host.run(boot)
            assert run.rc == 1 and says in run.stderr, run.stderr
            table = host.check_output("nft list table inet iotguard")
            assert "hook forward priority filter; policy drop;" in table and "prerouting" not in table
            assert not tcp_open(bob, MGMT_HOST, 22, timeout=2), "%s forwarded to the zone" % says
            assert not tcp_open(alice, HUB_TUNNEL, 8181, timeout=2), "%s let the tunnel reach the hub" % says
            assert tcp_open(alice, WAN_HUB, 22), "%s locked the engineers out of the hub's sshd" % says
    finally:
        for f in files:
            host.run("mv %s.good %s", f, f)
        host.check_output("nft flush ruleset")
        run = host.run(boot)
    assert run.rc == 0 and "table inet iotguard loaded" in run.stdout, run.stderr
    try:
        assert tcp_open(bob, MGMT_HOST, 22), "the restored table does not forward the VLAN to the zone"
    finally:
        bob.run("ip route del %s/32", MGMT_HOST)


def systemd_prop(box, unit, prop):
    return box.check_output("systemctl show -P %s %s", prop, unit).strip()


def boot_and_wait(name, box, unit):
    """Restart a container whose init is systemd; wait until the unit has run."""
    run = subprocess.run(["podman", "restart", "-t", "0", name], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    state = ""
    for _unused in range(60):
        state = box.run("systemctl show -P ActiveState %s", unit).stdout.strip()
        if state in ("active", "failed"):
            break
        time.sleep(0.25)
    return state


def test_systemd_loads_the_table_before_the_network_and_fails_closed():
    """gateway-boot runs systemd as its init, as a real gateway does; converge applied the
    firewall role to it. At each boot the role's unit loads the table and network-pre.target
    is reached only after it (systemd's own timestamps). With the rules file corrupted the
    unit fails (visible to systemctl --failed) and the failsafe table is what is loaded:
    policy drop, nothing forwarded, only the gateway's administration."""
    box, unit = peer("gateway-boot"), "iotguard-firewall.service"
    assert box.check_output("systemctl is-enabled %s", unit).strip() == "enabled"
    assert "network-pre.target" in systemd_prop(box, unit, "Before")
    rules = "/etc/iotguard/gateway.nft"
    box.check_output("cp -p %s /root/gateway.nft.good", rules)
    try:
        for broken in (False, True):
            if broken:
                box.check_output("printf 'table inet iotguard {\\n\\tchain broken\\n' > %s", rules)
            state = boot_and_wait("gateway-boot", box, unit)
            assert state == ("failed" if broken else "active"), "broken=%s: the unit is %s" % (broken, state)
            ran = int(systemd_prop(box, unit, "ExecMainExitTimestampMonotonic"))
            net = int(systemd_prop(box, "network-pre.target", "ActiveEnterTimestampMonotonic"))
            assert 0 < ran <= net, "network-pre.target (%d) came before the firewall (%d)" % (net, ran)
            table = box.check_output("nft list table inet iotguard")
            assert "hook input priority filter; policy drop;" in table
            assert "hook forward priority filter; policy drop;" in table
            assert "to 10.215.60.0/24 fwmark 0/0x1000 prohibit" in box.check_output("ip -4 rule show")
            log = box.check_output("journalctl -b -o cat -u %s", unit)
            if broken:
                assert "FAILSAFE table loaded" in log, log
                assert "prerouting" not in table and "dport 53" not in table, table
                assert 'tcp dport 22 accept comment "sshd of the gateway' in table, table
            else:
                assert "table inet iotguard loaded" in log, log
                assert 'iifname "eth1" ip saddr @z_lan_4 udp dport 53 accept' in table, table
    finally:
        box.run("mv /root/gateway.nft.good %s", rules)


def test_ssh_audit_finds_nothing_weak_on_the_hub(alice):
    """The hub's sshd (converge gave it the lockout policy's sshd settings), judged by
    ssh-audit (the controller's pinned copy, run from an engineer's machine on the WAN): no
    algorithm it fails, no CVE. (Its connection-rate probe is skipped: it floods the sshd the
    later tests reach, and it judges throttling, not algorithms.)"""
    import ssh_audit  # the judge, pinned in requirements/dev.txt

    package = pathlib.Path(ssh_audit.__file__).parent
    # copied as a tar stream through `podman exec` (no `podman cp` into the running container)
    with tempfile.TemporaryFile() as tar:
        subprocess.run(["tar", "-C", str(package.parent), "-c", package.name], stdout=tar, check=True)
        tar.seek(0)
        run = subprocess.run(
            [
                "podman",
                "exec",
                "-i",
                "gateway-peer1",
                "sh",
                "-c",
                "rm -rf /opt/ssh-audit && mkdir -p /opt/ssh-audit && tar -x -C /opt/ssh-audit",
            ],
            stdin=tar,
            capture_output=True,
            text=True,
            check=False,
        )
    assert run.returncode == 0, run.stderr
    # the judge needs a connection: wait (up to 60 s) for the hub's sshd to answer from the WAN.
    # On a loaded machine (every scenario at once) a connection to it did not come up within
    # 10 s, in one full run of two (never alone); it is said on the test's output, and a
    # connection that does not come up is no verdict. The judge's verdict is never retried.
    waited = time.monotonic()
    while not tcp_open(alice, WAN_HUB, 22, timeout=2):
        assert time.monotonic() - waited < 60, "the hub's sshd does not answer from the WAN in 60 s"
    waited = time.monotonic() - waited
    if waited > 2:
        print("the hub's sshd answered alice after %.1f s" % waited)
    for _attempt in range(3):
        out = alice.run(
            "cd /opt/ssh-audit && python3 -m ssh_audit -j -t 15 --skip-rate-test -p 22 %s", WAN_HUB
        )
        if "cannot connect" not in out.stdout:
            break
        print("ssh-audit could not connect: %s" % out.stdout[:200])
        time.sleep(5)
    report = json.loads(out.stdout)
    assert report["kex"], "ssh-audit saw no key exchange: %s" % out.stdout[:500]
    critical = report.get("recommendations", {}).get("critical", {})
    fails = [
        (a, s, r["name"]) for a, sections in critical.items() for s, recs in sections.items() for r in recs
    ]
    assert fails == [], "ssh-audit critical findings: %s" % fails
    for section in ("kex", "enc", "mac", "key"):
        weak = [alg["algorithm"] for alg in report.get(section, []) if alg.get("notes", {}).get("fail")]
        assert not weak, "ssh-audit fails these %s algorithms: %s" % (section, weak)
    assert not report.get("cves"), "ssh-audit lists CVEs: %s" % report["cves"]


def test_exported_engineer_config_and_qr():
    conf = EXPORT / "carol.conf"
    png = EXPORT / "carol.png"
    assert conf.stat().st_mode & 0o777 == 0o600 and png.stat().st_mode & 0o777 == 0o600
    text = conf.read_text()
    assert "Endpoint = 10.215.140.10:51820" in text and "AllowedIPs = 10.66.0.1/32, 10.215.141.0/24" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_secrets_are_encrypted_at_rest():
    """Issue point 7: the secrets and the hand-over (URI, QR) exist on the controller only
    inside the vault; no file there holds a secret in clear."""
    store = EXPORT.parent / "gateway-hub-totp.vault"
    assert store.stat().st_mode & 0o777 == 0o600
    assert store.read_text().startswith("$ANSIBLE_VAULT;")
    secrets = [secret("alice"), secret("bob")]
    for path in EXPORT.parents[1].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(s.encode() in data for s in secrets), "a TOTP secret in clear in %s" % path
    for name in ("alice", "bob"):
        assert (
            not (EXPORT / ("%s-totp.uri" % name)).exists() and not (EXPORT / ("%s-totp.png" % name)).exists()
        )
        sealed = EXPORT / ("%s-totp.uri.vault" % name)
        assert sealed.stat().st_mode & 0o777 == 0o600
        uri = vault_view(sealed).decode()
        assert uri.startswith("otpauth://totp/") and "secret=%s" % secret(name) in uri
        assert vault_view(EXPORT / ("%s-totp.png.vault" % name))[:8] == b"\x89PNG\r\n\x1a\n"


def hub_state(host):
    """The hub's tunnel as configured (peers, allowed IPs, addresses), without counters."""
    dump = host.check_output("wg show wg0 dump").splitlines()
    peers = sorted("%s %s" % (f.split("\t")[0], f.split("\t")[3]) for f in dump[1:])
    return peers, host.check_output("ip -o address show dev wg0"), host.check_output("ls /etc/wireguard/psk")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"wireguard_pool": "10.215.141.0/25"},
            "address pools overlap: pool (10.215.141.0/25) overlaps mgmt_zones[0]",
        ),
        (
            {
                "wireguard_peers": [
                    {"name": "alice", "host": "gateway-peer1"},
                    {"name": "alice", "host": "gateway-peer2"},
                ]
            },
            "every entry of wireguard_peers needs a unique name",
        ),
        (
            {
                "wireguard_peers": [
                    {"name": "alice", "host": "gateway-peer1"},
                    {"name": "bob", "host": "gateway-peer2"},
                    {"name": "dave"},
                ]
            },
            "(name='dave') has no public_key",
        ),
        ({"wireguard_endpoint": "gateway!:51820"}, "'gateway!' is neither an IP address nor a DNS name"),
    ],
    ids=["overlapping-pools", "name-twice", "missing-public-key", "endpoint-not-address"],
)
def test_bad_input_is_refused_and_nothing_half_configured(host, extra, message):
    before = hub_state(host)
    rc, out = playbook(SCENARIO / "wireguard.yml", extra)
    assert rc != 0, out[-2000:]
    assert message in out, out[-3000:]
    assert hub_state(host) == before


def test_after_a_reboot_the_rules_are_in_place_before_the_tunnel(host, alice, bob):
    """Issue point 5, last (it restarts the hub): the container's init runs the firewall's
    boot loader first; the tunnel only comes back when the role runs again. Until then,
    and from the first moment, the table filters and the zones are closed to the WAN."""
    host.run("rm -f /run/boot.log")  # /run outlives a container restart: no stale evidence
    run = subprocess.run(
        ["podman", "restart", "-t", "0", "gateway-hub"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    for _unused in range(40):
        if host.file("/run/boot.log").exists:
            break
        time.sleep(0.25)
    assert "table inet iotguard loaded" in host.file("/run/boot.log").content_string
    assert host.run("ip link show wg0").rc != 0, "the tunnel is up before the role brought it up"
    forward = host.check_output("nft list chain inet iotguard forward")
    assert "policy drop;" in forward and "@wg_authed" in forward
    assert "fwmark 0/0x1000 prohibit" in host.check_output("ip rule show")
    hub_route(alice, MGMT_HOST + "/32")
    hub_route(bob, MGMT_HOST + "/32", via="10.215.1.10", dev="vlan0")
    try:
        # the hub came back with new MAC addresses: give the neighbours' ARP caches a moment
        reached = False
        for _unused in range(15):
            reached = tcp_open(bob, MGMT_HOST, 22, timeout=2)
            if reached:
                break
            time.sleep(1)
        assert reached, "the management VLAN reaches the zone after the reboot"
        assert not tcp_open(alice, MGMT_HOST, 22), "the WAN reached the zone after the reboot"
    finally:
        alice.run("ip route del %s/32", MGMT_HOST)
        bob.run("ip route del %s/32", MGMT_HOST)
