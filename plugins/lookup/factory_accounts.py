# -*- coding: utf-8 -*-
# Copyright (c) 2026, iotguard.hardening maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: factory_accounts
author:
  - IoTGuard maintainers (@iotguard)
version_added: 0.1.0
short_description: The accounts of a device that have a known factory password
description:
  - Returns the names of the accounts of the current host for which a factory password is
    known, as the rotation sees them at the moment the lookup runs, from the product data
    (discovery's C(iot_fingerprint_id) and C(iot_default_credentials)) and the credential
    store (accounts an engineer named, common defaults the assessment proved accepted).
  - The store is read when the lookup runs, not from host vars loaded at the start of the
    play, so accounts an assessment earlier in the same run kept are included.
  - Returns names only, never a password. A store record written for another device (its
    MAC or serial differs from the host's) adds nothing; the lookup never moves a record.
options:
  store:
    description: Store backend.
    type: str
    choices: [vault_file, keepass, none]
    default: vault_file
  store_path:
    description:
      - Inventory directory holding C(host_vars/) (vault_file, default the host's
        C(inventory_dir)) or the C(.kdbx) file (keepass). Empty means the default.
    type: str
    default: ""
  store_password:
    description: KeePass master password (empty when not used).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Rotate every account with a known factory password
  iotguard.hardening.rotate_credential:
    username: "{{ item }}"
  loop: "{{ query('iotguard.hardening.factory_accounts') }}"
"""

RETURN = r"""
_raw:
  description: Account names, product data first, then the ones the store knows.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError  # noqa: E402 - after the docs, as is usual
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import (  # noqa: E402
    access_hostvars,
    build_store,
    known_accounts,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError  # noqa: E402


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        host = variables.get("inventory_hostname")
        hostvars = access_hostvars(self._templar.template, variables)
        backend = self.get_option("store")
        store = None
        try:
            if backend != "none":
                store = build_store(
                    backend,
                    store_path=self.get_option("store_path") or None,
                    inventory_dir=hostvars.get("inventory_dir"),
                    vault_secrets=getattr(getattr(self._loader, "_vault", None), "secrets", None),
                    master_password=self.get_option("store_password") or None,
                )
            return known_accounts(host, hostvars, store)
        except StoreError as exc:
            raise AnsibleLookupError("factory_accounts for host %r: %s" % (host, exc)) from None
