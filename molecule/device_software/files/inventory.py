# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the scenario's client inventory in one go (JSON on stdin, so no secret is on a
command line): the discovery source, one host_vars file per device with what the engineer
knows of it (its factory account and password, from the label), and the vault password
of the credential store. Every file 0600, every directory 0700."""

from __future__ import annotations

import json
import os
import sys

import yaml


def write(path, text):
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main():
    spec = json.load(sys.stdin)
    inv = spec["inventory"]
    os.makedirs(inv, mode=0o700, exist_ok=True)
    write(os.path.join(inv, "site.iot_discovery.yml"), yaml.safe_dump(spec["discovery"], sort_keys=False))
    for address, cred in sorted(spec["factory"].items()):
        doc = {"iot_default_credentials": [cred], "risk_assessment_credentials": [cred]}
        write(os.path.join(inv, "host_vars", address, "factory.yml"), yaml.safe_dump(doc))
    write(spec["vault_password_file"], spec["vault_password"] + "\n")
    print(json.dumps({"hosts_with_factory_credentials": len(spec["factory"])}))


if __name__ == "__main__":
    main()
