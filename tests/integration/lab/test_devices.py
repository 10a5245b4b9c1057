# SPDX-License-Identifier: GPL-3.0-or-later
"""Printers, thermostats, phones, speakers, the XP workstation and the router, each driven by
a real client: snmpget, raw PJL, HTTP (curl for Digest), SIP/mDNS/SSDP datagrams,
SMB1 and DICOM byte by byte.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import subprocess

import pytest
from iotlab.clients import http, tcp_exchange, udp_exchange

pytestmark = pytest.mark.lab
M_SEARCH = (
    'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: {st}\r\n\r\n'
)


# -- printer -------------------------------------------------------------------------------
def snmpget(address: str, community: str, *oids: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["snmpget", "-v2c", "-c", community, "-t", "1", "-r", "0", "-Oqv", address, *oids],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_printer_snmp_pjl_and_ews(lab_site):
    prn = lab_site.device("prn-front-02")
    got = snmpget(prn["address"], "public", "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0")
    assert got.returncode == 0, got.stderr
    descr, name = got.stdout.strip().splitlines()
    assert "JETDIRECT" in descr and name.strip('"') == "prn-front-02"
    assert snmpget(prn["address"], "wrong", "1.3.6.1.2.1.1.1.0").returncode != 0
    pjl = tcp_exchange(prn["address"], 9100, b"\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X\r\n")
    assert pjl == f'@PJL INFO ID\r\n"{prn["model"]}"\r\n\x0c'.encode()
    assert "snmp_public" in prn["weaknesses"] and "default_credentials" in prn["weaknesses"]
    base = f"http://{prn['address']}/hp/device"
    form = "application/x-www-form-urlencoded"
    # the legacy EWS: Basic as admin, set_config_password.html; no FutureSmart sign-in form
    assert http(f"{base}/SignIn/Index").status == 404
    assert http(f"{base}/set_config_password.html", "admin", "wrong").status == 401
    page = http(f"{base}/set_config_password.html", "admin", "")
    assert page.status == 200 and "name='ConfirmPassword'" in page.body
    assert (
        http(f"{base}/SnmpSettings/Save", method="POST", body="ReadCommunity=x", content_type=form).status
        == 401
    )
    saved = http(
        f"{base}/SnmpSettings/Save",
        "admin",
        "",
        method="POST",
        body="ReadCommunity=n0t-public",
        content_type=form,
    )
    assert saved.status == 200
    assert snmpget(prn["address"], "public", "1.3.6.1.2.1.1.1.0").returncode != 0
    assert snmpget(prn["address"], "n0t-public", "1.3.6.1.2.1.1.1.0").returncode == 0
    mismatch = http(
        f"{base}/set_config_password.html/config",
        "admin",
        "",
        method="POST",
        body="Password=Printer2026&ConfirmPassword=Printer2027",
        content_type=form,
    )
    assert mismatch.status == 400
    changed = http(
        f"{base}/set_config_password.html/config",
        "admin",
        "",
        method="POST",
        body="Password=Printer2026&ConfirmPassword=Printer2026",
        content_type=form,
    )
    assert changed.status == 200
    truth = lab_site.device("prn-front-02")
    assert truth["credentials"][0]["password"] == "Printer2026"
    assert not {"snmp_public", "default_credentials"} & set(truth["weaknesses"])


def curl(jar, *args: str) -> tuple[int, str, str]:
    """curl with a cookie jar: (status, Location, body)."""
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "-b",
            str(jar),
            "-c",
            str(jar),
            "-o",
            "-",
            "-w",
            "\n%{http_code} %{redirect_url}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    body, _sep, tail = out.rpartition("\n")
    code, _sep, location = tail.partition(" ")
    return int(code), location, body


def test_futuresmart_ews_sign_in_csrf_and_password(lab_site, tmp_path):
    import re

    prn = lab_site.device("prn-lab-01")
    base = f"http://{prn['address']}/hp/device"
    jar = tmp_path / "jar"
    assert "default_credentials" in prn["weaknesses"]
    # no session: the security page sends the browser to the sign-in form
    code, location, _body = curl(jar, f"{base}/GeneralSecurity/Index")
    assert code == 302 and location.endswith("/hp/device/SignIn/Index")
    code, _loc, page = curl(jar, f"{base}/SignIn/Index")
    token = re.search(r"name='CSRFToken' value='([^']+)'", page).group(1)
    assert code == 200 and "sessionId" in jar.read_text()

    def sign_in(password: str, csrf: str) -> tuple[int, str, str]:
        return curl(
            jar,
            f"{base}/SignIn/Index",
            "--data-urlencode", f"CSRFToken={csrf}",
            "--data-urlencode", "agentIdSelect=hp_EmbeddedPin_v1",
            "--data-urlencode", "PinDropDown=AdminItem",
            "--data-urlencode", f"PasswordTextBox={password}",
            "--data-urlencode", "signInOk=Sign In",
        )  # fmt: skip

    assert sign_in("", "forged-token")[0] == 403  # the token belongs to the session
    code, _loc, again = sign_in("wrong-one", token)
    assert code == 200 and "incorrect" in again and "PasswordTextBox" in again
    code, location, _body = sign_in("", token)  # factory: no administrator password
    assert code == 302 and location.endswith("/hp/device/DeviceStatus/Index")
    code, _loc, page = curl(jar, f"{base}/GeneralSecurity/Index")
    assert code == 200 and "name='isSet' value='False'" in page and "oldPassword" not in page
    token = re.search(r"name='CSRFToken' value='([^']+)'", page).group(1)

    def save(*fields: str) -> tuple[int, str, str]:
        args = [a for f in ("CSRFToken=" + token, *fields) for a in ("--data-urlencode", f)]
        return curl(jar, f"{base}/GeneralSecurity/Save", *args)

    code, _loc, refused = save("isSet=False", "newPassword=Lab-Ews-2026", "verifyPassword=Lab-Ews-2027")
    assert code == 200 and "do not match" in refused
    assert lab_site.device("prn-lab-01")["credentials"][0]["password"] == ""
    code, location, _body = save("isSet=False", "newPassword=Lab-Ews-2026", "verifyPassword=Lab-Ews-2026")
    assert code == 302 and location.endswith("/hp/device/GeneralSecurity/Index")
    truth = lab_site.device("prn-lab-01")
    assert truth["credentials"][0]["password"] == "Lab-Ews-2026"
    assert "default_credentials" not in truth["weaknesses"]
    # now set: the page asks for the old password, and a wrong one changes nothing
    code, _loc, page = curl(jar, f"{base}/GeneralSecurity/Index")
    assert "name='isSet' value='True'" in page and "oldPassword" in page
    code, _loc, refused = save(
        "isSet=True", "oldPassword=nope", "newPassword=Other-2026", "verifyPassword=Other-2026"
    )
    assert code == 200 and "old password" in refused
    assert lab_site.device("prn-lab-01")["credentials"][0]["password"] == "Lab-Ews-2026"


# -- thermostat (Venstar Local API) ---------------------------------------------------------------------
def curl_digest(*args: str) -> tuple[int, str]:
    """curl (a client of its own, with its own Digest): HTTP status and body."""
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "5", "-o", "-", "-w", "\\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    body, _nl, code = out.stdout.rpartition("\n")
    return int(code or 0), body


def test_thermostat_speaks_venstars_local_api_with_digest(lab_site):
    dev = lab_site.device("hvac-01")
    base = f"http://{dev['address']}"
    # no credential: a Digest challenge, on every path the API has
    for path in ("/", "/query/info", "/query/sensors"):
        code, _body = curl_digest(base + path)
        assert code == 401, path
    assert "Digest" in http(base + "/query/info").challenges[0]
    assert curl_digest("--digest", "-u", "admin:wrong", base + "/query/info")[0] == 401
    auth = ("--digest", "-u", "admin:admin")
    code, body = curl_digest(*auth, base + "/")
    assert code == 200 and json.loads(body) == {
        "api_ver": 7, "type": "residential", "model": "COLORTOUCH", "firmware": "6.92",
    }  # fmt: skip
    info = json.loads(curl_digest(*auth, base + "/query/info")[1])
    assert info["name"] == "hvac-01" and {"mode", "fan", "heattemp", "cooltemp", "away"} <= set(info)
    sensors = json.loads(curl_digest(*auth, base + "/query/sensors")[1])["sensors"]
    assert sensors[0]["name"] == "Thermostat"
    # form-encoded settings: {"success": true}, or an error with the reason
    assert json.loads(curl_digest(*auth, "-d", "away=1", base + "/settings")[1]) == {"success": True}
    assert json.loads(curl_digest(*auth, base + "/query/info")[1])["away"] == 1
    bad = json.loads(curl_digest(*auth, "-d", "heattemp=200", base + "/control")[1])
    assert bad["error"] is True and "heattemp" in bad["reason"]
    assert json.loads(curl_digest(*auth, "-d", "away=0", base + "/settings")[1]) == {"success": True}
    # none of the invented endpoints, and no MQTT broker
    for path in ("/api/login", "/api/password", "/api/settings"):
        assert curl_digest(*auth, "-d", "x=1", base + path)[0] == 404, path
    with pytest.raises(OSError):
        socket.create_connection((dev["address"], 1883), timeout=2).close()
    assert 1883 not in dev["tcp_ports"] and "mqtt_noauth" not in dev["weaknesses"]
    # discovery by SSDP as the docs show it
    reply = udp_exchange(dev["address"], 1900, M_SEARCH.format(st="venstar:thermostat:ecp").encode()).decode()
    assert "ST: venstar:thermostat:ecp\r\n" in reply
    assert f"USN: colortouch:ecp:{dev['mac'].lower()}:name:hvac-01:type:residential" in reply


def test_thermostat_open_local_api_answers_anyone(lab_site):
    dev = lab_site.device("hvac-02")
    code, body = curl_digest(f"http://{dev['address']}/query/info")
    assert code == 200 and json.loads(body)["name"] == "hvac-02"
    settings = f"http://{dev['address']}/settings"
    assert json.loads(curl_digest("-d", "away=1", settings)[1]) == {"success": True}
    settings = f"http://{dev['address']}/settings"
    assert json.loads(curl_digest("-d", "away=0", settings)[1]) == {"success": True}
    assert dev["credentials"] == [] and dev["weaknesses"] == ["cleartext_http", "unauthenticated_api"]


def test_thermostat_driver_proves_digest_and_reports_manual_steps(lab_site):
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import ManualStep

    dev = lab_site.device("hvac-01")
    drv = get_driver("venstar_local", dev["address"], timeout=5)
    before = lab_site.device("hvac-01")["auth"]["failures"]
    assert drv.login("admin", "admin") is True
    assert drv.login("admin", "nope") is False
    assert lab_site.device("hvac-01")["auth"]["failures"] == before + 1, "one refusal, one failed login"
    assert drv.identify("admin", "admin")["model"] == "COLORTOUCH"
    got = drv.read_settings("admin", "admin")
    assert got["thermostat"]["hum_setpoint"] == dev["settings"]["hum_setpoint"]
    assert got["lockout"] is None and got["mqtt_auth"] is None  # the API has neither
    with pytest.raises(ManualStep, match="no password change"):
        drv.change_password("admin", "admin", "Other2026x")
    assert lab_site.device("hvac-01")["credentials"][0]["password"] == "admin"
    assert drv.unauthenticated() is None, "the Digest-protected API answered 401 without credentials"
    opened = get_driver("venstar_local", lab_site.device("hvac-02")["address"], timeout=5)
    assert "answered 200 with no credentials" in opened.unauthenticated()
    with pytest.raises(ManualStep, match="asks for no credential") as exc:
        opened.login("admin", "admin")
    assert "turn authentication on" in exc.value.instruction


# -- VoIP ----------------------------------------------------------------------------------
def test_voip_sip_options_and_yealink_web_ui(lab_site, tmp_path):
    """SIP OPTIONS, then Yealink's servlet web UI as curl sees it: the login form sets a
    JSESSIONID and carries the page's RSA key; no session, no page; the lab's old form is gone."""
    phone = lab_site.device("phone-desk-03")
    req = (
        "OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo;rport\r\nFrom: <sip:nm@nm>;tag=root\r\n"
        "To: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    reply = udp_exchange(phone["address"], 5060, req.encode()).decode()
    assert reply.startswith("SIP/2.0 200 OK\r\n")
    assert "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n" in reply and "CSeq: 42 OPTIONS" in reply
    base = f"http://{phone['address']}"
    assert "servlet?m=mod_listener&p=login&q=loginForm" in http(base + "/").body
    for path in ("/api/status", "/api/password"):
        assert http(base + path, "admin", "admin").status == 404, path
    jar = tmp_path / "jar.txt"
    code, _loc, form = curl(jar, base + "/servlet?m=mod_listener&p=login&q=loginForm&jumpto=status")
    assert code == 200 and 'var g_strFirmware = "66.86.0.15";' in form
    assert 'var g_phonetype = "T46S";' in form and 'var g_rsa_e = "10001";' in form
    assert len(re.search(r'g_rsa_n = "([0-9a-f]+)"', form).group(1)) == 512  # 2048-bit
    assert "JSESSIONID" in jar.read_text()
    security = base + "/servlet?m=mod_data&p=security&q=load"
    assert curl(jar, security)[:2] == (302, base + "/servlet?m=mod_listener&p=login&q=loginForm")
    failures = lab_site.device("phone-desk-03")["auth"]["failures"]
    login = base + "/servlet?m=mod_listener&p=login&q=login"
    code, _loc, bogus = curl(jar, "-d", "username=admin&pwd=bm90LWl0&rsakey=00&rsaiv=00", login)
    assert code == 200 and json.loads(bogus) == {"authstatus": "error"}
    assert lab_site.device("phone-desk-03")["auth"]["failures"] == failures + 1
    assert curl(jar, security)[0] == 302


def test_yealink_driver_signs_in_rotates_and_meets_the_lock(lab_site):
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
        DriverError,
        NotSupported,
        PasswordRejected,
    )

    def password(name, user):
        return {c["username"]: c["password"] for c in lab_site.device(name)["credentials"]}[user]

    dev = lab_site.device("phone-desk-02")
    drv = get_driver("yealink_http", dev["address"], timeout=5)
    assert get_driver("phone_http", dev["address"]).name == "yealink_http"  # the old name still works
    before = dev["auth"]["failures"]
    assert drv.login("admin", "admin") is True and drv.login("user", "user") is True
    assert drv.login("admin", "nope") is False
    assert lab_site.device("phone-desk-02")["auth"]["failures"] == before + 1, "one refusal, one failure"
    assert drv.identify("admin", "admin") == {"model": "T46S", "firmware": "66.86.0.15"}
    assert drv.read_settings("admin", "admin")["lockout"] is None  # the web UI shows no lock setting
    # each account changes its own password through the security page
    drv.change_password("user", "user", "Desk-User-2026")
    assert password("phone-desk-02", "user") == "Desk-User-2026"
    assert drv.login("user", "Desk-User-2026") and not drv.login("user", "user")
    drv.change_password("admin", "admin", "Desk-Admin-2026")
    assert password("phone-desk-02", "admin") == "Desk-Admin-2026"
    assert drv.login("admin", "Desk-Admin-2026")
    with pytest.raises(NotSupported, match="admin and user only"):
        drv.change_password("var", "var", "Desk-Var-2026x")
    # the policy (two character classes) refuses the factory password back: the phone's own
    # menu takes it, for the other tests of this site
    with pytest.raises(PasswordRejected, match="refused the new password of admin"):
        drv.change_password("admin", "Desk-Admin-2026", "admin")
    assert password("phone-desk-02", "admin") == "Desk-Admin-2026"
    lab_site.screen("phone-desk-02", "admin", "admin")
    lab_site.screen("phone-desk-02", "user", "user")
    assert drv.login("admin", "admin") and drv.login("user", "user")
    # the lock: five refusals, then even the right password meets the wait, never a verdict
    phone = lab_site.device("phone-desk-03")
    drv = get_driver("yealink_http", phone["address"], timeout=5)
    lockouts = lab_site.device("phone-desk-03")["auth"]["lockouts"]
    refused = 0  # the first test on this phone spent one failure already
    while lab_site.device("phone-desk-03")["auth"]["lockouts"] == lockouts:
        assert drv.login("admin", "nope") is False
        refused += 1
        assert refused <= 5, "no lock after 5 refusals"
    with pytest.raises(DriverError, match="locked: it says try again 3 minute"):
        drv.login("admin", "admin")
    with pytest.raises(DriverError, match="locked"):
        drv.login("admin", "nope")


# -- speaker -------------------------------------------------------------------------------
def dns_query(name: str, qtype: int = 12) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"
    return struct.pack("!6H", 0x1234, 0, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def poly(address: str, path: str, body: dict | None = None, password: str = "456") -> tuple[int, dict]:
    """curl against the Polycom REST API (Basic auth as the Poly REST manual shows)."""
    args = ["-u", f"Polycom:{password}", f"http://{address}/api/v1/mgmt/{path}"]
    if body is not None:
        args = ["-H", "Content-Type: application/json", "-d", json.dumps(body), *args]
    code, text = curl_digest(*args)
    try:
        return code, json.loads(text)
    except ValueError:
        return code, {"text": text}


LOCK_PARAMS = [
    "httpd.cfg.lockWebUI.enable",
    "httpd.cfg.lockWebUI.noOfInvalidAttempts",
    "httpd.cfg.lockWebUI.lockOutDuration",
]


@pytest.fixture
def poly_lock_site(tmp_path):
    """One UCS 5.9 Polycom (web UI lock on) in a site of its own: the shared sites run the
    older UCS, whose lock-less phone the fleet tests' login budgets were sized on."""
    from iotlab.testing import LabSite

    (tmp_path / "poly.yml").write_text(
        "name: poly-lock\nsubnet: 127.20.36.0/24\nfirst_device_address: 127.20.36.10\n"
        "devices:\n  - {kind: voip_phone, name: phone-exam-01, variant: polycom-vvx410}\n"
    )
    site = LabSite(str(tmp_path / "poly.yml"), state_dir=tmp_path / "state")
    site.up(fresh=True)
    yield site
    site.down()


