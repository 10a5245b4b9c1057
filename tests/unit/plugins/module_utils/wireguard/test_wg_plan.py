# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import WireGuardError
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.plan import build_plan


def key(n):
    return base64.b64encode(bytes([n]) * 32).decode()


HUB = key(1)


def make_peers(*names):
    return [{"name": n, "public_key": key(10 + i)} for i, n in enumerate(names)]


def plan(pool="10.66.0.0/24", hub_endpoint="192.0.2.1:51820", mgmt_zones=("10.20.0.0/24",), peers=None, **kw):
    if peers is None:
        peers = make_peers("alice", "bob")
    return build_plan(pool, hub_endpoint, HUB, peers, list(mgmt_zones), **kw)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"mgmt_zones": ["10.66.0.0/25"]}, r"pools overlap: pool \(10.66.0.0/24\) overlaps mgmt_zones\[0\]"),
        ({"reserved": ["10.0.0.0/8"]}, r"overlaps reserved\[0\]"),
        ({"peers": make_peers("alice", "alice")}, r"peers\[1\].name='alice' is used twice"),
        ({"peers": [{"name": "alice"}]}, r"peers\[0\] \(name='alice'\) has no public_key"),
        (
            {"peers": [{"name": "alice", "public_key": "short"}]},
            r"peers\[0\].public_key='short' is not a WireGuard key",
        ),
        ({"hub_endpoint": "not an address"}, r"hub_endpoint='not an address' is not an endpoint"),
        ({"hub_endpoint": "192.0.2.1"}, r"is not an endpoint: write it as address:port"),
        ({"hub_endpoint": "999.1.1.1:51820"}, r"neither an IP address nor a DNS name"),
        ({"hub_endpoint": "192.0.2.1:70000"}, r"port 70000 is outside"),
        ({"pool": "10.66.0.1/24"}, r"pool='10.66.0.1/24' is not a network"),
        ({"mgmt_zones": []}, r"mgmt_zones is empty"),
        ({"peers": [{"name": "Alice!", "public_key": key(3)}]}, r"not a usable peer name"),
    ],
)
def test_bad_input_names_field_and_fix(kw, match):
    with pytest.raises(WireGuardError, match=match):
        plan(**kw)


@pytest.mark.parametrize("endpoint", ["192.0.2.1:51820", "[2001:db8::1]:51820", "vpn.example.net:443"])
def test_good_endpoints(endpoint):
    assert plan(hub_endpoint=endpoint)["peers"]["alice"]["endpoint"] == endpoint


def test_allowed_ips_limited_to_hub_and_zones():
    p = plan()
    assert p["hub"]["address"] == "10.66.0.1/24"
    assert p["peers"]["alice"]["allowed_ips"] == ["10.66.0.1/32", "10.20.0.0/24"]
    assert {e["name"]: e["allowed_ips"] for e in p["hub"]["peers"]} == {
        "alice": ["10.66.0.2/32"],
        "bob": ["10.66.0.3/32"],
    }


def test_allocations_are_stable_when_peers_come_and_go():
    first = plan(peers=make_peers("bob", "dave"))["allocations"]
    assert first == {"bob": "10.66.0.2", "dave": "10.66.0.3"}
    # alice sorts first but must not take bob's address
    second = plan(peers=make_peers("alice", "bob", "dave"), previous=first)["allocations"]
    assert second["bob"] == first["bob"] and second["dave"] == first["dave"]
    assert second["alice"] == "10.66.0.4"
    third = plan(peers=make_peers("alice", "dave"), previous=second)["allocations"]
    assert third == {"alice": "10.66.0.4", "dave": "10.66.0.3"}


def test_pool_exhausted():
    with pytest.raises(WireGuardError, match="no free address"):
        plan(pool="10.66.0.0/30", peers=make_peers("a", "b"))


def test_site_to_site_networks_routed_to_the_site():
    site = [{"name": "office", "public_key": key(5), "networks": ["192.168.50.0/24"]}]
    p = plan(peers=site)
    assert p["hub"]["peers"][0]["allowed_ips"] == ["10.66.0.2/32", "192.168.50.0/24"]
    with pytest.raises(WireGuardError, match="overlaps"):
        plan(peers=[dict(site[0], networks=["10.20.0.0/16"])])


def test_staged_rotation_add_new_then_switch():
    rotating = [{"name": "alice", "public_key": key(7), "next_public_key": key(8)}]
    added = {e["name"]: e for e in plan(peers=rotating, psk_dir="/etc/wireguard/psk")["hub"]["peers"]}
    assert added["alice"]["public_key"] == key(7) and added["alice"]["allowed_ips"] == ["10.66.0.2/32"]
    assert added["alice~new"]["public_key"] == key(8) and added["alice~new"]["allowed_ips"] == []
    switched = {
        e["name"]: e for e in plan(peers=rotating, psk_dir="/etc/wireguard/psk", switch=True)["hub"]["peers"]
    }
    assert switched["alice"]["public_key"] == key(8) and switched["alice"]["allowed_ips"] == ["10.66.0.2/32"]
    assert switched["alice~old"]["public_key"] == key(7) and switched["alice~old"]["allowed_ips"] == []
    assert switched["alice"]["preshared_key_path"] == "/etc/wireguard/psk/alice.psk"
