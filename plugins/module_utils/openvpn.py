# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""OpenVPN remote access: the checks that run on the controller before anything is written,
and the client profile (``.ovpn`` with inline certificates) handed out to an engineer.

The second factor is the collection's TOTP implementation (``totp.py``); the verifier on
the server is ``roles/openvpn/files/iotguard-ovpn-verify.py``.
"""

from __future__ import annotations

import datetime
import ipaddress
import re

from ansible_collections.iotguard.hardening.plugins.module_utils import totp

# what the server and the profiles accept: TLS 1.2+, AEAD data ciphers only
DATA_CIPHERS = "AES-256-GCM:CHACHA20-POLY1305"
TLS_CIPHERS = "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384:TLS-ECDHE-ECDSA-WITH-CHACHA20-POLY1305-SHA256"
TLS_SUITES = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
PEM_RE = re.compile(
    rb"^-----BEGIN [A-Za-z0-9 -]+-----\r?\n[A-Za-z0-9+/=\r\n]+-----END [A-Za-z0-9 -]+-----\r?\n?$"
)


class OpenVPNError(ValueError):
    """Bad input or state; the message names the field, the value and the fix."""


def check_clients(clients):
    """Validate ``openvpn_clients``; return (active names, revoked names)."""
    if not isinstance(clients, list) or not clients:
        raise OpenVPNError("openvpn_clients is empty: list the engineers, e.g. [{name: alice}]")
    seen = set()
    active, revoked = [], []
    for i, c in enumerate(clients):
        field = "openvpn_clients[%d]" % i
        if not isinstance(c, dict) or "name" not in c:
            raise OpenVPNError("%s has no name: every client needs one, e.g. {name: alice}" % field)
        unknown = sorted(set(c) - {"name", "revoked"})
        if unknown:
            raise OpenVPNError("%s has unknown keys %s: only name and revoked are allowed" % (field, unknown))
        try:
            name = totp.check_name(c["name"], field + ".name")
        except totp.TotpError as exc:
            raise OpenVPNError(str(exc)) from None
        if name in seen:
            raise OpenVPNError("%s.name %r is used twice: every client needs its own name" % (field, name))
        seen.add(name)
        (revoked if c.get("revoked") else active).append(name)
    return active, revoked


def _net(value, field):
    try:
        return ipaddress.ip_network(value, strict=True)
    except (ValueError, TypeError) as exc:
        raise OpenVPNError(
            "%s=%r is not a network in CIDR form without host bits (%s)" % (field, value, exc)
        ) from None


def check_networks(pool, mgmt_zones, reserved):
    """Validate the pool against the management zones and ``reserved`` ({field: [networks]},
    e.g. the WireGuard pool). Return the pool and zones as (network, netmask) pairs."""
    net = _net(pool, "openvpn_pool")
    if net.version != 4 or net.prefixlen > 29:
        raise OpenVPNError(
            "openvpn_pool=%r: use an IPv4 network of /29 or larger (topology subnet), e.g. 10.67.0.0/24"
            % pool
        )
    if not mgmt_zones:
        raise OpenVPNError(
            "openvpn_mgmt_zones is empty: list the management networks the engineers may reach"
        )
    zones = []
    others = []
    for i, z in enumerate(mgmt_zones):
        zn = _net(z, "openvpn_mgmt_zones[%d]" % i)
        if zn.version != 4:
            raise OpenVPNError(
                "openvpn_mgmt_zones[%d]=%r: the tunnel routes IPv4 only; list IPv4 networks" % (i, z)
            )
        zones.append(zn)
        others.append(("openvpn_mgmt_zones[%d]" % i, zn))
    for field, values in sorted((reserved or {}).items()):
        for j, v in enumerate(values or []):
            if v in (None, ""):
                continue
            others.append(
                (
                    "%s[%d]" % (field, j) if isinstance(values, list) and len(values) > 1 else field,
                    _net(v, field),
                )
            )
    for field, other in others:
        if other.version == net.version and net.overlaps(other):
            raise OpenVPNError(
                "openvpn_pool (%s) overlaps %s (%s): choose a pool no other VPN pool, site or zone"
                " uses (set openvpn_pool)" % (net, field, other)
            )
    return {
        "pool": {"network": str(net.network_address), "netmask": str(net.netmask), "cidr": str(net)},
        "routes": [
            {"network": str(z.network_address), "netmask": str(z.netmask), "cidr": str(z)} for z in zones
        ],
    }


def check_ca(pem, path, now=None, renew_days=30):
    """Refuse an expired (or not yet valid) CA certificate; say how long it has left."""
    from cryptography import x509  # controller dependency (community.crypto needs it too)

    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise OpenVPNError(
            "openvpn CA certificate %s is not a PEM certificate (%s): restore it from backup" % (path, exc)
        ) from None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = cert.not_valid_after_utc
    not_before = cert.not_valid_before_utc
    fix = (
        "a CA cannot be renewed in place: move the openvpn_controller_dir's pki directory aside and run"
        " again to create a new CA (every client then needs its new profile)"
    )
    if not_after <= now:
        raise OpenVPNError("openvpn CA certificate %s expired on %s: %s" % (path, not_after.isoformat(), fix))
    if not_before > now:
        raise OpenVPNError(
            "openvpn CA certificate %s is valid only from %s: check the controller's clock"
            % (path, not_before.isoformat())
        )
    days = (not_after - now).days
    return {"not_after": not_after.isoformat(), "days_left": days, "renew_soon": days < renew_days}


def check_remote(remote, port):
    if not isinstance(remote, str) or not remote:
        raise OpenVPNError("openvpn_remote is empty: give the address or DNS name engineers dial")
    try:
        ipaddress.ip_address(remote)
    except ValueError:
        if not HOST_RE.match(remote):
            raise OpenVPNError("openvpn_remote=%r is neither an IP address nor a DNS name" % remote) from None
    if not isinstance(port, int) or not 0 < port < 65536:
        raise OpenVPNError("openvpn_port=%r: use 1-65535" % (port,))


def _pem(data, field):
    if not isinstance(data, bytes) or not PEM_RE.match(data.strip() + b"\n"):
        raise OpenVPNError("%s is not one PEM block: issue it again" % field)
    return data.decode("ascii").strip()


def render_profile(name, remote, port, proto, server_name, ca, cert, key, tls_crypt_v2, reneg_seconds=3600):
    """The client's ``.ovpn``: everything inline, the server's hardening mirrored, the
    username fixed to the certificate's name (the password is the TOTP code)."""
    check_remote(remote, port)
    lines = [
        "# iotguard OpenVPN profile for %s: password = the 6-digit code of the authenticator app" % name,
        "client",
        "dev tun",
        "proto %s" % ("udp" if proto == "udp" else "tcp-client"),
        "remote %s %d" % (remote, port),
        "nobind",
        "persist-key",
        "persist-tun",
        "remote-cert-tls server",
        "verify-x509-name %s name" % server_name,
        "tls-version-min 1.2",
        "tls-cipher %s" % TLS_CIPHERS,
        "tls-ciphersuites %s" % TLS_SUITES,
        "data-ciphers %s" % DATA_CIPHERS,
        "auth-user-pass",
        "auth-nocache",
        "reneg-sec %d" % reneg_seconds,
        "verb 3",
        "<ca>",
        _pem(ca, "ca"),
        "</ca>",
        "<cert>",
        _pem(cert, "cert"),
        "</cert>",
        "<key>",
        _pem(key, "key"),
        "</key>",
        "<tls-crypt-v2>",
        _pem(tls_crypt_v2, "tls_crypt_v2"),
        "</tls-crypt-v2>",
    ]
    return ("\n".join(lines) + "\n").encode("ascii")
