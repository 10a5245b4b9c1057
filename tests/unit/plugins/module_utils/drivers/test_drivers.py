# SPDX-License-Identifier: GPL-3.0-or-later
"""Each driver against a small real server speaking its protocol; asserts what the device holds."""

from __future__ import annotations

import socket

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import (
    ALIASES,
    DRIVERS,
    UnknownDriver,
    driver_name_for,
    get_driver,
    get_driver_class,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._expect import (
    TerminalFilter,
    parse_identity,
    strip_terminal,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers._http import (
    digest_header,
    parse_challenge,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    ChangeImpossible,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.telnet import TelnetNegotiator
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import Rotation
from servers import CameraState, TelnetState, start_camera, start_ssh, start_telnet


def vault_store(tmp_path):
    from ansible.parsing.vault import VaultSecret
    from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec

    return get_store(
        "vault_file", inventory_dir=str(tmp_path), codec=VaultCodec([("default", VaultSecret(b"k"))])
    )


@pytest.fixture
def camera(request):
    kind = request.param
    state = CameraState(user="admin" if kind == "hikvision" else "root")
    srv, port = start_camera(kind, state)
    yield kind, state, port
    srv.shutdown()
    srv.server_close()


CAMERAS = [("hikvision", "hikvision_isapi"), ("axis", "axis_vapix")]


@pytest.mark.parametrize(("camera", "driver"), CAMERAS, indirect=["camera"])
def test_camera_login_and_change(camera, driver):
    _kind, state, port = camera
    d = get_driver(driver, "127.0.0.1", port=port, timeout=5)
    assert d.login(state.user, "12345") is True
    assert d.login(state.user, "wrong") is False
    assert state.failed_logins == 1, "one refused attempt must cost exactly one failed login"
    d.change_password(state.user, "12345", "N3w<&>Pass-1")
    assert state.password == "N3w<&>Pass-1"
    assert d.login(state.user, "N3w<&>Pass-1") is True
    # what the device was sent to change it
    changes = [(m, p) for m, p, _b in state.requests if "update" in p or "users/1" in p]
    assert len(changes) == 1
    with pytest.raises(PasswordRejected):
        d.change_password(state.user, "N3w<&>Pass-1", "short")
    assert state.password == "N3w<&>Pass-1"


@pytest.mark.parametrize(("camera", "driver"), CAMERAS, indirect=["camera"])
def test_camera_rotation_end_to_end(tmp_path, camera, driver):
    _kind, state, port = camera
    store = vault_store(tmp_path)
    d = get_driver(driver, "127.0.0.1", port=port, timeout=5)
    r = Rotation("cam", state.user, d, store, factory_passwords=["12345"], retry_delay=0).run()
    assert r["status"] == "rotated", r
    assert state.password == store.current("cam", state.user) != "12345"
    assert d.password_policy.check(state.password) is None


@pytest.mark.parametrize("camera", ["hikvision"], indirect=True)
def test_connection_dropped_after_change_is_proven_by_login(tmp_path, camera):
    _kind, state, port = camera
    state.drop_after_change = True
    store = vault_store(tmp_path)
    d = get_driver("hikvision_isapi", "127.0.0.1", port=port, timeout=5)
    r = Rotation("cam", "admin", d, store, factory_passwords=["12345"], retry_delay=0).run()
    assert r["status"] == "rotated", r
    assert [s["result"] for s in r["steps"] if s["step"] == "change"] == ["error"]
    assert store.current("cam", "admin") == state.password != "12345"


def test_telnet_busybox():
    state = TelnetState()
    srv, port = start_telnet(state)
    try:
        d = get_driver("telnet_busybox", "127.0.0.1", port=port, timeout=5)
        assert d.login("root", "xc3511") is True
        assert d.login("root", "nope") is False
        enabled, evidence = d.read_lockout("root", "xc3511")
        assert enabled is False and "BusyBox login without PAM" in evidence
        state.pam = True  # login through PAM: pam_faillock could lock, so we cannot tell
        assert d.read_lockout("root", "xc3511") is None
        state.uid = 1000  # BusyBox refuses a weak password to a user (root only gets a warning)
        with pytest.raises(PasswordRejected):
            d.change_password("root", "xc3511", "short")
        assert state.password == "xc3511"
        d.change_password("root", "xc3511", "Rotated-Pass9")
        assert state.password == "Rotated-Pass9"
        # BusyBox telnetd's negotiation: we refuse to echo, give our window size (NAWS,
        # 200x50), and accept the server's ECHO and SGA
        replies = state.negotiation_replies
        assert bytes([255, 252, 1]) in replies  # WONT ECHO
        assert bytes([255, 251, 31, 255, 250, 31, 0, 200, 0, 50, 255, 240]) in replies  # WILL NAWS + size
        assert bytes([255, 253, 1]) in replies and bytes([255, 253, 3]) in replies  # DO ECHO, DO SGA
        # the prompt came with ESC[6n every time, and every query was answered
        assert state.cursor_reports and set(state.cursor_reports) == {b"\x1b[24;1R"}
    finally:
        srv.shutdown()
        srv.server_close()


def test_ssh_shell():
    state = TelnetState(user="root", password="vizxv")
    listener, port = start_ssh(state)
    try:
        d = get_driver("ssh_shell", "127.0.0.1", port=port, timeout=10)
        assert d.login("root", "vizxv") is True
        assert d.login("root", "wrong") is False
        d.change_password("root", "vizxv", "Ssh-Rotated-7")
        assert state.password == "Ssh-Rotated-7"
        with pytest.raises(PasswordRejected):
            d.change_password("root", "Ssh-Rotated-7", "short")
        assert d.identify("root", "Ssh-Rotated-7")["os"] == "OpenWrt 19.07.7"
        assert state.cursor_reports, "the shell's ESC[6n queries went unanswered"
    finally:
        listener.close()
    # closed means closed: a listener left answering after its test took over another test's
    # connections once (its descriptor number and port reused)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_unreachable_is_not_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    for name in ("hikvision_isapi", "telnet_busybox", "ssh_shell"):
        with pytest.raises(Unreachable):
            get_driver(name, "127.0.0.1", port=port, timeout=2).login("admin", "x")


def test_registry():
    for name in DRIVERS:
        assert get_driver_class(name).name == name
    with pytest.raises(UnknownDriver, match="iot_driver"):
        get_driver_class("toaster")
    assert driver_name_for({"iot_driver": "axis_vapix"}) == "axis_vapix"
    assert driver_name_for({"iot_fingerprint": {"driver": "hikvision_isapi"}}) == "hikvision_isapi"
    assert driver_name_for({}) is None


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # a driver we have is taken as named, whatever ports are open
        ({"iot_driver": "axis_vapix", "iot_open_ports": [23, 80]}, "axis_vapix"),
        ({"iot_driver": "yealink_http", "iot_open_ports": [22]}, "yealink_http"),
        ({"iot_driver": "dahua_http", "iot_open_ports": [22, 23, 80]}, "dahua_http"),
        # a product API we do not speak: its shell stands in, telnet before SSH
        ({"iot_driver": "uniview_http", "iot_open_ports": [22, 23, 80]}, "telnet_busybox"),
        ({"iot_driver": "uniview_http", "iot_open_ports": [22, 80]}, "ssh_shell"),
        # a device discovery could not identify: its open shell
        ({"iot_open_ports": [23, 80]}, "telnet_busybox"),
        # no shell either: the unknown name stays, so the error names it
        ({"iot_driver": "uniview_http", "iot_open_ports": [80]}, "uniview_http"),
        # a product with no driver of ours whose shell must not stand in (RouterOS has no
        # passwd, EdgeOS would undo it at boot): no driver at all
        ({"iot_fingerprint_id": "mikrotik.routeros", "iot_open_ports": [22, 23]}, None),
        # the name the older fingerprint data used for RouterOS is the API driver's alias
        (
            {"iot_driver": "netmiko:mikrotik_routeros", "iot_open_ports": [22, 23]},
            "netmiko:mikrotik_routeros",
        ),
        ({"iot_fingerprint_id": "ubiquiti.edgeos", "iot_open_ports": [22]}, None),
        ({"iot_fingerprint_id": "dahua.camera", "iot_open_ports": [23]}, "telnet_busybox"),
    ],
)
def test_unknown_product_driver_falls_back_to_an_open_shell(facts, expected):
    assert driver_name_for(facts) == expected


def test_digest_matches_rfc2617_example():
    # RFC 2617 section 3.5 worked example
    params = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )[1]
    hdr = digest_header(params, "GET", "/dir/index.html", "Mufasa", "Circle Of Life")
    # cnonce is random, so recompute with the RFC's cnonce by hand
    from servers import _md5

    ha1 = _md5("Mufasa:testrealm@host.com:Circle Of Life")
    ha2 = _md5("GET:/dir/index.html")
    cnonce = hdr.split('cnonce="')[1].split('"')[0]
    want = _md5("%s:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:%s:auth:%s" % (ha1, cnonce, ha2))
    assert 'response="%s"' % want in hdr and 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in hdr


