# SPDX-License-Identifier: GPL-3.0-or-later
"""The credential probe against a small real BusyBox-style telnet server: which defaults are
tried and in what order, what a refusal decides, and the lockout read after a login works."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess, checks
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device
from servers import TelnetState, start_telnet

# a Mirai-era Dahua OEM camera (BusyBox telnet, three Mirai root pairs), here with the
# product-data lockout of the genuine Dahua firmware, which the shell cannot read
DAHUA = {
    "ansible_host": "127.0.0.1",
    "iot_class": "camera",
    "iot_fingerprint_id": "dahua.oem_camera",
    "iot_driver": "telnet_busybox",
    "iot_open_ports": [23, 80],
    "iot_services": {"23/tcp": {"protocol": "telnet"}, "80/tcp": {"protocol": "http", "server": "Webs"}},
    "iot_lockout": {"supported": True, "threshold": 5, "note": "account locked 30 min after 5 failures"},
}
# a box discovery could not identify, telnet open
UNKNOWN = {
    "ansible_host": "127.0.0.1",
    "iot_class": "embedded_linux",
    "iot_open_ports": [23],
    "iot_services": {"23/tcp": {"protocol": "telnet"}},
}


@pytest.fixture
def telnet():
    servers = []

    def start(state):
        srv, port = start_telnet(state)
        servers.append(srv)
        return port, lambda hostvars, device=None: (
            "telnet_busybox",
            lambda host, timeout: get_driver("telnet_busybox", host, port=port, timeout=5),
        )

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _assess(hostvars, started):
    """Assess ``hostvars`` with its telnet service on the test server's port."""
    port, factory = started
    hostvars = dict(hostvars, iot_open_ports=[port], iot_services={"%d/tcp" % port: {"protocol": "telnet"}})
    res = assess.assess_device(
        "dev", hostvars, assess.Options(probes=("credentials",)), driver_factory=factory
    )
    return res, {f["rule"]: f for f in res["findings"]}


def test_a_shell_standing_in_tries_its_own_defaults_first(telnet):
    state = TelnetState(user="root", password="vizxv")
    res, found = _assess(DAHUA, telnet(state))
    # the Mirai telnet pair first (the web defaults would spend the lockout budget for
    # nothing), then the same credential once more to read the lockout and once to list the
    # accounts: the shell lists root alone, so no other account's default is guessed
    assert state.logins == [("root", "vizxv")] * 3
    assert "Mirai" in found["IOTG-DEFAULT-CREDS"]["evidence"]
    # BusyBox login without PAM cannot lock an account: decided from the device, not the sheet
    assert "BusyBox login without PAM" in found["IOTG-NO-LOCKOUT"]["evidence"]
    assert res["unknown"] == []
    assert "vizxv" not in repr(res)


def test_a_pam_build_leaves_lockout_undecided(telnet):
    state = TelnetState(user="root", password="vizxv", pam=True)
    res, found = _assess(DAHUA, telnet(state))
    assert "IOTG-DEFAULT-CREDS" in found and "IOTG-NO-LOCKOUT" not in found
    assert res["unknown"] == ["IOTG-NO-LOCKOUT"]


def test_budget_below_the_threshold_is_kept(telnet):
    state = TelnetState(user="root", password="not-a-default")
    strict = dict(DAHUA, iot_lockout={"supported": True, "threshold": 4})
    res, found = _assess(strict, telnet(state))
    # threshold 4: at most 4 - 1 - 1 (the rightful user's) = 2 failures of ours
    assert res["observations"]["credentials"]["budget"]["lockout_source"] == "product data (fallback)"
    assert len(state.logins) == 2 and state.logins[0] == ("root", "vizxv")
    assert "IOTG-DEFAULT-CREDS" not in found
    assert "IOTG-DEFAULT-CREDS" in res["unknown"]  # the third default was never tried
    assert any("not tried to stay below the lockout threshold" in n for n in res["notes"])


def test_unidentified_device_gets_one_common_guess(telnet):
    state = TelnetState(user="admin", password="admin")
    res, found = _assess(UNKNOWN, telnet(state))
    # unknown lockout: one attempt, the most common pair (then the lockout read, which says
    # BusyBox login has none, and, the device being unidentified, one more login with it to
    # ask what it is, one to list its accounts: admin alone, so nothing else is guessed)
    assert state.logins == [("admin", "admin")] * 4
    assert "common IoT default" in found["IOTG-DEFAULT-CREDS"]["evidence"]
    assert "IOTG-NO-LOCKOUT" in found and res["unknown"] == []
    # what the box said once logged in, instead of "unknown"
    dev = res["device"]
    assert dev["vendor"] == "Linux" and dev["os"] == "OpenWrt 19.07.7"
    said = dev["shell_identity"]
    assert said["busybox"] == "1.19.4" and said["kernel"] == "Linux 4.14.221 mips"
    assert "admin" not in repr(dev["shell_identity"])


def test_a_refused_guess_proves_nothing(telnet):
    state = TelnetState(user="admin", password="Site-Own-Password")
    res, found = _assess(UNKNOWN, telnet(state))
    assert state.logins == [("admin", "admin")]
    assert "IOTG-DEFAULT-CREDS" not in found
    # nobody published this box's default: refusing a guess is not "no default credential"
    assert set(res["unknown"]) == {"IOTG-DEFAULT-CREDS", "IOTG-NO-LOCKOUT"}


def test_common_defaults_only_where_the_product_documents_none():
    assert Device("dahua", DAHUA).default_credentials[0]["documented"] is True
    guesses = Device("unknown", UNKNOWN).default_credentials
    assert guesses and all(not c["documented"] for c in guesses)
    assert (guesses[0]["username"], guesses[0]["password"]) == ("admin", "admin")
    pairs = [(c["username"], c["password"]) for c in fingerprints.COMMON_DEFAULTS]
    assert len(pairs) == len(set(pairs)) and set(fingerprints.MIRAI_CREDENTIALS) <= set(pairs)


def test_unknown_rules_treat_guesses_as_undecided():
    device = Device("unknown", UNKNOWN)
    guessed = {"credentials": {"accepted": None, "tried": 1, "skipped": 0, "guessed_only": True}}
    documented = {"credentials": {"accepted": None, "tried": 1, "skipped": 0, "guessed_only": False}}
    assert "IOTG-DEFAULT-CREDS" in checks.unknown_rules(device, guessed, {})
    assert "IOTG-DEFAULT-CREDS" not in checks.unknown_rules(device, documented, {})


def test_the_engineers_credential_comes_before_a_guess(telnet):
    # an unidentified box whose factory password the engineer knows (from its label): with
    # an unknown lockout the one attempt goes to that, not to a common guess
    state = TelnetState(user="root", password="Label-Pw-4711")
    port, factory = telnet(state)
    hostvars = dict(UNKNOWN, iot_open_ports=[port], iot_services={"%d/tcp" % port: {"protocol": "telnet"}})
    opts = assess.Options(
        probes=("credentials",), credentials=[{"username": "root", "password": "Label-Pw-4711"}]
    )
    res = assess.assess_device("dev", hostvars, opts, driver_factory=factory)
    assert state.logins[0] == ("root", "Label-Pw-4711")
    assert res["observations"]["credentials"]["accepted"]["source"] == "supplied"
    assert res["device"]["shell_identity"]["os"] == "OpenWrt 19.07.7"
    assert "Label-Pw-4711" not in repr(res)