def test_polycom_rest_api_and_driver(poly_lock_site):
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import DriverError
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
        SettingRejected,
    )

    lab_site = poly_lock_site
    dev = lab_site.device("phone-exam-01")
    addr = dev["address"]
    code, info = poly(addr, "device/info")
    assert code == 200 and info["Status"] == "2000" and info["data"]["FirmwareRelease"] == "5.9.5.0614"
    assert poly(addr, "device/info", password="nope")[0] == 401
    code, got = poly(addr, "config/get", {"data": LOCK_PARAMS})
    assert got == {"Status": "2000", "data": dict(zip(LOCK_PARAMS, ["1", "5", "60"], strict=True))}, got
    # out of UC Software's range: refused, nothing changed
    code, bad = poly(addr, "config/set", {"data": {LOCK_PARAMS[2]: "600"}})
    assert bad["Status"] == "4000" and "60-300" in bad["Message"]
    assert lab_site.device("phone-exam-01")["lockout"]["duration"] == 60

    drv = get_driver("polycom_rest", addr, timeout=5)
    assert drv.login("Polycom", "456") is True and drv.login("Polycom", "nope") is False
    assert drv.lockout_policy("Polycom", "456") | {"evidence": ""} == {
        "enabled": True, "threshold": 5, "duration": 60, "evidence": "",
    }  # fmt: skip
    with pytest.raises(SettingRejected, match=r"60\.\.300"):
        drv.set_lockout("Polycom", "456", {"enabled": True, "threshold": 5, "duration": 600})
    drv.set_lockout("Polycom", "456", {"enabled": True, "threshold": 4, "duration": 120})
    assert lab_site.device("phone-exam-01")["lockout"] | {"configurable": True} == {
        "enabled": True, "threshold": 4, "duration": 120, "configurable": True,
    }  # fmt: skip
    drv.set_lockout("Polycom", "456", {"enabled": True, "threshold": 5, "duration": 60})
    drv.change_password("Polycom", "456", "Exam-Room-2026")
    assert lab_site.device("phone-exam-01")["credentials"][0]["password"] == "Exam-Room-2026"
    assert drv.login("Polycom", "Exam-Room-2026") and not drv.login("Polycom", "456")
    drv.change_password("Polycom", "Exam-Room-2026", "456")  # the site's factory state again
    assert drv.login("Polycom", "456")

    # the second web account, User (factory 123): the web UI's sign-in takes it, REST does not
    web = f"http://{addr}/form-submit/auth.htm"
    code, body = curl_digest("-X", "POST", "-i", "-u", "User:123", web)
    assert code == 200 and body.endswith("\n\nlockparams|SUCCESS|0") and "Set-Cookie: session=" in body
    assert curl_digest("-X", "POST", "-u", "User:nope", web) == (200, "lockparams|INVALID_LOGIN|0")
    assert curl_digest("-u", "User:123", f"http://{addr}/api/v1/mgmt/device/info")[0] == 403
    assert drv.login("User", "123") is True and drv.login("User", "nope") is False
    assert drv.lockout_policy("User", "123") is None  # no REST access to ask with
    # its password is the admin's to set (device.auth.localUserPassword over config/set)
    with pytest.raises(DriverError, match="needs the admin Polycom's"):
        drv.change_password("User", "123", "Exam-User-2026")
    as_admin = get_driver("polycom_rest", addr, timeout=5, enable_secret="456")
    as_admin.change_password("User", "123", "Exam-User-2026")
    creds = {c["username"]: c["password"] for c in lab_site.device("phone-exam-01")["credentials"]}
    assert creds == {"Polycom": "456", "User": "Exam-User-2026"}
    assert drv.login("User", "Exam-User-2026") and not drv.login("User", "123")
    with pytest.raises(DriverError, match="refused the login"):
        get_driver("polycom_rest", addr, timeout=5, enable_secret="wrong").change_password(
            "User", "Exam-User-2026", "Other-User-2026"
        )
    as_admin.change_password("User", "Exam-User-2026", "123")
    assert drv.login("User", "123")

    # the lock as UC Software 5.5+ applies it: 5 failures, then even the right password is
    # refused for 60 s (the last test on this phone: the lock lapses on its own)
    for _unused in range(5):
        assert poly(addr, "device/info", password="wrong")[0] == 401
    code, locked = poly(addr, "device/info")
    assert code == 401 and "locked" in locked["text"].lower()
    assert lab_site.device("phone-exam-01")["auth"]["lockouts"] >= 1