def test_telnet_negotiator_strips_and_answers():
    sent = []
    neg = TelnetNegotiator(sent.append)
    out = neg.feed(bytes([255, 253, 24, 104, 105, 255, 255, 255, 250, 24, 1, 255, 240, 33]))
    assert out == b"hi\xff!"
    assert sent == [bytes([255, 252, 24])]


@pytest.mark.parametrize(
    ("data", "expect"),
    [
        ({"symbols": ""}, None),
        ({"symbols": "!@"}, "!@"),
        ({"classes": ["digit"], "min_length": 4, "max_length": 4}, None),
    ],
)
def test_policy_from_fingerprint(data, expect):
    pol = PasswordPolicy.from_dict(data)
    if expect is not None:
        assert pol.classes[-1] == expect
    if data.get("symbols") == "":
        assert all(c.isalnum() for c in pol.alphabet)


def test_clean_bounds_and_strips():
    assert clean(b"ab\x1b[31mc\x00\r\nd" + b"x" * 600).startswith("ab[31mc d")
    assert len(clean("y" * 1000)) <= 259


@pytest.fixture
def busybox():
    """``start(state, **driver_options) -> (state, driver)`` on a BusyBox-like telnet server."""
    servers = []

    def start(state=None, **options):
        state = state or TelnetState()
        srv, port = start_telnet(state)
        servers.append(srv)
        return state, get_driver("telnet_busybox", "127.0.0.1", port=port, **options)

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_telnet_refusal_after_the_login_delay_is_a_refusal(busybox):
    # login(1) pauses before "Login incorrect" (BusyBox 3 s): longer than the timeout of one
    # read, yet a refusal, not silence
    state = TelnetState()
    state.failure_delay = 1.0
    state, d = busybox(state, timeout=0.5, login_failure_delay=2.0)
    assert d.login("root", "nope") is False
    assert d.login("root", "xc3511") is True
    d.login_failure_delay = 0.0
    with pytest.raises(Unreachable, match=r"within [01]s"):
        d.login("root", "nope")


