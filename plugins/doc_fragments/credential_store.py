# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The credential store's options, one description for every module that opens the store."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  store:
    description: Credential store backend.
    type: str
    choices: [vault_file, keepass]
    default: vault_file
  store_path:
    description:
      - For C(vault_file), the inventory directory that holds C(host_vars/) (default the
        host's C(inventory_dir)); for C(keepass), the C(.kdbx) file.
    type: path
  store_password:
    description: Master password of the KeePass database (O(store=keepass)).
    type: str
  vault_id:
    description: Vault id to encrypt with when the play has several vault secrets.
    type: str
"""
