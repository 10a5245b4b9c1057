# SPDX-License-Identifier: GPL-3.0-or-later
"""The rotation summary (credential-rotation.json) built in module_utils from the hosts'
outcomes: rows per account, counts, the can't-rotate list with reasons and manual steps."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.filter.rotation_summary import rotation_summary
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import (
    MANUAL_STEPS,
    cannot_rotate,
    summary_rows,
)


def _result(user, status, reason="", **kw):
    return dict({"user": user, "status": status, "reason": reason, "changed": False, "logins": 2}, **kw)


HOSTVARS = {
    "cam-1": {
        "iot_site": "clinic",
        "__credential_rotation_selected": True,
        "__credential_rotation_unmanaged": False,
        "__credential_rotation_results": {
            "results": [
                _result("admin", "rotated", "factory default credential replaced and proven"),
                _result("user", "failed", "device rejected the new password: allowed symbols: !#"),
                {"skipped": True, "item": "guest"},
            ]
        },
    },
    "gw-1": {
        "iot_site": "clinic",
        "__credential_rotation_selected": "True",
        "__credential_rotation_unmanaged": False,
        "__credential_rotation_results": {
            "results": [_result("root", "budget_exhausted", "login budget exhausted: ...")]
        },
    },
    "speaker": {
        "iot_site": "clinic",
        "__credential_rotation_selected": True,
        "__credential_rotation_unmanaged": True,
    },
    "crashed": {"inventory_dir": "/x/other-client", "__credential_rotation_selected": True},
    "out-of-scope": {"__credential_rotation_selected": False},
}


def test_summary_rows_counts_and_cannot_rotate():
    out = rotation_summary(HOSTVARS, list(HOSTVARS), regenerate="if_default")
    assert sorted(out["clients"]) == ["clinic", "other-client"]
    clinic = out["clients"]["clinic"]
    assert clinic["counts"]["rotated"] == 1 and clinic["counts"]["failed"] == 1
    assert clinic["counts"]["budget_exhausted"] == 1 and clinic["counts"]["not_managed"] == 1
    assert clinic["counts"]["total"] == 4 == len(clinic["devices"])
    cant = {(c["host"], c["user"]): c for c in clinic["cannot_rotate"]}
    assert set(cant) == {("cam-1", "user"), ("gw-1", "root"), ("speaker", None)}
    assert "allowed symbols" in cant[("cam-1", "user")]["reason"]
    assert cant[("gw-1", "root")]["manual_step"] == MANUAL_STEPS["budget_exhausted"]
    other = out["clients"]["other-client"]
    assert (
        other["devices"][0]["status"] == "failed"
        and "before its rotation ran" in other["devices"][0]["reason"]
    )
    assert out["counts"]["total"] == 5


def test_rotated_rows_are_not_in_the_cannot_rotate_list():
    rows = summary_rows(
        [{"host": "a", "client": "c", "selected": True, "results": [_result("admin", "compliant")]}]
    )
    assert rows[0]["status"] == "compliant" and cannot_rotate(rows) == []
