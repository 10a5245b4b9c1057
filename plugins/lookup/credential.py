# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: credential
author:
  - iotguard.hardening maintainers (@iotguard)
version_added: 0.1.0
short_description: Read a device credential from the iotguard credential store
description:
  - Returns the current password of an account on each given inventory host, as written by
    M(iotguard.hardening.rotate_credential).
  - Reads the same stores the module writes; the vault_file store is decrypted with the
    play's vault secrets.
options:
  _terms:
    description: Inventory hostnames.
    required: true
    type: list
    elements: str
  user:
    description: Account name.
    type: str
    default: admin
  field:
    description:
      - C(current) the working password; C(pending) one a rotation left unfinished;
        C(source) where the current one came from (no secret).
    type: str
    choices: [current, pending, source]
    default: current
  store:
    description: Store backend.
    type: str
    choices: [vault_file, keepass]
    default: vault_file
  store_path:
    description:
      - Inventory directory holding C(host_vars/) (vault_file, default the current host's
        C(inventory_dir)) or the C(.kdbx) file (keepass).
    type: path
  store_password:
    description: KeePass master password.
    type: str
  errors:
    description: What to do when a host has no stored credential.
    type: str
    choices: [strict, empty]
    default: strict
notes:
  - Mark what this returns C(no_log) wherever it is used in a task.
"""

EXAMPLES = r"""
- name: Log in to the camera's API with its rotated password
  ansible.builtin.uri:
    url: "http://{{ ansible_host }}/ISAPI/System/deviceInfo"
    url_username: admin
    url_password: "{{ lookup('iotguard.hardening.credential', inventory_hostname, user='admin') }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One value per host (the password, or the source for C(field=source)).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError  # noqa: E402 - after the docs, as is usual
from ansible.plugins.lookup import LookupBase  # noqa: E402
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import build_store  # noqa: E402
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError  # noqa: E402


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        variables = variables or {}
        backend = self.get_option("store")
        try:
            store = build_store(
                backend,
                store_path=self.get_option("store_path"),
                inventory_dir=variables.get("inventory_dir"),
                vault_secrets=getattr(getattr(self._loader, "_vault", None), "secrets", None),
                master_password=self.get_option("store_password"),
            )
        except StoreError as exc:
            raise AnsibleLookupError(str(exc)) from None
        user = self.get_option("user")
        field = self.get_option("field")
        out = []
        for host in terms:
            try:
                acct = store.account(host, user)
            except StoreError as exc:
                raise AnsibleLookupError(str(exc)) from None
            value = (acct or {}).get(field)
            if value is None and self.get_option("errors") == "strict":
                raise AnsibleLookupError(
                    "no %s credential for user=%r on host=%r in the %s store; run the rotation first or "
                    "pass errors='empty'" % (field, user, host, backend)
                )
            out.append(value or "")
        return out
