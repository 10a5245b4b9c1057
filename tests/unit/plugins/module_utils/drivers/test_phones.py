# SPDX-License-Identifier: GPL-3.0-or-later
"""Yealink's web UI (what the driver reads from the pages, how it encrypts a field) and the
Poly web UI sign-in's verdicts."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import DriverError
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.phones import (
    WebCipher,
    change_result,
    login_page,
    login_verdict,
    page_var,
    web_auth_verdict,
)
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
N = KEY.public_key().public_numbers().n


def form(n=N, e="10001", extra=""):
    return (
        '<script>var g_strFirmware = "66.86.0.15";\nvar g_phonetype = "T46S";\n'
        f'var g_rsa_n = "{n:x}";\nvar g_rsa_e = "{e}";{extra}</script>'
    )


def test_login_page_reads_key_model_and_firmware():
    page = login_page(form())
    assert page == {"n": N, "e": 65537, "model": "T46S", "firmware": "66.86.0.15"}


@pytest.mark.parametrize(
    ("html", "why"),
    [
        ("<html>Polycom</html>", "no RSA key"),
        (form(e="zz"), "no RSA key"),
        (form(n=0xFFFF), "not usable"),
        (form(e="1"), "not usable"),
    ],
)
def test_login_page_without_a_usable_key_is_an_error(html, why):
    with pytest.raises(DriverError, match=why):
        login_page(html)


def test_page_vars_are_bounded_and_never_markup():
    assert page_var('var g_strToken = "a1b2";', "g_strToken") == "a1b2"
    assert page_var('var g_strToken = "' + "x" * 200 + '";', "g_strToken", 128) is None
    assert page_var('var g_phonetype = "<b>T46S</b>";', "g_phonetype") is None
    assert page_var("var other = 'x';", "g_strToken") is None


def test_login_verdict_done_refused_and_locked():
    assert login_verdict('{"authstatus":"done"}') is True
    assert login_verdict('{"authstatus" : "done"}') is True
    assert login_verdict('{"authstatus":"error"}') is False
    assert login_verdict("<html>login</html>") is False
    with pytest.raises(DriverError, match="locked: it says try again 3 minute"):
        login_verdict("You are not authorized! Please try again 3 minutes later.")


def test_change_result_codes():
    assert change_result("{'result' : '0'}") == "0"
    assert change_result('{"result":-2}') == "-2"
    assert change_result("<html>token expired</html>") is None


def test_cipher_fields_decrypt_with_the_page_key():
    """What the phone does with the fields: RSA gives the AES key and IV as hex digits, AES
    gives ``random;JSESSIONID;secret`` padded with zeros."""
    cipher = WebCipher(N, 65537, "SESSION42")
    keys = cipher.keys()
    key = bytes.fromhex(KEY.decrypt(bytes.fromhex(keys["rsakey"]), padding.PKCS1v15()).decode())
    iv = bytes.fromhex(KEY.decrypt(bytes.fromhex(keys["rsaiv"]), padding.PKCS1v15()).decode())
    assert len(key) == len(iv) == 16
    for secret in ("admin", "semi;colon;pass", "x" * 32):
        data = base64.b64decode(cipher.encrypt(secret))
        assert len(data) % 16 == 0
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        nonce, session, got = (dec.update(data) + dec.finalize()).rstrip(b"\0").decode().split(";", 2)
        assert nonce.startswith("0.") and session == "SESSION42" and got == secret
    assert cipher.encrypt("same") != cipher.encrypt("same")  # a fresh random each field


def test_poly_web_sign_in_verdicts():
    assert web_auth_verdict("lockparams|SUCCESS|0") is True
    assert web_auth_verdict("lockparams|INVALID_LOGIN|0") is False
    assert web_auth_verdict("lockparams|ONE_ATTEMPT_LEFT|0") is False
    for body in ("lockparams|LOCKED|42", "<html>Polycom</html>", ""):
        with pytest.raises(DriverError, match="no verdict on the password"):
            web_auth_verdict(body)
