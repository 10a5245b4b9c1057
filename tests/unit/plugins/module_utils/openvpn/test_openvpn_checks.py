# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks that run on the controller before the OpenVPN role writes anything."""

from __future__ import annotations

import datetime
import subprocess

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.openvpn import (
    OpenVPNError,
    check_ca,
    check_clients,
    check_networks,
    check_remote,
    render_profile,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


def ca_pem(not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), key


def test_clients_split_into_active_and_revoked():
    assert check_clients([{"name": "alice"}, {"name": "bob", "revoked": True}, {"name": "c.d-e_f"}]) == (
        ["alice", "c.d-e_f"],
        ["bob"],
    )


@pytest.mark.parametrize(
    ("clients", "message"),
    [
        ([{"name": "../etc/x"}], r"openvpn_clients\[0\]\.name has '\.\./etc/x'.*no '/'"),
        ([{"name": "a/b"}], r"openvpn_clients\[0\]\.name has 'a/b'"),
        ([{"name": "a..b"}], r"openvpn_clients\[0\]\.name has 'a\.\.b'"),
        ([{"name": "Alice"}], r"lower-case"),
        ([{"name": "alice"}, {"name": "alice"}], r"openvpn_clients\[1\]\.name 'alice' is used twice"),
        ([{"nam": "alice"}], r"openvpn_clients\[0\] has no name"),
        ([{"name": "alice", "revoke": True}], r"unknown keys \['revoke'\]"),
        ([], r"openvpn_clients is empty"),
    ],
)
def test_bad_client_names_name_the_field_and_the_fix(clients, message):
    with pytest.raises(OpenVPNError, match=message):
        check_clients(clients)


def test_networks_in_server_form():
    nets = check_networks("10.67.0.0/24", ["10.20.1.0/24"], {"wireguard_pool": ["10.66.0.0/24"]})
    assert nets["pool"] == {"network": "10.67.0.0", "netmask": "255.255.255.0", "cidr": "10.67.0.0/24"}
    assert nets["routes"] == [{"network": "10.20.1.0", "netmask": "255.255.255.0", "cidr": "10.20.1.0/24"}]


@pytest.mark.parametrize(
    ("pool", "zones", "reserved", "message"),
    [
        (
            "10.66.0.128/25",
            ["10.20.1.0/24"],
            {"wireguard_pool": ["10.66.0.0/24"]},
            r"openvpn_pool \(10\.66\.0\.128/25\) overlaps wireguard_pool"
            r" \(10\.66\.0\.0/24\).*set openvpn_pool",
        ),
        ("10.20.0.0/16", ["10.20.1.0/24"], {}, r"overlaps openvpn_mgmt_zones\[0\]"),
        (
            "10.67.0.0/24",
            ["10.20.1.0/24"],
            {"openvpn_reserved_networks": ["10.0.0.0/8", "192.168.0.0/16"]},
            r"overlaps openvpn_reserved_networks\[0\]",
        ),
        ("10.67.0.1/24", ["10.20.1.0/24"], {}, r"openvpn_pool='10\.67\.0\.1/24' is not a network"),
        ("fd00::/64", ["10.20.1.0/24"], {}, r"IPv4 network of /29 or larger"),
        ("10.67.0.0/30", ["10.20.1.0/24"], {}, r"/29 or larger"),
        ("10.67.0.0/24", [], {}, r"openvpn_mgmt_zones is empty"),
    ],
)
def test_bad_networks_name_the_field_and_the_fix(pool, zones, reserved, message):
    with pytest.raises(OpenVPNError, match=message):
        check_networks(pool, zones, reserved)


def test_empty_wireguard_pool_is_no_reservation():
    check_networks(
        "10.66.0.0/24", ["10.20.1.0/24"], {"wireguard_pool": [""], "openvpn_reserved_networks": []}
    )


def test_expired_ca_is_refused_with_the_fix():
    pem, _key = ca_pem(NOW - datetime.timedelta(days=400), NOW - datetime.timedelta(days=1))
    with pytest.raises(OpenVPNError, match=r"ca\.crt expired on 2026-05-31.*create a new CA"):
        check_ca(pem, "/inv/pki/ca.crt", now=NOW)


def test_ca_not_yet_valid_and_garbage():
    pem, _key = ca_pem(NOW + datetime.timedelta(days=1), NOW + datetime.timedelta(days=400))
    with pytest.raises(OpenVPNError, match="clock"):
        check_ca(pem, "ca.crt", now=NOW)
    with pytest.raises(OpenVPNError, match="not a PEM certificate"):
        check_ca(b"hello", "ca.crt", now=NOW)


def test_ca_close_to_expiry_says_so():
    pem, _key = ca_pem(NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=10, hours=1))
    info = check_ca(pem, "ca.crt", now=NOW, renew_days=30)
    assert info["days_left"] == 10 and info["renew_soon"]


@pytest.mark.parametrize(("remote", "port"), [("vpn example", 1194), ("", 1194), ("10.0.0.1", 0)])
def test_bad_remote(remote, port):
    with pytest.raises(OpenVPNError, match=r"openvpn_remote|openvpn_port"):
        check_remote(remote, port)


def test_profile_is_inline_hardened_and_openvpn_parses_it(tmp_path):
    pem, key = ca_pem(NOW - datetime.timedelta(days=1), NOW + datetime.timedelta(days=100))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    tc2 = (
        b"-----BEGIN OpenVPN tls-crypt-v2 client key-----\nAAAA\n"
        b"-----END OpenVPN tls-crypt-v2 client key-----\n"
    )
    text = render_profile("alice", "vpn.example.com", 1194, "udp", "gw1", pem, pem, key_pem, tc2).decode()
    for line in (
        "tls-version-min 1.2",
        "data-ciphers AES-256-GCM:CHACHA20-POLY1305",
        "auth-user-pass",
        "auth-nocache",
        "remote vpn.example.com 1194",
        "verify-x509-name gw1 name",
        "<tls-crypt-v2>",
    ):
        assert line in text
    assert text.count("-----BEGIN") == 4
    with pytest.raises(OpenVPNError, match="key is not one PEM block"):
        render_profile("alice", "vpn.example.com", 1194, "udp", "gw1", pem, pem, b"junk", tc2)


def test_profile_remote_is_checked():
    with pytest.raises(OpenVPNError, match="neither an IP address nor a DNS name"):
        render_profile("a", "x;rm -rf", 1194, "udp", "gw1", b"", b"", b"", b"")


def test_openssl_accepts_the_ca_we_build():
    # sanity of the helper: the expired CA above is a real certificate
    pem, _key = ca_pem(NOW - datetime.timedelta(days=2), NOW - datetime.timedelta(days=1))
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-enddate"], input=pem, capture_output=True, check=True
    )
    assert b"2026" in out.stdout
