# SPDX-License-Identifier: GPL-3.0-or-later
"""An engineer's side of the TOTP gate in the Molecule scenarios' verify: the secret read
from the vault the VPN role keeps on the controller, the code computed by oathtool (the
judge, not the collection's own TOTP code), posted to the authenticator from the engineer's
container through the tunnel."""

from __future__ import annotations

import json
import shutil
import subprocess

POST = (
    "import sys, urllib.request, urllib.error\n"
    "try:\n"
    "    r = urllib.request.urlopen(sys.argv[1], data=('code=' + sys.argv[2]).encode(), timeout=5)\n"
    "    print(r.status)\n"
    "except urllib.error.HTTPError as e:\n"
    "    print(e.code)\n"
)


def vault_view(path, password_file):
    """A vault file of the controller, decrypted with the scenario's password script."""
    out = subprocess.run(
        ["ansible-vault", "decrypt", "--vault-password-file", str(password_file), "--output", "-", str(path)],
        capture_output=True,
        check=True,
    )
    return out.stdout


def secret(store, name, password_file):
    value = json.loads(vault_view(store, password_file))["totp_secrets"].get(name)
    assert value, "no TOTP secret for %s in %s" % (name, store)
    return value


def code(value, at):
    """The code of the time step holding the unix time ``at``, computed by oathtool."""
    oathtool = shutil.which("oathtool")
    assert oathtool, "oathtool is needed on the controller (apt-get install oathtool)"
    out = subprocess.run(
        [oathtool, "--totp", "-b", "--now", "@%d" % at, value], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def post(host, url, value):
    """POST the code from the engineer's machine (a testinfra host); the HTTP status."""
    return int(host.check_output("python3 -c %s %s %s", POST, url, value).strip())


def session_expiry(host, addr, set_name="wg_authed"):
    """Seconds left of addr's element in the gateway's session set (a testinfra host of the
    gateway), 0 for an element without a timeout, or None when it is not there."""
    listing = json.loads(host.check_output("nft -j list set inet iotguard %s", set_name))["nftables"]
    for item in listing:
        for elem in item.get("set", {}).get("elem", []):
            value = elem.get("elem", elem) if isinstance(elem, dict) else elem
            if isinstance(value, dict) and value.get("val") == addr:
                return value.get("expires", value.get("timeout"))
            if value == addr:
                return 0
    return None