def test_telnet_prompt_without_terminal_query_still_works(busybox):
    state = TelnetState()
    state.ask_terminal = False
    state, d = busybox(state, timeout=5)
    assert d.login("root", "xc3511") is True
    assert state.cursor_reports == []


def test_telnet_weak_password_is_a_warning_for_root_and_a_refusal_for_a_user(busybox):
    state, d = busybox(timeout=5)
    d.change_password("root", "xc3511", "root7")
    assert state.password == "root7"
    assert d.warnings == ["device warned: Bad password: too short"]
    state.uid = 1000
    with pytest.raises(PasswordRejected, match="Bad password: too short") as err:
        d.change_password("root", "root7", "root8")
    assert not isinstance(err.value, ChangeImpossible)
    assert state.password == "root7"


def test_telnet_read_only_password_file_is_reported_in_the_devices_words(busybox, tmp_path):
    state = TelnetState()
    state.read_only = True
    state, d = busybox(state, timeout=5)
    with pytest.raises(ChangeImpossible, match="Read-only file system"):
        d.change_password("root", "xc3511", "Rotated-Pass9")
    assert state.password == "xc3511"
    # rotation stops at once, device untouched, the device's reason in the result
    r = Rotation("dvr", "root", d, vault_store(tmp_path), factory_passwords=["xc3511"], retry_delay=0).run()
    assert r["status"] == "failed" and "Read-only file system" in r["reason"], r
    assert [s["step"] for s in r["steps"]].count("verify_new") == 0


