# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Discovery core: sources (targets), asynchronous probes, fingerprint matching.

Plain Python with no Ansible objects in its signatures; the inventory plugin
``iotguard.hardening.iot_discovery`` and the module ``iotguard.hardening.iot_facts`` are
thin glue over it.
"""
