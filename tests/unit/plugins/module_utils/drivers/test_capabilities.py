# SPDX-License-Identifier: GPL-3.0-or-later
"""Capability mixins, the one settings shape, the registry and the docs derived from the
classes, and the hardening core against an in-memory device built from the mixins."""

from __future__ import annotations

import re
import socket

import pytest
import yaml
from ansible_collections.iotguard.hardening.plugins.module_utils import hardening
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import (
    ALIASES,
    DRIVERS,
    driver_capabilities,
    get_driver,
    get_driver_class,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import capabilities as caps
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import HttpApiDriver
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import BaseDriver, Unreachable
from ansible_collections.iotguard.hardening.plugins.modules import device_settings, rotate_credential


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_registry_is_derived_from_the_classes():
    assert "http_auth" not in DRIVERS  # a base, not an entry
    for name, cls in DRIVERS.items():
        assert cls.name == name and issubclass(cls, BaseDriver)
    assert ALIASES["thermostat_api"] == "venstar_local"
    assert get_driver_class("netmiko:cisco_ios").name == "cisco_ios"
    got = driver_capabilities()
    assert got["hikvision_isapi"] == [
        "password",
        "lockout_read",
        "lockout_set",
        "services",
        "initial_password",
    ]
    assert got["router_http"] == ["password", "services", "port_mappings"]
    # the Venstar Local API has no lockout or MQTT setting: the driver claims none
    assert got["venstar_local"] == ["password"]
    assert got["polycom_rest"] == ["password", "lockout_read", "lockout_set"]
    assert ALIASES["phone_http"] == "yealink_http" and "polycom_rest" in DRIVERS
    assert got["hp_ews"] == ["password", "snmp_community"]
    assert got["cisco_ios"] == ["password"]


def test_http_base_lives_in_the_http_helper():
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import cameras

    assert HttpApiDriver.__module__.endswith("drivers._http")
    assert cameras.HikvisionIsapiDriver.__mro__.index(HttpApiDriver) > 0


def _doc_drivers(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    text = doc["options"]["driver"]["description"][0]  # the first line lists the drivers
    return set(re.findall(r"C\(([a-z_]+)\)", text))


@pytest.mark.parametrize("module", [device_settings, rotate_credential])
def test_module_docs_list_exactly_the_registered_drivers(module):
    assert _doc_drivers(module) == set(DRIVERS), "regenerate the driver list: %s" % sorted(DRIVERS)


def test_device_settings_docs_name_each_drivers_capabilities():
    doc = yaml.safe_load(device_settings.DOCUMENTATION)
    text = " ".join(doc["options"]["driver"]["description"])
    for name, found in driver_capabilities().items():
        assert "C(%s) (%s)" % (name, ", ".join(found)) in text


def test_lockout_range_names_field_value_and_range():
    rng = caps.LockoutRange((3, 20), (60, 3600))
    rng.check(5, 600)
    with pytest.raises(caps.SettingRejected, match=r"lockout\.threshold=0 .*3\.\.20 failed logins"):
        rng.check(0, 600)
    with pytest.raises(caps.SettingRejected, match=r"lockout\.duration=5 .*60\.\.3600 seconds"):
        rng.check(5, 5)
    with pytest.raises(caps.SettingRejected, match="threshold"):
        rng.check(True, None)


@pytest.mark.parametrize(
    ("driver", "call"),
    [
        ("hikvision_isapi", lambda d: d.set_lockout("admin", "x", {"enabled": True, "threshold": 21})),
        ("hikvision_isapi", lambda d: d.set_lockout("admin", "x", {"enabled": True, "duration": 30})),
        ("hikvision_isapi", lambda d: d.set_service("admin", "x", "ftp", False)),
        # UC Software takes 60-300 s for httpd.cfg.lockWebUI.lockOutDuration
        ("polycom_rest", lambda d: d.set_lockout("Polycom", "x", {"enabled": True, "duration": 600})),
        ("router_http", lambda d: d.set_service("admin", "x", "telnet", False)),
    ],
)
def test_bad_values_are_refused_before_anything_is_sent(driver, call):
    # the port is closed: had the driver sent anything, it would raise Unreachable
    d = get_driver(driver, "127.0.0.1", port=closed_port(), timeout=1)
    with pytest.raises(caps.SettingRejected):
        call(d)


def test_a_reachable_change_does_contact_the_device():
    d = get_driver("hikvision_isapi", "127.0.0.1", port=closed_port(), timeout=1)
    with pytest.raises(Unreachable):
        d.set_lockout("admin", "x", {"enabled": True, "threshold": 5, "duration": 600})


class FakeDevice(caps.LockoutSet, caps.ServiceSwitch, caps.SnmpCommunitySet, caps.MqttAuthSet, BaseDriver):
    """In-memory device state behind the capability interface (the hardening core's logic)."""

    name = "fake"
    abstract = True
    lockout_range = caps.LockoutRange((3, 10), (60, 3600))
    switchable_services = ("telnet",)

    def __init__(self, host="h", **kw):
        super().__init__(host, port=1, **kw)
        self.state = {"lockout": [False, 5, 300], "telnet": True, "community": "public", "mqtt": False}
        self.writes = 0
        self.lie = False

    def login(self, username, password):
        return password == "pw"

    def change_password(self, username, old_password, new_password):
        raise NotImplementedError

    def lockout_policy(self, username, password):
        en, th, du = self.state["lockout"]
        return {"enabled": en, "threshold": th, "duration": du, "evidence": "fake"}

    def _write_lockout(self, username, password, lockout):
        self.writes += 1
        if not self.lie:
            self.state["lockout"] = [lockout["enabled"], lockout["threshold"], lockout["duration"]]

    def read_services(self, username, password):
        return {"telnet": self.state["telnet"]}

    def _write_service(self, username, password, service, enabled):
        self.writes += 1
        self.state["telnet"] = enabled

    def read_snmp_community(self, username, password):
        return "default" if self.state["community"] in self.default_communities else "custom"

    def set_snmp_community(self, username, password, community):
        self.writes += 1
        self.state["community"] = community

    def read_mqtt_auth(self, username, password):
        return self.state["mqtt"]

    def set_mqtt_auth(self, username, password, required):
        self.writes += 1
        self.state["mqtt"] = required


def test_one_settings_shape():
    got = FakeDevice().read_settings("admin", "pw")
    assert set(got) == set(caps.empty_settings())
    assert got["lockout"] == {"enabled": False, "threshold": 5, "duration": 300}
    assert got["services"] == {"telnet": True}
    assert got["snmp_community"] == "default"
    assert got["port_mappings"] is None


POLICY = {
    "lockout": {"threshold": 5, "duration": 600},
    "services_disabled": ["telnet", "ftp"],
    "snmp_community": "generate",
    "mqtt_auth": True,
    "remove_port_mappings": True,
}


class MemStore:
    def __init__(self):
        self.current, self.pending = {}, {}

    def set_pending(self, host, user, pw):
        self.pending[(host, user)] = pw

    def set_current(self, host, user, pw, source):
        self.current[(host, user)] = pw
        self.pending.pop((host, user), None)


def test_hardening_applies_reads_back_and_is_idempotent():
    dev, store = FakeDevice(), MemStore()
    check = hardening.DeviceHardening("h", dev, "admin", "pw", POLICY, store=store, check_mode=True).run()
    assert check["status"] == "would_change" and dev.writes == 0
    assert {c["field"] for c in check["changes"]} == {
        "lockout",
        "services.telnet",
        "snmp_community",
        "mqtt_auth",
    }
    out = hardening.DeviceHardening("h", dev, "admin", "pw", POLICY, store=store, open_ports=[21, 80]).run()
    assert out["status"] == "changed", out
    assert out["settings"]["lockout"] == {"enabled": True, "threshold": 5, "duration": 600}
    assert out["settings"]["services"] == {"telnet": False}
    # ftp is open but this driver cannot switch it: said, with the reason
    assert out["not_done"] == [
        {"field": "services.ftp", "reason": "driver fake cannot switch ftp (it switches: telnet)"}
    ]
    community = store.current[("h", hardening.SNMP_ACCOUNT)]
    assert dev.state["community"] == community and len(community) == hardening.COMMUNITY_LENGTH
    assert community not in repr(out)  # never in the result
    writes = dev.writes
    again = hardening.DeviceHardening("h", dev, "admin", "pw", POLICY, store=store).run()
    assert again["status"] == "unchanged" and dev.writes == writes
    checked = hardening.DeviceHardening("h", dev, "admin", "pw", POLICY, check_mode=True).run()
    assert checked["status"] == "unchanged" and checked["changes"] == []


@pytest.mark.parametrize(
    ("policy", "field", "accepted"),
    [
        ({"lockout": {"threshold": 11, "duration": 600}}, "lockout.threshold=11", "3..10 failed logins"),
        ({"lockout": {"threshold": 5, "duration": 7200}}, "lockout.duration=7200", "60..3600 seconds"),
    ],
)
def test_out_of_range_fails_the_device_and_changes_nothing(policy, field, accepted):
    dev = FakeDevice(host="cam-1")
    policy = {**policy, "services_disabled": ["telnet"]}
    out = hardening.DeviceHardening("cam-1", dev, "admin", "pw", policy).run()
    assert out["status"] == "failed" and dev.writes == 0
    assert "cam-1" in out["reason"] and field in out["reason"] and accepted in out["reason"]
    assert dev.state["telnet"] is True


def test_a_service_the_driver_cannot_switch_is_an_error_when_asked_to_fail():
    dev = FakeDevice(host="cam-2")
    out = hardening.DeviceHardening(
        "cam-2", dev, "admin", "pw", {"services_disabled": ["ftp", "telnet"]}, unsupported="fail"
    ).run()
    assert out["status"] == "failed" and dev.writes == 0
    assert "services.ftp" in out["reason"] and "services telnet" in out["reason"]


def test_read_back_that_disagrees_fails():
    dev = FakeDevice()
    dev.lie = True
    out = hardening.DeviceHardening(
        "h", dev, "admin", "pw", {"lockout": {"threshold": 5, "duration": 600}}
    ).run()
    assert out["status"] == "failed" and "reads back otherwise" in out["reason"]


def test_a_device_that_cannot_lock_out_asks_for_compensation():
    class ReadOnly(caps.LockoutRead, BaseDriver):
        name = "ro"
        abstract = True

        def lockout_policy(self, username, password):
            return {"enabled": False, "threshold": None, "duration": None, "evidence": "x"}

    out = hardening.DeviceHardening(
        "h", ReadOnly("h", port=1), "a", "b", {"lockout": {"threshold": 5, "duration": 60}}
    ).run()
    assert out["status"] == "unchanged"
    assert out["compensate"] == ["no_lockout"]
    assert out["not_done"][0]["field"] == "lockout"
    # nothing was sent, but the summary must not say the device meets the policy
    assert "meets the policy" not in out["reason"] and "not met on lockout" in out["reason"], out["reason"]


@pytest.mark.parametrize(
    ("policy", "match"),
    [
        ({"lockout": {"threshold": 0, "duration": 60}}, r"lockout\.threshold=0 .*at least 1"),
        ({"lockout": {"threshold": 3}}, r"lockout\.duration=None"),
        ({"services_disabled": ["smb"]}, r"'smb'.*telnet, ftp, ssh, upnp"),
        ({"snmp_community": "public"}, r"snmp_community=.*generate"),
        ({"lockdown": True}, r"lockdown is unknown"),
    ],
)
def test_policy_errors_name_the_field(policy, match):
    with pytest.raises(hardening.PolicyError, match=match):
        hardening.normalise_policy(policy)


def test_policy_error_never_echoes_a_community():
    with pytest.raises(hardening.PolicyError) as err:
        hardening.normalise_policy({"snmp_community": "s3cret-community"})
    assert "s3cret" not in str(err.value)


def test_a_device_that_cannot_lock_out_gets_a_rate_limit_for_the_gateway():
    class NoLock(BaseDriver):
        name = "nolock"
        abstract = True

    out = hardening.DeviceHardening(
        "dvr",
        NoLock("10.20.30.17", port=23),
        "root",
        "pw",
        {"lockout": {"threshold": 5, "duration": 60}},
        open_ports=[23, 80, 554],
        rate_limit=("6/minute", 3),
    ).run()
    assert out["compensate"] == ["no_lockout"]
    assert out["compensating_control"] == {
        "to": ["10.20.30.17/32"],
        "ports": [23, 80],
        "per_source": "6/minute",
        "burst": 3,
    }
    assert out["compensated_by"].startswith("rate limit of 6/minute new connections per source")
    v6 = hardening.rate_limit_for("fd00::5", [], "10/hour", 1)
    assert v6["to"] == ["fd00::5/128"] and v6["ports"] == list(hardening.MANAGEMENT_PORTS)
    # a device that locks out needs none
    ok = hardening.DeviceHardening(
        "cam",
        FakeDevice(),
        "a",
        "pw",
        {"lockout": {"threshold": 5, "duration": 60}},
        rate_limit=("6/minute", 3),
    ).run()
    assert ok["compensating_control"] is None


@pytest.mark.parametrize(
    ("rate", "burst"), [("6/min", 3), ("0/minute", 3), ("6/minute", 0), ("6/minute", True)]
)
def test_bad_rate_limits_are_refused(rate, burst):
    with pytest.raises(hardening.PolicyError):
        hardening.check_rate(rate, burst)


def test_the_rate_limit_is_a_contribution_the_gateway_firewall_takes():
    """The role hands ``{"rate_limits": [compensating_control, ...]}`` to gateway_firewall as
    the contribution ``hardening``: the firewall's own model accepts it and renders a limit
    for the device's address and management ports."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import model, render

    controls = [
        hardening.rate_limit_for("10.20.30.17", [23, 80], "6/minute", 3),
        hardening.rate_limit_for("10.20.30.18", [], "6/minute", 3),
    ]
    policy = model.merge({"hardening": {"rate_limits": controls}})
    assert [r["to"] for r in policy["rate_limits"]] == [["10.20.30.17/32"], ["10.20.30.18/32"]]
    text = render.render(policy)
    assert re.search(
        r"ip daddr \{ 10\.20\.30\.17/32 \} .*th dport \{ 23, 80 \} ct state new .*"
        r"limit rate over 6/minute burst 3 packets \} counter drop",
        text,
    ), text


def test_the_snmp_community_is_never_offered_as_a_login(tmp_path):
    from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import resolve
    from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import NOT_LOGINS

    assert hardening.SNMP_ACCOUNT in NOT_LOGINS
    store = MemStoreWithLoad()
    access = resolve(
        "prn", {"ansible_host": "127.0.0.1", "iot_driver": "hp_ews"}, store=store, ledger=str(tmp_path / "l")
    )
    assert access.stored_credentials() == [("admin", "pw")]


class MemStoreWithLoad:
    """Just enough of a credential store for the resolver."""

    def load(self, host):
        return {
            "accounts": {"admin": {"current": "pw"}, hardening.SNMP_ACCOUNT: {"current": "community-secret"}},
            "identity": None,
        }


# -- debian_shell: its work on a real device is the device_hardening Molecule scenario's --
def test_debian_shell_capabilities_and_aliases():
    got = driver_capabilities()
    assert got["debian_shell"] == [
        "password",
        "lockout_read",
        "lockout_set",
        "services",
        "snmp_community",
        "mqtt_auth",
    ]
    assert got["ssh_shell"] == ["password"]
    assert ALIASES["linux_ssh"] == "ssh_shell"  # the subclass does not take the generic alias


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (
            lambda d: d.set_lockout("admin", "x", {"enabled": True, "threshold": 0, "duration": 60}),
            "threshold=0",
        ),
        (
            lambda d: d.set_lockout("admin", "x", {"enabled": True, "threshold": 3, "duration": 0}),
            "duration=0",
        ),
        (lambda d: d.set_service("admin", "x", "ftp", False), "services.ftp"),
        (lambda d: d.set_snmp_community("admin", "x", "bad community;"), "snmp_community"),
    ],
)
def test_debian_shell_refuses_before_connecting(call, needle):
    # the port is closed: reaching the network would raise Unreachable, not SettingRejected
    driver = get_driver("debian_shell", "127.0.0.1", port=closed_port(), timeout=1)
    with pytest.raises(caps.SettingRejected, match=needle):
        call(driver)


def test_the_rate_limit_leaves_out_a_service_this_run_switched_off():
    """A camera without lockout, its telnet open: the run switches telnet off and asks the
    gateway for a rate limit. The limit must not name tcp/23 (read back off): the next run's
    discovery no longer sees it, and a limit that changed then would make the second run
    reload the gateway's table."""

    class NoLockSwitch(caps.LockoutRead, caps.ServiceSwitch, BaseDriver):
        name = "nolockswitch"
        abstract = True
        switchable_services = ("telnet",)

        def __init__(self, host):
            super().__init__(host, port=1)
            self.telnet = True

        def lockout_policy(self, username, password):
            return {"enabled": False, "threshold": None, "duration": None, "evidence": "x"}

        def read_services(self, username, password):
            return {"telnet": self.telnet}

        def _write_service(self, username, password, service, enabled):
            self.telnet = enabled

    dev = NoLockSwitch("10.20.30.17")
    policy = {"lockout": {"threshold": 5, "duration": 60}, "services_disabled": ["telnet"]}
    first = hardening.DeviceHardening(
        "cam", dev, "root", "pw", policy, open_ports=[23, 80], rate_limit=("6/minute", 3)
    ).run()
    assert first["status"] == "changed" and first["settings"]["services"] == {"telnet": False}
    assert first["compensating_control"]["ports"] == [80], first["compensating_control"]
    # the second run: discovery sees tcp/80 only
    second = hardening.DeviceHardening(
        "cam", dev, "root", "pw", policy, open_ports=[80], rate_limit=("6/minute", 3)
    ).run()
    assert second["status"] == "unchanged"
    assert second["compensating_control"] == first["compensating_control"]


def test_a_cleartext_service_the_driver_cannot_switch_off_asks_for_the_control_too():
    """FakeDevice locks out and switches telnet, not FTP: an open FTP it cannot switch off
    asks for the control (its port covered), telnet is switched off (no control for it), and
    a service discovery never saw open asks for nothing."""
    dev = FakeDevice(host="10.20.30.19")
    policy = {"lockout": {"threshold": 5, "duration": 600}, "services_disabled": ["telnet", "ftp"]}
    out = hardening.DeviceHardening(
        "nvr", dev, "admin", "pw", policy, open_ports=[21, 23, 80], rate_limit=("6/minute", 3)
    ).run()
    assert out["status"] == "changed" and dev.state["telnet"] is False
    assert out["compensate"] == ["cleartext_ftp"]
    assert [n["field"] for n in out["not_done"]] == ["services.ftp"]
    # telnet was switched off by this run: its port is not in the control
    assert out["compensating_control"]["ports"] == [21, 80]
    quiet = hardening.DeviceHardening(
        "nvr",
        FakeDevice(host="10.20.30.19"),
        "admin",
        "pw",
        policy,
        open_ports=[80],
        rate_limit=("6/minute", 3),
    ).run()
    assert quiet["compensate"] == [] and quiet["compensating_control"] is None
