# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's stand-in for an engineer's authenticator app: prints the current TOTP code of one
WireGuard peer, as the phone the engineer enrolled would show it.

The secret is the one the WireGuard role enrolled (its vault file on the controller, in the
client's folder); the code is computed by oathtool (the secret on its standard input, never in
an argument). At a client the engineer types the code from the phone instead
(playbooks/vpn_session.yml asks for it); a pipeline has its secrets manager print it.

    lab_authenticator.py VAULT_FILE PEER      (the vault password: the file named by
                                               IOTGUARD_VAULT_PASSWORD_FILE)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

from ansible.parsing.vault import VaultLib, VaultSecret


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    vault_file, peer = argv[1], argv[2]
    password_file = os.environ.get("IOTGUARD_VAULT_PASSWORD_FILE", "")
    if not password_file or not os.path.isfile(password_file):
        sys.stderr.write(
            "lab_authenticator: set IOTGUARD_VAULT_PASSWORD_FILE to the client's vault password file\n"
        )
        return 2
    with open(password_file, "rb") as fh:
        secret = VaultSecret(fh.read().strip())
    with open(vault_file, "rb") as fh:
        secrets = json.loads(VaultLib([("default", secret)]).decrypt(fh.read()))["totp_secrets"]
    if peer not in secrets:
        sys.stderr.write("lab_authenticator: no TOTP secret for peer %r in %s\n" % (peer[:64], vault_file))
        return 1
    oathtool = shutil.which("oathtool")
    if not oathtool:
        sys.stderr.write("lab_authenticator: oathtool is missing (make setup installs it)\n")
        return 1
    out = subprocess.run(  # noqa: S603 - a fixed argv, the secret on stdin
        [oathtool, "--totp", "-b", "-"],
        input=secrets[peer] + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    code = out.stdout.strip()
    if out.returncode != 0 or not re.fullmatch(r"[0-9]{6,8}", code):
        sys.stderr.write("lab_authenticator: oathtool gave no code (exit %d)\n" % out.returncode)
        return 1
    print(code)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
