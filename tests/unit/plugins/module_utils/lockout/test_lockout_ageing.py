# SPDX-License-Identifier: GPL-3.0-or-later
"""Password ages: login.defs rewritten in place, no account expired by surprise."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import ageing

AGES = {"max": 200, "min": 2, "warn": 10}
TODAY = 20000


def test_login_defs_replaces_and_appends():
    text = "UMASK 022\nPASS_MAX_DAYS\t99999\n# PASS_MIN_DAYS 5\nPASS_MAX_DAYS 7\n"
    after = ageing.login_defs(text, AGES)
    assert after.splitlines() == [
        "UMASK 022",
        "PASS_MAX_DAYS\t200",
        "# PASS_MIN_DAYS 5",
        "PASS_MIN_DAYS\t2",
        "PASS_WARN_AGE\t10",
    ]
    assert ageing.login_defs(after, AGES) == after


def test_plan_skips_locked_exempt_and_would_be_expired_accounts():
    shadow = "\n".join(
        [
            "root:$y$hash:19990:0:99999:7:::",
            "daemon:*:19000:0:99999:7:::",
            "locked:!$y$hash:19990:0:99999:7:::",
            "breakglass:$y$hash:19990:0:99999:7:::",
            "old:$y$hash:19700:0:99999:7:::",  # 300 days old: max 200 would expire it now
            "forced:$y$hash:0:0:99999:7:::",
            "done:$y$hash:19990:2:200:10:::",
        ]
    )
    changes, stale = ageing.plan(ageing.parse_shadow(shadow), AGES, TODAY, {"breakglass"})
    assert changes == {"root": {"max": (99999, 200), "min": (0, 2), "warn": (7, 10)}}
    assert stale == ["forced", "old"]
