# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import copy
import json

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError, model, render
from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import apply as fw

WG = {
    "zones": [
        {
            "name": "wg_pool",
            "networks": ["10.66.0.0/24"],
            "interface": "wg0",
            "management": True,
            "tunnel": True,
        },
        {"name": "mgmt", "networks": ["10.89.141.0/24", "fd00:141::/64"]},
        {"name": "vlan", "networks": ["10.201.1.0/24"], "interface": "eth2", "management": True},
    ],
    "flows": [
        {
            "from": "wg_pool",
            "to": "gateway",
            "proto": "tcp",
            "ports": [8181],
            "per_source_connections": 8,
            "comment": "TOTP",
        },
        {"from": "wg_pool", "to": "mgmt", "proto": "any", "ports": [], "session_set": "wg_authed"},
        {"from": "vlan", "to": "mgmt", "proto": "tcp", "ports": [22, 443]},
        {"from": "any", "to": "gateway", "proto": "udp", "ports": [51820]},
    ],
    "sets": [{"name": "wg_authed", "family": "ipv4", "timeout": True}],
}
SEG = {
    "zones": [{"name": "cameras", "networks": ["10.20.30.0/24"], "interface": "br0.30"}],
    "flows": [{"from": "cameras", "to": "mgmt", "proto": "tcp", "ports": [554]}],
    "rate_limits": [
        {"to": ["10.20.30.17/32", "cameras"], "ports": [80, 443], "per_source": "6/minute", "burst": 3}
    ],
}


def bad(path, value):
    """WG with one value replaced: path like "flows.1.ports"."""
    data = copy.deepcopy(WG)
    keys = path.split(".")
    target = data
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (bad("flows.1.to", "cameras"), "wireguard.flows[1].to", "no zone of any contribution"),
        (bad("flows.2.from", "nvrs"), "wireguard.flows[2].from", "no zone of any contribution"),
        (bad("flows.2.ports", [22, 70000]), "wireguard.flows[2].ports[1]", "is not a port"),
        (bad("flows.2.ports", ["ssh"]), "wireguard.flows[2].ports[0]", "is not a port"),
        (bad("flows.2.proto", "sctp"), "wireguard.flows[2].proto", "is not a protocol"),
        (bad("flows.1.proto", "icmp") | {}, None, None),
        (bad("zones.1.name", "Mgmt"), "wireguard.zones[1].name", "is not a valid zone name"),
        (bad("zones.1.name", "any"), "wireguard.zones[1].name", "is reserved"),
        (
            bad("zones.2.networks", ["10.89.141.128/25"]),
            "wireguard.zones[2].networks[0]",
            "overlaps 10.89.141.0/24",
        ),
        (
            bad("zones.1.networks", ["10.89.141.1/24"]),
            "wireguard.zones[1].networks[0]",
            "write 10.89.141.0/24",
        ),
        (bad("zones.0.interface", "wg0; drop"), "wireguard.zones[0].interface", "is not an interface name"),
        (bad("flows.2.to", "wg_pool"), "wireguard.flows[2].to", "is a tunnel zone"),
        (bad("flows.1.session_set", "nope"), "wireguard.flows[1].session_set", "is no set"),
        (bad("flows.2.comment", 'x" accept'), "wireguard.flows[2].comment", "characters"),
        (bad("sets.0.family", "ip4"), "wireguard.sets[0].family", "is not an address family"),
        (bad("sets.0.name", "z_sneaky"), "wireguard.sets[0].name", "prefix"),
        (bad("flows.2.per_source_connections", 4), None, None),
        (
            bad("flows.3.per_source_connections", 4),
            "wireguard.flows[3].per_source_connections",
            "needs proto tcp",
        ),
    ],
)
def test_bad_contribution_names_the_field(data, field, words):
    if field is None:  # valid variants
        model.merge({"wireguard": data})
        return
    with pytest.raises(FirewallError) as err:
        model.merge({"wireguard": data})
    assert err.value.field == field
    assert words in str(err.value)


def test_bad_contribution_name():
    with pytest.raises(FirewallError, match="contribution name"):
        model.validate("../etc", {})