def test_polycom_before_ucs_5_5_has_no_web_ui_lock(tmp_path):
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver
    from iotlab.testing import LabSite

    (tmp_path / "old-poly.yml").write_text(
        "name: old-poly\nsubnet: 127.20.35.0/24\nfirst_device_address: 127.20.35.10\n"
        "devices:\n  - {kind: voip_phone, name: phone-old, variant: polycom-vvx410-ucs54}\n"
    )
    site = LabSite(str(tmp_path / "old-poly.yml"), state_dir=tmp_path / "state")
    site.up(fresh=True)
    try:
        dev = site.device("phone-old")
        code, got = poly(dev["address"], "config/get", {"data": LOCK_PARAMS})
        assert code == 200 and got["Status"] == "4000", got
        drv = get_driver("polycom_rest", dev["address"], timeout=5)
        read = drv.lockout_policy("Polycom", "456")
        assert read["enabled"] is False and "5.4.5.0367" in read["evidence"], read
        with pytest.raises(Exception, match="Status 4000"):
            drv.set_lockout("Polycom", "456", {"enabled": True, "threshold": 5, "duration": 60})
        assert "no_lockout" in site.device("phone-old")["weaknesses"]
    finally:
        site.down()


def test_speaker_announces_itself_and_cannot_be_managed(lab_site):
    spk = lab_site.first("smart_speaker")
    answer = udp_exchange(spk["address"], 5353, dns_query("_services._dns-sd._udp.local"))
    qid, flags, _qd, an = struct.unpack_from("!4H", answer)
    assert qid == 0x1234 and flags & 0x8000 and an >= 2 and b"_sonos" in answer
    sonos = udp_exchange(spk["address"], 5353, dns_query("_sonos._tcp.local"))
    assert socket.inet_aton(spk["address"]) in sonos  # the A record
    search = M_SEARCH.format(st="ssdp:all").encode()
    ssdp = udp_exchange(spk["address"], 1900, search).decode()
    assert "Sonos/" in ssdp and f"LOCATION: http://{spk['address']}:1400/" in ssdp
    desc = http(f"http://{spk['address']}:1400/xml/device_description.xml")
    assert "<manufacturer>Sonos, Inc.</manufacturer>" in desc.body
    assert spk["credentials"] == [] and spk["management"] == []


