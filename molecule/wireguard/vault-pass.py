#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Vault password for this scenario: random, made once per run in Molecule's ephemeral directory."""

import os
import secrets
import sys

path = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", ""), "vault-pass")
if not os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY"):
    sys.exit("MOLECULE_EPHEMERAL_DIRECTORY is not set: run this scenario through molecule")
if not os.path.exists(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(32))
with open(path) as fh:
    print(fh.read().strip())
