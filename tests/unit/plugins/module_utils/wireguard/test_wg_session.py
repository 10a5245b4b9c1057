# SPDX-License-Identifier: GPL-3.0-or-later
"""The engineer's side of the TOTP gate (wireguard/session.py and the vpn_session module),
against the role's own authenticator serving real HTTP on loopback, its session set recorded
instead of nft; codes computed by oathtool (the judge, not the collection's TOTP code).

Loopback stands for the tunnel: the route to 127.0.0.1 leaves by ``lo``, which the tests name
as the VPN interface where the route check is to pass, and leave unnamed where it must refuse."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils import totp
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import session

ROOT = Path(__file__).resolve().parents[5]
AUTH = ROOT / "roles/wireguard/files/iotguard-wg-auth.py"
COLLECTIONS = ROOT / ".build" / "collections"
OATHTOOL = shutil.which("oathtool")
pytestmark = [
    pytest.mark.skipif(not OATHTOOL, reason="oathtool is installed by make setup (requirements/apt.txt)"),
    # a hung authenticator fails its test at once, with the threads' stacks (pytest-timeout)
    pytest.mark.timeout(60),
]


def oath(secret, at=None):
    at = int(time.time() if at is None else at)
    out = subprocess.run(
        [OATHTOOL, "--totp", "-b", "--now", "@%d" % at, secret], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


# the authenticator in a process of its own: no thread another test left behind in this one
# can take over its listening socket (a closed descriptor's number is reused)
HUB = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("iotguard_wg_auth", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
def record(ip, seconds):
    with open(sys.argv[3], "a") as fh:
        fh.write(json.dumps([ip, seconds]) + "\n")
guard = mod.Guard(sys.argv[2], nft=record, state_path=sys.argv[4])
srv = mod.Server(("127.0.0.1", 0), mod.Handler, workers=2, per_source=4, deadline=5.0)
srv.guard = guard
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


class Hub:
    """The authenticator (the role's program) on 127.0.0.1, one peer (alice) at 127.0.0.1; the
    session set it would fill is a file, its ledger the state file it keeps."""

    def __init__(self, tmp_path, session_seconds=600):
        self.secret = totp.new_secret()
        conf = {
            "listen": "127.0.0.1",
            "session_seconds": session_seconds,
            "max_failures": 3,
            "lockout_seconds": 600,
            "peers": {"alice": {"address": "127.0.0.1", "secret": self.secret}},
        }
        path = tmp_path / "auth.json"
        path.write_text(json.dumps(conf))
        self.added = tmp_path / "sessions.jsonl"
        self.state = tmp_path / "state.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HUB, str(AUTH), str(path), str(self.added), str(self.state)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
        )
        self.port = int(self.proc.stdout.readline())

    @property
    def sessions(self):
        if not self.added.exists():
            return []
        return [tuple(json.loads(line)) for line in self.added.read_text().splitlines()]

    def ledger(self):
        return json.loads(self.state.read_text()) if self.state.exists() else {}

    def failures(self):
        return len((self.ledger().get("failures") or {}).get("alice", []))

    def last_step(self):
        return (self.ledger().get("last_step") or {}).get("alice")

    def close(self):
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def hub(tmp_path):
    h = Hub(tmp_path)
    yield h
    h.close()


def test_a_good_code_opens_the_session(hub):
    got = session.open_session("127.0.0.1", hub.port, oath(hub.secret), vpn_interfaces=["lo"])
    assert got["opened"] and got["seconds"] == 600 and got["interface"] == "lo", got
    assert got["url"] == "http://127.0.0.1:%d/" % hub.port
    assert hub.sessions == [("127.0.0.1", 600)]


def test_a_refused_code_says_why_never_shows_it_and_is_not_tried_again(hub):
    good = oath(hub.secret)
    wrong = "%06d" % ((int(good) + 500000) % 1000000)
    with pytest.raises(session.SessionError, match="refused the code") as err:
        session.open_session("127.0.0.1", hub.port, wrong, vpn_interfaces=["lo"])
    assert wrong not in str(err.value) and "does not try again" in str(err.value)
    assert hub.failures() == 1, "one attempt, one failure on the hub's ledger"
    # the good code still opens it; the same code again is a replay, refused
    assert session.open_session("127.0.0.1", hub.port, good, vpn_interfaces=["lo"])["opened"]
    with pytest.raises(session.SessionError, match="already used"):
        session.open_session("127.0.0.1", hub.port, good, vpn_interfaces=["lo"])
    assert hub.sessions == [("127.0.0.1", 600)]


def test_a_locked_out_peer_is_told_so(hub):
    good = oath(hub.secret)
    for i in range(3):
        wrong = "%06d" % ((int(good) + 400000 + i) % 1000000)
        with pytest.raises(session.SessionError):
            session.open_session("127.0.0.1", hub.port, wrong, vpn_interfaces=["lo"])
    with pytest.raises(session.SessionError, match="locked out"):
        session.open_session("127.0.0.1", hub.port, oath(hub.secret), vpn_interfaces=["lo"])
    assert hub.sessions == []


def test_no_code_is_posted_past_the_tunnel(hub):
    # loopback is no link of kind wireguard or tun: the route is not the tunnel
    with pytest.raises(session.SessionError, match=r"leaves by lo, not through the tunnel"):
        session.open_session("127.0.0.1", hub.port, oath(hub.secret))
    assert hub.failures() == 0 and hub.sessions == [] and hub.last_step() is None


def test_no_route_at_all_is_not_the_tunnel():
    """A controller with no route to the hub (an isolated network, a client whose VPN it never
    joined): the kernel's "Network is unreachable" is an answer, not an unreadable route."""

    def run(argv):
        if argv[:3] == ["ip", "-j", "route"]:
            return 2, "", r"RTNETLINK answers: Network is unreachable" + "\n"
        raise AssertionError("unexpected command %s" % argv)

    assert session.routed("10.66.0.1", run=run) == (None, False)
    with pytest.raises(session.SessionError, match=r"leaves by no interface \(the kernel has no route"):
        session.route_check("10.66.0.1", run=run)

    def broken(argv):
        return 1, "", "Cannot open netlink socket: Permission denied\n"

    with pytest.raises(session.SessionError, match=r"could not be read.*Permission denied"):
        session.routed("10.66.0.1", run=broken)


def test_a_hub_that_does_not_answer():
    with socket_closed() as port, pytest.raises(session.SessionError, match="did not answer"):
        session.open_session("127.0.0.1", port, "123456", timeout=2, vpn_interfaces=["lo"])


class socket_closed:
    """A port nobody listens on (bound, then closed)."""

    def __enter__(self):
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("code", ["", "12345", "123456789", "12a456", "123456; reboot", None])
def test_a_code_that_is_no_code(code):
    with pytest.raises(session.SessionError, match="not a TOTP code") as err:
        session.check_code(code)
    assert "reboot" not in str(err.value)


@pytest.mark.parametrize(
    ("pool", "want"),
    [("10.66.0.0/24", "10.66.0.1"), ("10.214.66.0/24", "10.214.66.1"), ("fd00:66::/64", "fd00:66::1")],
)
def test_the_hub_is_the_pools_first_host(pool, want):
    assert session.hub_address(pool) == want


@pytest.mark.parametrize(
    ("pool", "message"), [("10.66.0.1/24", "CIDR"), ("wg", "CIDR"), ("10.66.0.0/31", "no hub")]
)
def test_a_bad_pool_names_the_field(pool, message):
    with pytest.raises(session.SessionError, match="pool: .*%s" % message):
        session.hub_address(pool)


def test_the_code_command_prints_the_code(hub, tmp_path):
    tool = tmp_path / "phone"
    tool.write_text('#!/bin/sh\n%s --totp -b "$(cat %s)"\n' % (OATHTOOL, tmp_path / "seed"))
    (tmp_path / "seed").write_text(hub.secret)
    tool.chmod(0o700)
    code = session.code_from_command([str(tool)])
    assert code == oath(hub.secret) or code == oath(hub.secret, time.time() - 1)
    assert session.open_session("127.0.0.1", hub.port, code, vpn_interfaces=["lo"])["opened"]


def test_the_code_command_runs_without_a_shell(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(session.SessionError, match="not a program"):
        session.code_from_command(["true; touch %s" % marker])
    assert not marker.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["false"], "exit status 1"),
        (["printf", "123456\\n654321\\n"], "alone on one line"),
        (["printf", "the code is 123456"], "not a TOTP code"),
        (["true"], "alone on one line"),
        (["printf", ""], "list of its program"),
        ([], "list of its program"),
    ],
)
def test_a_code_command_that_prints_no_code(argv, message):
    with pytest.raises(session.SessionError, match=message) as err:
        session.code_from_command(argv)
    assert "123456" not in str(err.value) and "654321" not in str(err.value)


