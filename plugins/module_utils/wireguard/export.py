# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Engineer configurations handed out from the controller: a wg-quick file (written, with
its QR code, by the shared hand-over helpers in ``module_utils/handover.py``)."""

from __future__ import annotations


def render_peer_config(
    private_key, address, hub_public_key, endpoint, allowed_ips, preshared_key=None, keepalive=25
):
    lines = [
        "[Interface]",
        "PrivateKey = %s" % private_key,
        "Address = %s" % address,
        "",
        "[Peer]",
        "PublicKey = %s" % hub_public_key,
    ]
    if preshared_key:
        lines.append("PresharedKey = %s" % preshared_key)
    lines += ["AllowedIPs = %s" % ", ".join(allowed_ips), "Endpoint = %s" % endpoint]
    if keepalive:
        lines.append("PersistentKeepalive = %d" % keepalive)
    return "\n".join(lines) + "\n"