def test_unknown_key_is_refused():
    with pytest.raises(FirewallError) as err:
        model.validate("wireguard", {"zones": [{"name": "a", "networks": ["10.0.0.0/8"], "vlan": 3}]})
    assert err.value.field == "wireguard.zones[0].vlan"


def test_zone_owned_twice_names_both():
    with pytest.raises(FirewallError) as err:
        model.merge(
            {"wireguard": WG, "segmentation": {"zones": [{"name": "mgmt", "networks": ["10.99.0.0/24"]}]}}
        )
    assert err.value.field == "wireguard.zones[1].name" and "segmentation.zones[0]" in str(err.value)


def test_overlap_across_contributions():
    with pytest.raises(FirewallError, match=r"overlaps 10\.66\.0\.128/25 of zone ovpn"):
        model.merge(
            {"wireguard": WG, "openvpn": {"zones": [{"name": "ovpn", "networks": ["10.66.0.128/25"]}]}}
        )


def test_flow_between_families_with_nothing_in_common():
    data = {"zones": [{"name": "a", "networks": ["10.0.0.0/24"]}, {"name": "b", "networks": ["fd00::/64"]}]}
    data["flows"] = [{"from": "a", "to": "b", "proto": "tcp", "ports": [22]}]
    with pytest.raises(FirewallError) as err:
        render.render(model.merge({"x": data}))
    assert err.value.field == "x.flows[0]"


def rules():
    return render.chains(model.merge({"wireguard": WG, "segmentation": SEG}))


def test_default_deny_and_order():
    text = render.render(model.merge({"wireguard": WG}))
    assert "type filter hook input priority filter; policy drop;" in text
    assert "type filter hook forward priority filter; policy drop;" in text
    assert "delete table" not in text
    fwd = rules()["forward"]
    assert fwd[0] == "ct state established,related accept"
    drop = next(i for i, r in enumerate(fwd) if r.startswith('oifname { "wg0" } drop'))
    first_accept = next(i for i, r in enumerate(fwd) if r.endswith("accept") and "ct state" not in r)
    assert drop < first_accept, "zone -> tunnel drop must come before every flow"


def test_tunnel_reaches_only_what_names_it():
    inp = rules()["input"]
    # the WAN flow (from any) excludes the tunnel; the authenticator is capped per source
    assert 'iifname != { "wg0" } meta l4proto udp' not in " ".join(inp)
    assert any(r.startswith('iifname != { "wg0" } udp dport { 51820 } accept') for r in inp), inp
    cap = [r for r in inp if "ct count over 8" in r]
    assert cap and cap[0].startswith('iifname "wg0" ip saddr @z_wg_pool_4 tcp dport { 8181 }')
    assert not any("tcp dport { 22" in r for r in inp)


def test_session_flow_needs_the_set_and_ipv4_only():
    fwd = rules()["forward"]
    session = [r for r in fwd if "@wg_authed" in r]
    assert session == ['iifname "wg0" ip saddr @z_wg_pool_4 ip saddr @wg_authed ip daddr @z_mgmt_4 accept']


def test_interface_tied_zones_and_reverse_path():
    pre = rules()["prerouting"]
    assert any(r.startswith("fib saddr . iif oif missing drop") for r in pre)
    assert 'ip saddr @z_vlan_4 iifname != "eth2" drop comment "zone vlan only from its interface"' in pre
    assert pre[-1] == "meta mark set meta mark | 0x00001000"
    fwd = rules()["forward"]
    assert 'iifname "eth2" ip saddr @z_vlan_4 ip daddr @z_mgmt_4 tcp dport { 22, 443 } accept' in fwd
    assert not any("ip6 saddr @z_vlan" in r for r in fwd), "vlan has no IPv6 network"


def test_rate_limits_per_source():
    fwd = rules()["forward"]
    rl = [r for r in fwd if "limit rate over" in r]
    assert len(rl) == 2 and all("6/minute burst 3 packets" in r and "th dport { 80, 443 }" in r for r in rl)


def test_render_is_deterministic_and_keeps_session_sets():
    a = render.render(model.merge({"wireguard": WG, "segmentation": SEG}))
    b = render.render(model.merge({"segmentation": SEG, "wireguard": WG}))
    assert a == b
    assert "flush set inet iotguard wg_authed" not in a
    assert "flush set inet iotguard z_mgmt_4" in a


