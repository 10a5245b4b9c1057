# SPDX-License-Identifier: GPL-3.0-or-later
"""The HP EWS driver's page parsing: hidden inputs, the CSRF token, the session cookie and
the refusal text, from hostile pages too; the generation option is checked."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import printers
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import DriverError

SIGN_IN = (
    "<form method='post' action='/hp/device/SignIn/Index'>"
    '<input type="hidden" name="CSRFToken" value="AbC123-_=xyz+/9">'
    "<input value='False' type=hidden name=isSet>"
    '<input type="password" name="PasswordTextBox" value="not-hidden">'
    '<input type="hidden" name="CSRFToken" value="second-one-ignored">'
    "</form>"
)


def test_hidden_inputs_any_quoting_and_attribute_order():
    got = printers.hidden_inputs(SIGN_IN)
    assert got == {"CSRFToken": "AbC123-_=xyz+/9", "isSet": "False"}


def test_csrf_token_is_found_or_the_error_names_the_page():
    assert printers.csrf_token(SIGN_IN, "/x") == "AbC123-_=xyz+/9"
    for page in ("<html>no form</html>", '<input type="hidden" name="CSRFToken" value="a b<script>">'):
        with pytest.raises(DriverError, match=r"/hp/device/SignIn/Index carries no usable CSRFToken"):
            printers.csrf_token(page, "/hp/device/SignIn/Index")


def test_session_cookie():
    assert printers.session_cookie({"set-cookie": "sessionId=5f2a9c; path=/; HttpOnly"}) == "5f2a9c"
    assert printers.session_cookie({"set-cookie": "lang=en, sessionId=77aa; path=/"}) == "77aa"
    assert printers.session_cookie({"set-cookie": "other=1"}) is None
    assert printers.session_cookie({}) is None


def test_page_error_is_bounded_and_cleaned():
    page = "<div id='MessageText' class='errorMessage'>The old password is incorrect.</div>"
    assert printers.page_error(page) == "The old password is incorrect."
    hostile = "<div class='errorMessage'>" + "\x1b[31m" + "A" * 5000 + "</div>"
    text = printers.page_error(hostile)
    assert "\x1b" not in text and len(text) <= 160
    assert printers.page_error("<p>fine</p>") == ""


def test_generation_option_is_checked():
    with pytest.raises(DriverError, match=r"ews_generation='jetdirect'.*futuresmart, legacy"):
        printers.HpEwsDriver("127.0.0.1", ews_generation="jetdirect")
    assert printers.HpEwsDriver("127.0.0.1", ews_generation="legacy").generation() == "legacy"


def test_password_inputs_in_page_order():
    page = (
        "<input type='hidden' name='isSet' value='True'>"
        '<input type="password" name="oldPassword"><input name=newPassword type=password>'
        "<input type='password' name='verifyPassword'><input type='text' name='user'>"
    )
    assert printers.password_inputs(page) == ["oldPassword", "newPassword", "verifyPassword"]
    assert printers.password_inputs("<p>none</p>") == []