# -- Windows XP medical workstation --------------------------------------------------------
NEGOTIATE = bytes.fromhex("ff534d4272000000000801400000000000000000000000000000400600000100") + (
    b"\x00" + struct.pack("<H", 12) + b"\x02NT LM 0.12\x00"
)


def smb(sock: socket.socket, msg: bytes) -> bytes:
    sock.sendall(struct.pack(">I", len(msg)) + msg)
    n = int.from_bytes(sock.recv(4)[1:], "big")
    data = b""
    while len(data) < n:
        data += sock.recv(n - len(data))
    return data


def test_xp_workstation_smb1_reveals_windows_5_1(lab_site):
    ws = lab_site.device("mri-console")
    with socket.create_connection((ws["address"], 445), timeout=5) as s:
        neg = smb(s, NEGOTIATE)
        assert neg[:5] == b"\xffSMBr" and neg[32] == 17
        dialect, _mode, _mpx, _vcs, maxbuf, _raw, _key, caps = struct.unpack_from("<HBHHIIII", neg, 33)
        assert dialect == 0 and maxbuf == 4356 and caps == 0xE3FD
        # SESSION SETUP AndX, anonymous, unicode strings
        header = bytearray(NEGOTIATE[:32])
        header[4] = 0x73
        header[10:12] = struct.pack("<H", 0xC001)
        words = struct.pack("<BBHHHHIHHIII", 0xFF, 0, 0, 4356, 10, 0, 0, 0, 0, 0, 0x000000D4, 0)[:26]
        body = b"\x00" + b"\0\0" + "".encode("utf-16-le") + "WORKGROUP\0".encode("utf-16-le")
        setup = bytes(header) + bytes([13]) + words + struct.pack("<H", len(body)) + body
        rsp = smb(s, setup)
        assert struct.unpack_from("<I", rsp, 5)[0] == 0  # STATUS_SUCCESS
        text = rsp[32 + 1 + 6 + 2 + 1 :].decode("utf-16-le", "replace")  # one pad byte aligns unicode
        assert "Windows 5.1" in text and "Windows 2000 LAN Manager" in text
    assert {"eol_os", "smbv1"} <= set(ws["weaknesses"]) and ws["os"] == "Windows XP"