def test_prelude_keeps_matching_session_sets_only():
    policy = model.merge({"wireguard": WG})
    live = {
        "wg_authed": {"type": "ipv4_addr", "flags": ["timeout"]},
        "z_mgmt_4": {"type": "ipv4_addr", "flags": ["interval"]},
        "old_sessions": {"type": "ipv4_addr", "flags": ["timeout"]},
    }
    text = render.prelude(live, policy)
    assert "delete set inet iotguard z_mgmt_4" in text and "delete set inet iotguard old_sessions" in text
    assert "wg_authed" not in text
    live["wg_authed"]["flags"] = []
    assert "delete set inet iotguard wg_authed" in render.prelude(live, policy)
    assert render.prelude(None, policy) == ""


class FakeNet:
    """nft and ip as the gateway would answer: records commands, keeps a table and rules."""

    def __init__(self):
        self.calls = []
        self.table = None
        self.rules = {"-4": [], "-6": []}

    def __call__(self, argv, data=None):
        self.calls.append(argv)
        if argv[:3] == ["nft", "-j", "list"]:
            return (0, json.dumps({"nftables": []}), "") if self.table else (1, "", "No such file")
        if argv[:2] == ["nft", "-c"]:
            return 0, "", ""
        if argv[:2] == ["nft", "-f"]:
            self.table = argv[2]
            return 0, "", ""
        if argv[:2] == ["ip", "-j"]:
            return 0, json.dumps(self.rules[argv[2]]), ""
        if argv[0] == "ip" and argv[3] == "add":
            tail = argv[4:]
            r = {"priority": int(tail[1])}
            if "to" in tail:
                net = tail[tail.index("to") + 1]
                r["dst"], r["dstlen"] = net.split("/")[0], int(net.split("/")[1])
                if r["dstlen"] == (128 if ":" in net else 32):
                    del r["dstlen"]  # as iproute2 prints a host
            self.rules[argv[1]].append(r)
            return 0, "", ""
        if argv[0] == "ip" and argv[3] == "del":
            self.rules[argv[1]] = self.rules[argv[1]][:-1]
            return 0, "", ""
        raise AssertionError(argv)


