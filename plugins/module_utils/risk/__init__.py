# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Security risk assessment core: the findings catalogue, checks, probes, scores, reports.

Plain Python with no Ansible objects in its signatures. The module
``iotguard.hardening.risk_assess`` evaluates one device; ``iotguard.hardening.risk_report``
scores a whole client, compares with the previous run and writes the reports.
"""