def _item(kind: int, body: bytes) -> bytes:
    return struct.pack(">BBH", kind, 0, len(body)) + body


def test_xp_workstation_dicom_c_echo(lab_site):
    ws = lab_site.device("mri-console")
    ctx = _item(
        0x20, bytes([1, 0, 0, 0]) + _item(0x30, b"1.2.840.10008.1.1") + _item(0x40, b"1.2.840.10008.1.2")
    )
    body = (
        struct.pack(">HH", 1, 0)
        + ws["dicom_ae_title"].ljust(16).encode()
        + b"ECHOSCU".ljust(16)
        + b"\0" * 32
        + _item(0x10, b"1.2.840.10008.3.1.1.1")
        + ctx
        + _item(0x50, _item(0x51, struct.pack(">I", 16384)))
    )
    with socket.create_connection((ws["address"], 104), timeout=5) as s:
        s.sendall(struct.pack(">BBI", 1, 0, len(body)) + body)
        ac = s.recv(65536)
        assert ac[0] == 0x02  # A-ASSOCIATE-AC
        assert _item(0x21, bytes([1, 0, 0, 0]) + _item(0x40, b"1.2.840.10008.1.2")) in ac  # context accepted
        elems = b""
        for group, elem, value in (
            (0, 0x0002, b"1.2.840.10008.1.1\0"),
            (0, 0x0100, struct.pack("<H", 0x0030)),
            (0, 0x0110, struct.pack("<H", 7)),
            (0, 0x0800, struct.pack("<H", 0x0101)),
        ):
            elems += struct.pack("<HHI", group, elem, len(value)) + value
        cmd = struct.pack("<HHI", 0, 0, 4) + struct.pack("<I", len(elems)) + elems
        pdv = struct.pack(">IB", len(cmd) + 2, 1) + b"\x03" + cmd
        s.sendall(struct.pack(">BBI", 4, 0, len(pdv)) + pdv)
        rsp = s.recv(65536)
        assert rsp[0] == 0x04
        assert struct.pack("<HHIH", 0, 0x0100, 2, 0x8030) in rsp  # C-ECHO-RSP
        assert struct.pack("<HHIH", 0, 0x0120, 2, 7) in rsp  # answering message 7
        assert struct.pack("<HHIH", 0, 0x0900, 2, 0) in rsp  # status success
        s.sendall(struct.pack(">BBI", 5, 0, 4) + b"\0\0\0\0")
        assert s.recv(10)[0] == 0x06  # A-RELEASE-RP


