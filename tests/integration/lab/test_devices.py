# SPDX-License-Identifier: GPL-3.0-or-later
"""Printers, thermostats, phones, speakers, the XP workstation and the router, each driven by
a real client: snmpget, raw PJL, HTTP, an MQTT client written here, SIP/mDNS/SSDP datagrams,
SMB1 and DICOM byte by byte.
"""

from __future__ import annotations

import json
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


# -- thermostat + MQTT ---------------------------------------------------------------------
def mqtt_packet(kind: int, flags: int, body: bytes) -> bytes:
    assert len(body) < 128
    return bytes([(kind << 4) | flags, len(body)]) + body


def mqtt_str(s: str) -> bytes:
    return struct.pack("!H", len(s)) + s.encode()


def mqtt_connect(
    address: str, user: str | None = None, password: str | None = None
) -> tuple[socket.socket, int]:
    s = socket.create_connection((address, 1883), timeout=5)
    flags = 0x02 | (0x80 if user is not None else 0) | (0x40 if password is not None else 0)
    body = mqtt_str("MQTT") + bytes([4, flags]) + struct.pack("!H", 30) + mqtt_str("pytest")
    if user is not None:
        body += mqtt_str(user)
    if password is not None:
        body += mqtt_str(password)
    s.sendall(mqtt_packet(1, 0, body))
    ack = s.recv(4)
    assert ack[:2] == b"\x20\x02"
    return s, ack[3]


def test_thermostat_mqtt_without_auth_then_locked_down(lab_site):
    dev = lab_site.device("hvac-02")
    assert "mqtt_noauth" in dev["weaknesses"]
    s, rc = mqtt_connect(dev["address"])
    assert rc == 0
    s.sendall(mqtt_packet(8, 2, struct.pack("!H", 1) + mqtt_str("thermostat/#") + b"\x00"))
    data = b""
    while b"setpoint" not in data or b"\x90\x03" not in data:
        data += s.recv(4096)
    assert data.startswith(b"\x90\x03\x00\x01\x00")  # SUBACK id 1, QoS 0
    s.sendall(mqtt_packet(3, 0, mqtt_str("thermostat/hvac-02/cmd") + b"on"))
    s.sendall(mqtt_packet(12, 0, b""))
    tail = b""
    while b"\xd0\x00" not in tail:
        tail += s.recv(4096)
    assert b"thermostat/hvac-02/cmd" in tail  # our own publish came back to our subscription
    s.close()

    api = f"http://{dev['address']}/api"
    bad = http(f"{api}/login", method="POST", body=json.dumps({"username": "admin", "password": "x"}))
    assert bad.status == 401
    tok = json.loads(
        http(f"{api}/login", method="POST", body=json.dumps({"username": "admin", "password": "admin"})).body
    )
    auth = {"Authorization": f"Bearer {tok['token']}"}
    assert auth
    put = _json(
        f"{api}/settings",
        "PUT",
        {"mqtt_auth": True, "lockout": {"enabled": True, "threshold": 3}},
        tok["token"],
    )
    assert put[0] == 200, put
    weak = _json(f"{api}/password", "POST", {"new_password": "abc!defg1"}, tok["token"])
    assert weak[0] == 400 and "not allowed" in weak[1]["error"]
    ok = _json(f"{api}/password", "POST", {"new_password": "Hvac2026ok"}, tok["token"])
    assert ok[0] == 200
    assert mqtt_connect(dev["address"])[1] == 5  # not authorised without credentials now
    assert mqtt_connect(dev["address"], "admin", "admin")[1] == 4
    assert mqtt_connect(dev["address"], "admin", "Hvac2026ok")[1] == 0
    truth = lab_site.device("hvac-02")
    assert "mqtt_noauth" not in truth["weaknesses"] and truth["lockout"]["threshold"] == 3


def _json(url: str, method: str, body: dict, token: str) -> tuple[int, dict]:
    import urllib.request

    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method)  # noqa: S310 - loopback
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - loopback
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# -- VoIP ----------------------------------------------------------------------------------
def test_voip_sip_options_and_fixed_lockout(lab_site):
    phone = lab_site.device("phone-desk-03")
    req = (
        "OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo;rport\r\nFrom: <sip:nm@nm>;tag=root\r\n"
        "To: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    reply = udp_exchange(phone["address"], 5060, req.encode()).decode()
    assert reply.startswith("SIP/2.0 200 OK\r\n")
    assert "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n" in reply and "CSeq: 42 OPTIONS" in reply
    url = f"http://{phone['address']}/api/status"
    status = http(url, "admin", "admin")
    assert status.status == 200
    assert json.loads(status.body)["lockout"] == {"enabled": True, "threshold": 5, "duration": 180}
    for _unused in range(5):
        assert http(url, "admin", "nope").status == 401
    locked = http(url, "admin", "admin")
    assert locked.status == 401 and "locked" in locked.body


# -- speaker -------------------------------------------------------------------------------
def dns_query(name: str, qtype: int = 12) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split(".")) + b"\0"
    return struct.pack("!6H", 0x1234, 0, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


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
