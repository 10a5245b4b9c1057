# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64
import os

from ansible_collections.iotguard.hardening.plugins.module_utils.handover import qr_png, write_private
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard.export import render_peer_config

PRIV = base64.b64encode(b"\x01" * 32).decode()
HUB = base64.b64encode(b"\x02" * 32).decode()


def test_config_limits_allowed_ips_and_names_the_endpoint():
    text = render_peer_config(
        PRIV, "10.66.0.4/32", HUB, "192.0.2.1:51820", ["10.66.0.1/32", "10.20.0.0/24"], None, 25
    )
    assert text.splitlines() == [
        "[Interface]",
        "PrivateKey = %s" % PRIV,
        "Address = 10.66.0.4/32",
        "",
        "[Peer]",
        "PublicKey = %s" % HUB,
        "AllowedIPs = 10.66.0.1/32, 10.20.0.0/24",
        "Endpoint = 192.0.2.1:51820",
        "PersistentKeepalive = 25",
    ]


def test_qr_is_a_png_and_files_are_0600_and_rewritten_only_on_change(tmp_path):
    png = qr_png("otpauth://totp/iotguard:alice?secret=JBSWY3DPEHPK3PXP")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    path = str(tmp_path / "sub" / "alice.png")
    assert write_private(path, png) is True
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert write_private(path, png) is False
    os.chmod(path, 0o644)
    assert write_private(path, png) is True and os.stat(path).st_mode & 0o777 == 0o600