def test_a_slow_code_command_is_cut_off():
    with pytest.raises(session.SessionError, match="no code within"):
        session.code_from_command(["sleep", "5"], timeout=0.5)


def run_module(args, tmp_path, check=False):
    args = dict(args, _ansible_check_mode=check, _ansible_tmpdir=str(tmp_path))
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ansible_collections.iotguard.hardening.plugins.modules.vpn_session",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
        timeout=60,
        check=False,
    )
    return json.loads(proc.stdout), proc.stdout + proc.stderr


def test_the_module_opens_the_session_and_never_shows_the_code(hub, tmp_path):
    code = oath(hub.secret)
    got, raw = run_module(
        {"hub_address": "127.0.0.1", "auth_port": hub.port, "code": code, "vpn_interfaces": ["lo"]}, tmp_path
    )
    assert not got.get("failed") and got["opened"] and got["changed"] is False, got
    assert code not in raw.replace('"code": "********"', "")
    assert hub.sessions == [("127.0.0.1", 600)]
    # the same code again: refused, failed, the code still not shown
    got, raw = run_module(
        {"hub_address": "127.0.0.1", "auth_port": hub.port, "code": code, "vpn_interfaces": ["lo"]}, tmp_path
    )
    assert got["failed"] and "already used" in got["msg"] and code not in raw


