# -*- coding: utf-8 -*-
# Copyright (c) 2026, iotguard.hardening maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""rotation_summary: the credential rotation's per-client summary from the hosts' outcomes
(glue over module_utils.rotation; documented in rotation_summary.yml beside this file)."""

from __future__ import annotations

import datetime
import os

from ansible.errors import AnsibleFilterError
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import (
    client_summaries,
    count_rows,
    summary_rows,
)


def _get(hv, name, default=None):
    try:
        value = hv.get(name, default) if hasattr(hv, "get") else hv[name]
    except KeyError:
        return default
    return default if value is None else value


def _client(hv, client):
    if client:
        return client
    site = _get(hv, "iot_site")
    if site:
        return str(site)
    inv = _get(hv, "inventory_dir")
    return os.path.basename(str(inv).rstrip("/")) if inv else "default"


def rotation_summary(hostvars, hosts, client="", check_mode=False, regenerate=None):
    """``{"rows", "counts", "clients": {client: document}}`` for ``hosts``."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("rotation_summary: hosts must be a list of inventory host names")
    outcomes = []
    for host in hosts:
        try:
            hv = hostvars[host]
        except KeyError:
            continue
        results = _get(hv, "__credential_rotation_results", {})
        outcomes.append(
            {
                "host": host,
                "client": _client(hv, client),
                "selected": _get(hv, "__credential_rotation_selected", False),
                "unmanaged": _get(hv, "__credential_rotation_unmanaged", False),
                "results": results.get("results") if isinstance(results, dict) else None,
            }
        )
    rows = summary_rows(outcomes)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "rows": rows,
        "counts": count_rows(rows),
        "clients": client_summaries(rows, now, check_mode=check_mode, regenerate=regenerate),
    }


class FilterModule:
    def filters(self):
        return {"rotation_summary": rotation_summary}
