# SPDX-License-Identifier: GPL-3.0-or-later
"""converge() against a small fake of `wg` and `ip` that keeps state, asserting the commands sent."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.interface import (
    Interface,
    converge,
    parse_dump,
)

PRIV = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PUB = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
PEER = base64.b64encode(b"\x05" * 32).decode()
PSK = base64.b64encode(b"\x09" * 32).decode()


class FakeHost:
    def __init__(self, kernel=False):
        self.kernel = kernel
        self.link = None
        self.calls = []

    def run(self, argv, data=None):
        self.calls.append(argv)
        cmd = argv[0]
        if cmd == "ip" and [a for a in argv[1:4] if a != "-o"][:2] == ["link", "show"]:
            return (0, "4: wg0: <POINTOPOINT,UP> mtu 1420\n", "") if self.link else (1, "", "no such device")
        if cmd == "ip" and argv[1:3] == ["link", "add"]:
            return (0, "", "") if self.kernel else (2, "", "Unknown device type")
        if cmd == "ip" and argv[1:3] == ["link", "del"]:
            return 0, "", ""
        if cmd == "wireguard-go":
            self.link = {"pub": None, "port": 40000, "peers": {}, "addrs": [], "routes": [], "up": False}
            return 0, "", ""
        if cmd == "wg" and argv[1] == "pubkey":
            assert data.strip() == PRIV
            return 0, PUB + "\n", ""
        if cmd == "wg" and argv[1] == "show":
            lk = self.link
            lines = ["%s\t%s\t%d\toff" % ("(hidden)", lk["pub"] or "(none)", lk["port"])]
            for k, p in lk["peers"].items():
                lines.append(
                    "\t".join(
                        [
                            k,
                            p["psk"] or "(none)",
                            "(none)",
                            ",".join(p["ips"]) or "(none)",
                            "0",
                            "0",
                            "0",
                            "off",
                        ]
                    )
                )
            return 0, "\n".join(lines) + "\n", ""
        if cmd == "wg" and argv[1] == "syncconf":
            text = open(argv[3]).read()
            assert PRIV in text
            self.link["pub"] = PUB
            self.link["peers"] = {}
            cur = None
            for line in text.splitlines():
                if line.startswith("PublicKey"):
                    cur = line.split("=", 1)[1].strip()
                    self.link["peers"][cur] = {"psk": None, "ips": []}
                elif line.startswith("PresharedKey"):
                    self.link["peers"][cur]["psk"] = line.split("=", 1)[1].strip()
                elif line.startswith("AllowedIPs"):
                    self.link["peers"][cur]["ips"] = sorted(
                        x.strip() for x in line.split("=", 1)[1].split(",")
                    )
                elif line.startswith("ListenPort"):
                    self.link["port"] = int(line.split("=", 1)[1])
            return 0, "", ""
        if cmd == "ip" and "address" in argv and "show" in argv:
            return 0, "".join("4: wg0    inet %s scope global wg0\n" % a for a in self.link["addrs"]), ""
        if cmd == "ip" and argv[1:3] == ["address", "add"]:
            self.link["addrs"].append(argv[3])
            return 0, "", ""
        if cmd == "ip" and "route" in argv and "show" in argv:
            return (
                0,
                "".join("%s scope link\n" % r for r in self.link["routes"] if ("-6" in argv) == (":" in r)),
                "",
            )
        if cmd == "ip" and argv[1:3] == ["route", "replace"]:
            self.link["routes"].append(argv[3])
            return 0, "", ""
        if cmd == "ip" and argv[1:4] == ["link", "set", "up"]:
            return 0, "", ""
        raise AssertionError("unexpected command %r" % argv)


@pytest.fixture
def keys(tmp_path):
    (tmp_path / "wg0.key").write_text(PRIV + "\n")
    (tmp_path / "p.psk").write_text(PSK + "\n")
    return tmp_path


def spec(keys, **kw):
    s = {
        "private_key_path": str(keys / "wg0.key"),
        "listen_port": 51820,
        "addresses": ["10.66.0.2/32"],
        "peers": [
            {
                "name": "hub",
                "public_key": PEER,
                "preshared_key_path": str(keys / "p.psk"),
                "allowed_ips": ["10.66.0.1/32", "10.20.0.0/24"],
            }
        ],
    }
    s.update(kw)
    return s


def test_userspace_when_no_kernel_module_then_idempotent(keys):
    host = FakeHost(kernel=False)
    r = converge(Interface(host.run, "wg0"), spec(keys))
    assert r["changed"] and r["implementation"] == "userspace"
    assert ["wireguard-go", "wg0"] in host.calls
    assert sorted(host.link["routes"]) == ["10.20.0.0/24", "10.66.0.1/32"]
    assert host.link["peers"][PEER] == {"psk": PSK, "ips": ["10.20.0.0/24", "10.66.0.1/32"]}
    assert PSK not in str(r) and PRIV not in str(r)
    host.calls.clear()
    r2 = converge(Interface(host.run, "wg0"), spec(keys))
    assert not r2["changed"], r2["actions"]
    assert not [c for c in host.calls if c[:2] == ["wg", "syncconf"] or "add" in c or "replace" in c]


def test_kernel_detected(keys):
    host = FakeHost(kernel=True)
    iface = Interface(host.run, "wg0")
    assert iface.detect() == "kernel"
    assert ["ip", "link", "del", "dev", "iotgwgprobe0"] in host.calls


def test_check_mode_changes_nothing(keys):
    host = FakeHost()
    r = converge(Interface(host.run, "wg0"), spec(keys), check_mode=True)
    assert r["changed"] and host.link is None


def test_bad_allowed_ip_and_name():
    with pytest.raises(WireGuardError, match="not an interface name"):
        Interface(lambda *a: (0, "", ""), "wg0; rm -rf /")


def test_missing_psk_is_an_error_before_anything_changes(keys):
    host = FakeHost()
    s = spec(keys)
    s["peers"][0]["preshared_key_path"] = str(keys / "missing.psk")
    with pytest.raises(WireGuardError, match="preshared_key_path"):
        converge(Interface(host.run, "wg0"), s)
    assert host.link is None


def test_parse_dump():
    st = parse_dump(
        "(none)\t(none)\t50805\toff\n%s\t(none)\t10.0.0.1:1\t10.66.0.2/32\t1700000000\t1\t2\t25\n" % PEER
    )
    assert st["listen_port"] == 50805 and st["public_key"] is None
    assert (
        st["peers"][PEER]["persistent_keepalive"] == 25
        and st["peers"][PEER]["latest_handshake"] == 1700000000
    )


def test_wait_until_holds_the_switch_and_refuses_far_times():
    from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.interface import wait_until

    slept = []
    wait_until(1005.5, clock=lambda: 1000.0, sleep=slept.append)
    assert slept == [5.5]
    wait_until(990, clock=lambda: 1000.0, sleep=slept.append)
    assert slept == [5.5]
    with pytest.raises(WireGuardError, match="not_before"):
        wait_until(5000, clock=lambda: 1000.0, sleep=slept.append)
