# -*- coding: utf-8 -*-
# Copyright (c) 2026, iotguard.hardening maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""compensation_recheck: a compensating control re-checked in the gateway's live table
(glue over module_utils.risk.compensation; documented in compensation_recheck.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.compensation import (
    isolation_recheck,
    recheck,
)


def compensation_recheck(nft_json, control):
    """``{"present": bool, "evidence": str}`` for ``control`` in ``nft_json``."""
    if not isinstance(control, dict):
        raise AnsibleFilterError(
            "compensation_recheck: control must be a rate_limits entry or a zone isolation (a mapping)"
        )
    check = isolation_recheck if control.get("kind") == "zone_isolation" else recheck
    present, evidence = check(nft_json if isinstance(nft_json, (str, dict)) else "", control)
    return {"present": present, "evidence": evidence}


class FilterModule:
    def filters(self):
        return {"compensation_recheck": compensation_recheck}