# -- router --------------------------------------------------------------------------------
SOAP = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    '<u:GetGenericPortMappingEntry xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">'
    "<NewPortMappingIndex>{}</NewPortMappingIndex></u:GetGenericPortMappingEntry></s:Body></s:Envelope>"
)


def soap_entry(router: dict, index: int):
    import urllib.request

    req = urllib.request.Request(
        f"http://{router['address']}:5000/Public_UPNP_C3", data=SOAP.format(index).encode(), method="POST"
    )
    req.add_header(
        "SOAPAction", '"urn:schemas-upnp-org:service:WANIPConnection:1#GetGenericPortMappingEntry"'
    )
    req.add_header("Content-Type", 'text/xml; charset="utf-8"')
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_router_upnp_exposes_the_camera(lab_site):
    router = lab_site.first("router")
    cam = lab_site.device("cam-lobby-01")
    search = M_SEARCH.format(st="urn:schemas-upnp-org:device:InternetGatewayDevice:1").encode()
    ssdp = udp_exchange(router["address"], 1900, search).decode()
    assert f"LOCATION: http://{router['address']}:5000/Public_UPNP_gatedesc.xml" in ssdp
    desc = http(f"http://{router['address']}:5000/Public_UPNP_gatedesc.xml").body
    assert "<controlURL>/Public_UPNP_C3</controlURL>" in desc
    status, body = soap_entry(router, 0)
    assert status == 200 and f"<NewInternalClient>{cam['address']}</NewInternalClient>" in body
    assert (
        "<NewExternalPort>8080</NewExternalPort>" in body and "<NewInternalPort>80</NewInternalPort>" in body
    )
    status, body = soap_entry(router, 99)
    assert status == 500 and "<errorCode>713</errorCode>" in body
    assert "internet_exposed" in cam["weaknesses"]
    truth = lab_site.refresh()
    assert any(
        e["internal_device"] == "cam-lobby-01" and e["external_port"] == 8080 for e in truth["exposures"]
    )
    assert http(f"http://{router['address']}/").status == 401
    assert http(f"http://{router['address']}/", "admin", "password").status == 200


