#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: totp_enroll
short_description: Enrol engineers for the TOTP second factor, secrets kept vault-encrypted
description:
  - Creates a TOTP secret (RFC 6238, 160 bits) for each name that has none yet and keeps all
    of them in one ansible-vault encrypted file on the controller (mode 0600). Existing
    secrets are never changed, so enrolling again is idempotent.
  - Writes, per engineer, the C(otpauth://) URI and a QR code PNG for an authenticator app,
    both only inside the vault (C(<name>-totp.uri.vault), C(<name>-totp.png.vault), 0600);
    nothing secret stays in clear on the controller. Hand them over with
    C(ansible-vault view <name>-totp.uri.vault) or
    C(ansible-vault decrypt --output - <name>-totp.png.vault > /dev/shm/qr.png) on the
    engineer's screen. Plain C(<name>-totp.uri) / C(.png) files of earlier releases are removed.
  - Runs on the controller only (an action); the play needs a vault password
    (C(--vault-password-file) or C(--ask-vault-pass)).
  - The result holds the secrets (for the hub's authenticator) and is always C(no_log).
version_added: 0.1.0
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
requirements:
  - qrcode[pil] (for O(export_dir))
options:
  names:
    description: Engineers (peer names) to enrol.
    type: list
    elements: str
    required: true
  store:
    description: The encrypted secrets file, under the client's inventory.
    type: path
    required: true
  issuer:
    description: Issuer shown by authenticator apps.
    type: str
    default: iotguard
  export_dir:
    description: Where to write C(<name>-totp.uri.vault) and C(<name>-totp.png.vault); omit for none.
    type: path
  create:
    description:
      - Create a secret for a name that has none. With C(false) a name without a usable
        secret in O(store) fails the task, naming it, and nothing is written (for a role
        that must reuse the secrets engineers already carry).
    type: bool
    default: true
  revoke:
    description:
      - Names whose secret is deleted from O(store) and whose hand-over files are removed
        from O(export_dir); the other names are not touched. Must not appear in O(names).
    type: list
    elements: str
    default: []
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: In check mode nothing is written; new secrets are generated but discarded.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Enrol the engineers
  iotguard.hardening.totp_enroll:
    names: [alice, bob]
    store: "{{ inventory_dir }}/wireguard/gw1-totp.vault"
    export_dir: "{{ inventory_dir }}/wireguard/export"
  register: enrol

- name: Revoke carol's second factor, keep the others
  iotguard.hardening.totp_enroll:
    names: [alice, bob]
    revoke: [carol]
    store: "{{ inventory_dir }}/wireguard/gw1-totp.vault"
    export_dir: "{{ inventory_dir }}/wireguard/export"
"""

RETURN = r"""
enrolled:
  description: Names that got a new secret in this run.
  returned: always
  type: list
  elements: str
revoked:
  description: Names of O(revoke) whose secret or hand-over files were removed in this run.
  returned: always
  type: list
  elements: str
exported:
  description: Vault-encrypted QR code files written in this run.
  returned: always
  type: list
  elements: str
secrets:
  description: Base32 secret per requested name (the task result is never logged).
  returned: always
  type: dict
"""
