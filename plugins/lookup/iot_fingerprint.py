# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Copyright: iotguard.hardening contributors
# ruff: noqa: E402 - Ansible plugins keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
name: iot_fingerprint
short_description: Read the fingerprint database entry of a discovered device
version_added: 0.1.0
author:
  - iotguard.hardening contributors (@iotguard)
description:
  - Returns the entry of the discovery fingerprint database named by C(iot_fingerprint_id)
    (a host variable set by the C(iotguard.hardening.iot_discovery) inventory plugin and the
    C(iotguard.hardening.iot_facts) module) with vendor, model family, class, management
    protocols, lockout data, end of life, driver name and the product's factory-default
    credentials from public sources.
  - Factory-default passwords are never host variables; this lookup is how the credential
    rotation verifies a factory default. Use C(no_log) on any task that shows its result.
options:
  _terms:
    description: Fingerprint ids (C(iot_fingerprint_id)).
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Factory defaults to verify before rotating
  ansible.builtin.set_fact:
    _factory: "{{ lookup('iotguard.hardening.iot_fingerprint', iot_fingerprint_id).default_credentials }}"
  no_log: true
  when: iot_fingerprint_id is not none

- name: Lockout threshold of the product
  ansible.builtin.debug:
    msg: "{{ lookup('iotguard.hardening.iot_fingerprint', 'hikvision.camera').lockout.threshold }}"
"""

RETURN = r"""
_raw:
  description: One fingerprint entry per term.
  type: list
  elements: dict
  contains:
    id:
      description: The fingerprint id.
      type: str
    vendor:
      description: Vendor.
      type: str
    model:
      description: Model family.
      type: str
    class:
      description: Device class.
      type: str
    default_credentials:
      description: Factory defaults, each with C(username), C(password) and C(source).
      type: list
      elements: dict
    lockout:
      description: C(supported), C(threshold), C(note).
      type: dict
    eol:
      description: Null, or C(date) and C(reason).
      type: dict
"""

import copy

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        out = []
        for term in terms:
            fp = fingerprints.by_id(term)
            if fp is None:
                raise AnsibleLookupError(
                    "iot_fingerprint: %r is not a fingerprint id; use the host's iot_fingerprint_id "
                    "(null means no product matched: there are no known defaults)" % (term,)
                )
            entry = copy.deepcopy(fp)
            entry.pop("match", None)
            out.append(entry)
        return out