def test_router_admin_password_and_upnp_switch_off(lab_site, tmp_path):
    """NETGEAR's forms, driven by curl: the XSRF cookie from ``GET /``, each form's
    per-page token, a stale token changes nothing."""
    import re
    import time

    router = lab_site.device("gw-internet")
    base = f"http://{router['address']}"
    jar = tmp_path / "jar"

    def page(path: str, password: str) -> str:
        code, _loc, body = curl(jar, "-u", f"admin:{password}", f"{base}/{path}")
        assert code == 200, (path, code)
        return re.search(r'action="(\w+\.cgi\?id=\d+)"', body).group(1)

    def post(action: str, password: str, *fields: str) -> tuple[int, str, str]:
        args = [a for f in fields for a in ("--data-urlencode", f)]
        return curl(jar, "-u", f"admin:{password}", f"{base}/{action}", *args)

    # newer firmware: without the cookie GET / hands out, every other page refuses
    assert curl(jar, "-u", "admin:password", f"{base}/PWD_password.htm")[0] == 401
    assert curl(jar, "-u", "admin:password", f"{base}/")[0] == 200 and "XSRF_TOKEN" in jar.read_text()
    action = page("PWD_password.htm", "password")
    assert action.startswith("password.cgi?id=")
    new = ("sysNewPasswd=Router-2026", "sysConfirmPasswd=Router-2026")
    code, _loc, body = post("password.cgi?id=1", "password", "sysOldPasswd=password", *new)
    assert code == 200 and "expired" in body  # a token the router never issued
    code, _loc, body = post(action, "password", "sysOldPasswd=nope", *new)
    assert code == 400 and "old password" in body
    assert post(action, "password", "sysOldPasswd=password", *new)[2].count("expired") == 1  # used up
    action = page("PWD_password.htm", "password")
    assert post(action, "password", "sysOldPasswd=password", *new)[0] == 200
    assert lab_site.device("gw-internet")["credentials"][0]["password"] == "Router-2026"

    action = page("UPNP_upnp.htm", "Router-2026")
    assert action.startswith("upnp.cgi?id=")
    upnp = ("apply=Apply", "AdverTime=30", "TimeToLive=4", "hiddenAdverTime=30", "hiddenTimeToLive=4")
    assert post(action, "Router-2026", *upnp, "hiddenTurnUPnPOn=2")[0] == 400
    action = page("UPNP_upnp.htm", "Router-2026")
    assert post(action, "Router-2026", *upnp, "hiddenTurnUPnPOn=0")[0] == 200
    time.sleep(0.3)
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection((router["address"], 5000), timeout=3),
    ):
        pass
    truth = lab_site.device("gw-internet")
    assert "upnp_exposed" not in truth["weaknesses"] and 5000 not in truth["tcp_ports"]
    assert "port_forwarding" in truth["weaknesses"]  # the static mappings are still there


