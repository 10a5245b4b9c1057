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