def test_apply_confirm_and_second_run_unchanged(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(fw, "start_timer", lambda paths, s: started.append(s))
    monkeypatch.setattr(fw, "timer_pid", lambda paths: 4242 if started and not stopped else None)
    stopped = []
    monkeypatch.setattr(fw, "stop_timer", lambda paths: stopped.append(True))
    net = FakeNet()
    paths = fw.Paths(str(tmp_path), pid_file=str(tmp_path / "pid"))
    res = fw.apply(net, paths, {"wireguard": WG}, 30)
    assert res["changed"] and res["pending"] and started == [30]
    assert "delete table inet iotguard" in (tmp_path / "rollback.nft").read_text(), (
        "first apply reverts to no table"
    )
    assert not (tmp_path / "gateway.nft").exists(), "nothing is confirmed before confirm"
    # forwarding to every zone network needs the table's mark
    dsts = sorted("%s/%s" % (r["dst"], r.get("dstlen", 32)) for r in net.rules["-4"] if "dst" in r)
    assert dsts == ["10.201.1.0/24", "10.66.0.0/24", "10.89.141.0/24"]
    assert fw.confirm(paths)["confirmed"]
    assert (tmp_path / "firewall.d/wireguard.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "gateway.nft").read_text().startswith("# iotguard gateway firewall")
    again = fw.apply(net, paths, {"wireguard": WG}, 30)
    assert not again["changed"]
    # a second role's contribution renders together with the stored one
    res = fw.apply(net, paths, {"segmentation": SEG}, 30)
    assert res["changed"] and "@z_cameras_4" in res["after"] and "@wg_authed" in res["after"]
    back = (tmp_path / "rollback.nft").read_text()
    assert "delete set inet iotguard z_cameras_4" in back and "wg_authed" not in back.split("# iotguard")[0]


def test_failed_check_loads_nothing(tmp_path, monkeypatch):
    net = FakeNet()
    orig = net.__call__

    def refusing(argv, data=None):
        if argv[:2] == ["nft", "-c"]:
            return 1, "", "Error: syntax error"
        return orig(argv, data)

    monkeypatch.setattr(fw, "start_timer", lambda paths, s: pytest.fail("no timer for a refused table"))
    with pytest.raises(FirewallError, match="refused by nft -c"):
        fw.apply(refusing, fw.Paths(str(tmp_path), pid_file=str(tmp_path / "pid")), {"wireguard": WG}, 30)
    assert net.table is None


def test_host_zone_second_apply_unchanged(tmp_path, monkeypatch):
    """A zone of one address (a PACS as a /32): iproute2 shows its guard rule without a
    prefix length, which is the same rule, not a change."""
    started, stopped = [], []
    monkeypatch.setattr(fw, "start_timer", lambda paths, s: started.append(s))
    monkeypatch.setattr(fw, "timer_pid", lambda paths: 4242 if started and not stopped else None)
    monkeypatch.setattr(fw, "stop_timer", lambda paths: stopped.append(True))
    net = FakeNet()
    paths = fw.Paths(str(tmp_path), pid_file=str(tmp_path / "pid"))
    pacs = {"zones": [{"name": "pacs", "networks": ["10.50.0.10/32"]}], "flows": []}
    assert fw.apply(net, paths, {"segmentation": pacs}, 30)["changed"]
    assert {"priority": 9000, "dst": "10.50.0.10"} in net.rules["-4"]
    assert fw.confirm(paths)["confirmed"]
    assert not fw.apply(net, paths, {"segmentation": pacs}, 30)["changed"]


def test_drops_and_caps_count_under_their_field():
    fwd = rules()["forward"]
    rl = [r for r in fwd if "limit rate over" in r]
    assert all('counter drop comment "rate limit segmentation.rate_limits[0]"' in r for r in rl), rl
    cap = [r for r in rules()["input"] if "ct count over" in r]
    assert cap and all(
        r.endswith('counter reject with tcp reset comment "connection cap wireguard.flows[0]"') for r in cap
    )


ADMIN = {"flows": [{"from": "any", "to": "gateway", "proto": "tcp", "ports": [22], "comment": "sshd"}]}


def test_failsafe_forwards_nothing_and_keeps_only_the_administration():
    text = render.failsafe(model.merge({"wireguard": WG, "segmentation": SEG, "gateway": ADMIN}))
    assert text.startswith(render.FAILSAFE_HEADER)
    body = text.split("delete table inet iotguard\n", 1)[1]
    assert "type filter hook input priority filter; policy drop;" in body
    forward = body.split("chain forward {", 1)[1].split("}", 1)[0]
    assert forward.split() == "type filter hook forward priority filter; policy drop;".split()
    assert "prerouting" not in body, "no mark: the routing guard keeps the zones closed"
    inp = body.split("chain input {", 1)[1]
    assert 'iifname != { "wg0" } tcp dport { 22 } accept comment "sshd"' in inp
    assert "51820" not in inp and "8181" not in inp, "only the gateway contribution's flows"
    assert " accept" not in text.split("chain forward", 1)[1]


def test_failsafe_without_administration_flows_answers_nothing_from_outside():
    inp = render.failsafe(model.merge({"wireguard": WG})).split("chain input {", 1)[1]
    accepts = [line.strip() for line in inp.splitlines() if line.strip().endswith("accept")]
    assert accepts[0] == 'iifname "lo" accept' and all("dport" not in a for a in accepts), accepts


def test_confirm_keeps_the_failsafe_and_an_older_gateway_gets_one_without_a_reload(tmp_path, monkeypatch):
    started, stopped = [], []
    monkeypatch.setattr(fw, "start_timer", lambda paths, s: started.append(s))
    monkeypatch.setattr(fw, "timer_pid", lambda paths: 4242 if len(started) > len(stopped) else None)
    monkeypatch.setattr(fw, "stop_timer", lambda paths: stopped.append(True))
    net = FakeNet()
    paths = fw.Paths(str(tmp_path), pid_file=str(tmp_path / "pid"))
    fw.apply(net, paths, {"gateway": ADMIN, "wireguard": WG}, 30)
    assert not (tmp_path / "gateway.failsafe.nft").exists(), "only a confirmed policy has a failsafe"
    fw.confirm(paths)
    failsafe = tmp_path / "gateway.failsafe.nft"
    assert failsafe.read_text().startswith(render.FAILSAFE_HEADER)
    assert failsafe.stat().st_mode & 0o777 == 0o600
    failsafe.unlink()
    loads = len([c for c in net.calls if c[:2] == ["nft", "-f"]])
    assert fw.apply(net, paths, {"wireguard": WG}, 30, check=True)["changed"]
    assert not failsafe.exists(), "check mode writes nothing"
    res = fw.apply(net, paths, {"wireguard": WG}, 30)
    assert res["changed"] and not res["pending"] and failsafe.exists()
    assert len([c for c in net.calls if c[:2] == ["nft", "-f"]]) == loads, "no reload for the failsafe alone"
    assert not fw.apply(net, paths, {"wireguard": WG}, 30)["changed"]


# segmentation's flows from the VPN's pool, on a gateway where the VPN role has not run yet
SEG_VPN = {
    "zones": [{"name": "cameras", "networks": ["10.20.30.0/24"], "interface": "br0.30"}],
    "flows": [
        {"from": "cameras", "to": "gateway", "proto": "udp", "ports": [123]},
        {"from": "wg_pool", "to": "cameras", "proto": "tcp", "ports": [443], "session_set": "wg_authed"},
    ],
    "awaits": ["wg_pool", "wg_authed"],
}


def test_a_flow_naming_an_awaited_zone_waits_until_its_owner_stored_it(tmp_path, monkeypatch):
    alone = model.merge({"segmentation": SEG_VPN})
    assert alone["waiting"] == [{"field": "segmentation.flows[1]", "awaits": ["wg_authed", "wg_pool"]}]
    assert [f["field"] for f in alone["flows"]] == ["segmentation.flows[0]"]
    assert "wg_authed" not in render.render(alone) and "z_wg_pool" not in render.render(alone)
    # applied on a new gateway: loaded without the waiting flow, which the result names
    timer = []
    monkeypatch.setattr(fw, "start_timer", lambda paths, s: timer.append(s))
    monkeypatch.setattr(fw, "timer_pid", lambda paths: 4242 if timer else None)
    monkeypatch.setattr(fw, "stop_timer", lambda paths: timer.clear())
    net = FakeNet()
    paths = fw.Paths(str(tmp_path), pid_file=str(tmp_path / "pid"))
    res = fw.apply(net, paths, {"segmentation": SEG_VPN}, 30)
    assert res["pending"] and res["waiting"] == alone["waiting"]
    assert fw.waiting_warnings(res["waiting"] * 2) == [
        "2 flow(s) of segmentation wait for wg_authed, wg_pool, which no contribution declares yet: they "
        "are not in the table until the role that owns them (the VPN role) has run on this gateway "
        "(flows[1], flows[1])"
    ]
    assert fw.confirm(paths)["confirmed"]
    # the VPN role's run stores the pool and the set: segmentation's stored flow takes effect
    res = fw.apply(net, paths, {"wireguard": WG}, 30)
    assert res["waiting"] == []
    assert (
        'iifname "wg0" ip saddr @z_wg_pool_4 ip saddr @wg_authed ip daddr @z_cameras_4 '
        "tcp dport { 443 } accept" in res["after"]
    ), res["after"]


@pytest.mark.parametrize(
    ("awaits", "field", "words"),
    [
        ([], "segmentation.flows[1].from", "is no zone of any contribution"),  # not awaited: a typo
        (["wg_authed"], "segmentation.flows[1].from", "is no zone of any contribution"),
        (["cameras"], "segmentation.awaits[0]", "declared by this contribution itself"),
        (["any"], "segmentation.awaits[0]", "reserved"),
        (["Bad-Name"], "segmentation.awaits[0]", ""),
    ],
)
def test_only_what_a_contribution_awaits_may_wait(awaits, field, words):
    with pytest.raises(FirewallError) as err:
        model.merge({"segmentation": dict(SEG_VPN, awaits=awaits)})
    assert field in str(err.value) and words in str(err.value), str(err.value)
