# SPDX-License-Identifier: GPL-3.0-or-later
"""The NETGEAR driver's page parsing: the form action with its per-page token and the
XSRF cookie, from hostile pages too."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import routers

PAGE = (
    '<form method="POST" action="apply.cgi?id=11">'
    "<form method='POST' action='/upnp.cgi?id=1700000123'>"
    '<form method="POST" action="password.cgi?id=99887766">'
)


def test_form_action_picks_the_named_cgi_with_its_token():
    assert routers.form_action(PAGE, "password.cgi") == "/password.cgi?id=99887766"
    assert routers.form_action(PAGE, "upnp.cgi") == "/upnp.cgi?id=1700000123"
    assert routers.form_action(PAGE, "wlg.cgi") is None


def test_form_action_refuses_tokens_that_would_change_the_url():
    for hostile in (
        '<form action="password.cgi?id=1&sysNewPasswd=x">',
        '<form action="password.cgi?id=../../etc">',
        '<form action="http://elsewhere/password.cgi?id=1">',
    ):
        got = routers.form_action(hostile, "password.cgi")
        assert got is None or got == "/password.cgi?id=1", (hostile, got)
    assert routers.form_action('<form action="password.cgi?id=">', "password.cgi") is None


def test_xsrf_cookie():
    assert routers.xsrf_cookie({"set-cookie": "XSRF_TOKEN=1222440606; Path=/"}) == "1222440606"
    assert routers.xsrf_cookie({"set-cookie": "a=b, XSRF_TOKEN=abc123; Path=/"}) == "abc123"
    assert routers.xsrf_cookie({"set-cookie": "XSRF_TOKEN=x;y"}) == "x"
    assert routers.xsrf_cookie({}) is None


def test_ssdp_silence_alone_does_not_read_as_upnp_off(monkeypatch):
    """A gateway firewall between the controller and the router drops SSDP: the driver asks
    NETGEAR's own description page before it says UPnP is off (the page answers only while
    UPnP is on), so the hardening does not report a router with UPnP on as meeting the policy."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.routers import RouterHttpDriver
    from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes

    asked = []
    monkeypatch.setattr(probes, "ssdp_locations", lambda host, timeout=2.0: [])

    def wan(url, timeout=5.0):
        asked.append(url)
        if page == "on":
            return ("urn:schemas-upnp-org:service:WANIPConnection:1", url + "/ctl")
        raise probes.ProbeError("%s: connection refused" % url)

    monkeypatch.setattr(probes, "find_wan_service", wan)
    driver = RouterHttpDriver("127.20.0.1", timeout=1.0)
    page = "on"
    assert driver.read_services("admin", "x") == {"upnp": True}
    assert asked == ["http://127.20.0.1:5000/Public_UPNP_gatedesc.xml"]
    page = "off"
    assert driver.read_services("admin", "x") == {"upnp": False}