def test_telnet_identify_generic_busybox(busybox):
    _state, d = busybox(timeout=5)
    assert d.identify("root", "xc3511") == {
        "os": "OpenWrt 19.07.7",
        "os_id": "openwrt",
        "os_version": "19.07.7",
        "busybox": "1.19.4",
        "kernel": "Linux 4.14.221 mips",
    }


@pytest.mark.parametrize(
    ("chunks", "text", "answers"),
    [
        # Debian busybox-static: ESC[6n right after the prompt
        ([b"~ # \x1b[6n"], b"~ # ", [b"\x1b[24;1R"]),
        # split anywhere, even inside the sequence
        ([b"~ # \x1b", b"[6", b"n"], b"~ # ", [b"\x1b[24;1R"]),
        # colours, window title (OSC ... BEL), charset selection, status query
        ([b"\x1b[1;32mok\x1b[0m \x1b]0;cam\x07\x1b(Bx\x1b[5n"], b"ok x", [b"\x1b[0n"]),
        # a lone ESC that never completes stays data after the bound
        ([b"a\x1b" + b"[" + b"1" * 80], b"a\x1b[" + b"1" * 80, []),
    ],
)
def test_terminal_filter(chunks, text, answers):
    sent = []
    term = TerminalFilter(sent.append)
    got = b"".join(term.feed(c) for c in chunks)
    assert got == text
    assert sent == answers
    assert strip_terminal(b"".join(chunks)).startswith(text[:2])


@pytest.mark.parametrize(
    ("output", "banner", "expect"),
    [
        (
            b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\r\nNAME="Debian GNU/Linux"\r\nVERSION_ID="12"\r\n'
            b"ID=debian\r\nsh: busybox: not found\r\nLinux 6.1.0 x86_64\r\n",
            b"",
            {
                "os": "Debian GNU/Linux 12 (bookworm)",
                "os_id": "debian",
                "os_version": "12",
                "kernel": "Linux 6.1.0 x86_64",
            },
        ),
        (
            b"cat: can't open '/etc/os-release': No such file or directory\r\n"
            b"BusyBox v1.20.2 (2013-09-11 15:00:01 CST) multi-call binary.\r\n",
            b"",
            {"os": "Linux (BusyBox 1.20.2)", "busybox": "1.20.2"},
        ),
        (
            b"",
            b"BusyBox v1.19.4 (2014-06-11) built-in shell (ash)",
            {"os": "Linux (BusyBox 1.19.4)", "busybox": "1.19.4"},
        ),
        (b"-sh: cat: not found\r\n", b"", {}),
    ],
)
def test_parse_identity(output, banner, expect):
    assert parse_identity(output, banner) == expect


def test_fingerprint_data_names_only_drivers_that_exist():
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.fingerprints import (
        FINGERPRINTS,
    )

    named = {fp["id"]: fp.get("driver") for fp in FINGERPRINTS if fp.get("driver")}
    missing = {fid: name for fid, name in named.items() if ALIASES.get(name, name) not in DRIVERS}
    assert missing == {}