def test_udp_faults_mean_silence(lab_site):
    phone = lab_site.device("phone-desk-02")
    req = b"OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=x\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n"
    lab_site.fault("phone-desk-02", "connect", "drop_before", times=1)
    with pytest.raises(TimeoutError):
        udp_exchange(phone["address"], 5060, req, timeout=1.0)
    assert udp_exchange(phone["address"], 5060, req).startswith(b"SIP/2.0 200 OK")


def test_hostile_site_serves_planted_data_verbatim(tmp_path):
    from iotlab.clients import Telnet
    from iotlab.testing import LabSite

    site = LabSite("hostile", state_dir=tmp_path / "hostile", rebase="127.20.129.0/24")
    site.up(fresh=True)
    try:
        names = {d["name"]: d for d in site.truth["devices"]}
        jinja = names["prn-jinja"]
        got = snmpget(jinja["address"], "public", "1.3.6.1.2.1.1.5.0")
        assert got.stdout.strip().strip('"') == "{{ lookup('pipe', 'touch /tmp/iotguard-pwned') }}"
        cam = names["cam-escape"]
        info = http(f"http://{cam['address']}/ISAPI/System/deviceInfo", "admin", "12345")
        assert "<deviceName>\x1b[2J\x1b[31mOWNED" in info.body
        huge = names["dvr-huge"]
        t = Telnet(huge["address"])
        try:
            assert t.read_until(b"login: ").endswith("A" * 400 + " login: ")
        finally:
            t.close()
        assert all("hostile_data" in d["weaknesses"] for d in names.values())
    finally:
        site.down()


def test_hp_ews_driver_tells_the_generations_apart(lab_site):
    """The driver asks each printer which EWS it runs, signs in or refuses the same way on
    both, and rotates twice on FutureSmart (the second time the page asks for the old one)."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver

    for name, generation in (("prn-front-01", "legacy"), ("prn-lab-01", "futuresmart")):
        dev = lab_site.device(name)
        drv = get_driver("hp_ews", dev["address"], timeout=5)
        assert drv.generation() == generation
        password = dev["credentials"][0]["password"]
        assert drv.login("admin", password) and not drv.login("admin", "not-it-2026")
        drv.change_password("admin", password, "First-Ews-26")
        drv.change_password("admin", "First-Ews-26", "Second-Ews-26")
        assert lab_site.device(name)["credentials"][0]["password"] == "Second-Ews-26"
        assert drv.login("admin", "Second-Ews-26") and not drv.login("admin", "First-Ews-26")