def test_without_a_code_the_module_reads_the_route_only(hub, tmp_path):
    for ifaces, through in ((["lo"], True), ([], False)):
        got, _raw = run_module(
            {"hub_address": "127.0.0.1", "auth_port": hub.port, "vpn_interfaces": ifaces}, tmp_path
        )
        assert not got.get("failed") and got["routed"] is through and got["opened"] is False, got
        assert got["interface"] == "lo"
    assert hub.sessions == [] and hub.last_step() is None


def test_the_module_opens_the_session_in_check_mode_too(hub, tmp_path):
    """A session is a login, not a change: a checked run reads the devices through it."""
    got, _raw = run_module(
        {
            "hub_address": "127.0.0.1",
            "auth_port": hub.port,
            "code": oath(hub.secret),
            "vpn_interfaces": ["lo"],
        },
        tmp_path,
        check=True,
    )
    assert not got.get("failed") and got["opened"] and got["changed"] is False, got
    assert hub.sessions == [("127.0.0.1", 600)]


def test_before_the_tunnel_exists_only_when_routed_does_nothing(hub, tmp_path):
    """site.yml's first run starts before this host is a peer: the route to the hub is not
    the tunnel, so nothing is posted and the command that prints the code is not run."""
    marker = tmp_path / "asked"
    args = {"hub_address": "127.0.0.1", "auth_port": hub.port, "code_command": ["touch", str(marker)],
            "only_when_routed": True}  # fmt: skip
    got, _raw = run_module(args, tmp_path)
    assert not got.get("failed") and got["routed"] is False and got["opened"] is False, got
    assert "leaves by lo" in got["msg"] and not marker.exists() and hub.sessions == []
    # routed through the tunnel, the same call opens the session
    args.update(code_command=["printf", "%s\\n" % oath(hub.secret)], vpn_interfaces=["lo"])
    got, _raw = run_module(args, tmp_path)
    assert got["routed"] is True and got["opened"], got
    assert hub.sessions == [("127.0.0.1", 600)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"pool": "10.66.0.0/24", "hub_address": "10.66.0.1", "code": "123456"}, "mutually exclusive"),
        ({"code": "123456"}, "one of the following is required: pool, hub_address"),
        ({"hub_address": "wg0", "code": "123456"}, "hub_address: 'wg0' is not an IP address"),
        ({"pool": "10.66.0.0/24", "code": "123456", "timeout": 0}, "timeout must be more than 0"),
    ],
)
def test_the_module_refuses_bad_input(tmp_path, args, message):
    got, _raw = run_module(args, tmp_path)
    assert got["failed"] and message in got["msg"], got
