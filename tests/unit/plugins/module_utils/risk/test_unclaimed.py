# SPDX-License-Identifier: GPL-3.0-or-later
"""Evidence the device gives itself: no password yet (claimable), or its own default flag."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess, checks


class Asked:
    initial_account = "admin"

    def __init__(self, unclaimed=None, defaults=(), error=None):
        self._unclaimed, self._defaults, self._error = unclaimed, set(defaults), error
        self.asked = []

    def unclaimed(self, username):
        self.asked.append(username)
        if self._error:
            raise self._error
        return self._unclaimed

    def reports_default(self, username, password):
        return username in self._defaults if self._defaults else None


def test_unclaimed_account_is_a_default_credentials_finding():
    notes = []
    assert assess.unclaimed_account(Asked(unclaimed=True), notes) == "admin"
    res = assess._unclaimed_result("hikvision_isapi", "admin")
    found = checks.default_credentials(None, {"credentials": res}, {})
    assert found == [("hikvision_isapi", "account 'admin': " + res["accepted"]["source"])]
    assert "anyone on its network" in found[0][1]
    assert "IOTG-DEFAULT-CREDS" not in checks.unknown_rules(_Dev(), {"credentials": res}, {})


def test_a_device_with_a_password_or_no_answer_is_no_finding():
    notes = []
    assert assess.unclaimed_account(Asked(unclaimed=False), notes) is None
    assert assess.unclaimed_account(Asked(unclaimed=None), notes) is None
    assert assess.unclaimed_account(object(), notes) is None
    assert assess.unclaimed_account(Asked(error=OSError("reset")), notes) is None
    assert "could not ask" in notes[0]


def test_device_says_default_names_only_flagged_accounts():
    notes = []
    proven = {"admin": "x", "operator": "y"}
    assert assess.device_says_default(Asked(defaults={"operator"}), proven, notes) == ["operator"]
    assert assess.device_says_default(Asked(), proven, notes) == []
    assert assess.device_says_default(object(), proven, notes) == []


class _Dev:
    lockout = False

    def login_surface(self):
        return True
