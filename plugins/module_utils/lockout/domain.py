# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The Windows domain's lockout and password policy from the same variables as Linux.

``DomainPolicy.from_role`` takes the role's variables (seconds and days as on Linux) and
checks them the way a domain controller would; ``samba_set_args`` is what
``samba-tool domain passwordsettings set`` takes (and ``samba_pso_args`` for a
fine-grained password policy); ``windows_domain_attributes`` and ``windows_pso_attributes``
are the attributes Windows keeps on the domain object and on an ``msDS-PasswordSettings``
object (what ``Set-ADDefaultDomainPasswordPolicy`` and ``New-ADFineGrainedPasswordPolicy``
write), for ``microsoft.ad.object``. Durations there are negative counts of 100 ns; a
lockout duration of "until an administrator unlocks" is the most negative value.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError

BACKENDS = ("samba", "windows")
TICKS_PER_SECOND = 10_000_000
FOREVER = -0x8000000000000000  # "never" in AD intervals
DOMAIN_PASSWORD_COMPLEX = 1


class DomainPolicy:
    """Threshold, observation window and duration (minutes), length, complexity, history,
    ages (days): the domain's own units."""

    FIELDS = (
        "threshold",
        "window_minutes",
        "duration_minutes",
        "min_length",
        "complexity",
        "history",
        "max_age_days",
        "min_age_days",
    )

    def __init__(self, **values):
        for name in self.FIELDS:
            setattr(self, name, values[name])

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    @classmethod
    def from_role(cls, role, accept_permanent_lock=False):
        """role: the lockout_policy_* variables (seconds, days) without the prefix."""

        def minutes(field, seconds):
            if seconds % 60:
                raise LockoutError(
                    "lockout_policy_" + field,
                    seconds,
                    "is not a whole number of minutes, and a domain counts lockout times in minutes",
                    "give a multiple of 60 seconds",
                )
            return seconds // 60

        policy = cls(
            threshold=role["faillock_deny"],
            window_minutes=minutes("faillock_fail_interval", role["faillock_fail_interval"]),
            duration_minutes=minutes("faillock_unlock_time", role["faillock_unlock_time"]),
            min_length=role["password_min_length"],
            complexity=role["password_min_classes"] >= 3,
            history=role["password_history"],
            max_age_days=role["password_max_age_days"],
            min_age_days=role["password_min_age_days"],
        )
        policy.check(accept_permanent_lock)
        return policy

    def check(self, accept_permanent_lock=False, field_prefix="lockout_policy_"):
        def fail(field, value, problem, fix):
            raise LockoutError(field_prefix + field, value, problem, fix)

        if self.threshold < 1:
            fail("faillock_deny", self.threshold, "must be at least 1", "3 to 10 is usual")
        if self.threshold == 1 and self.duration_minutes == 0:
            fail(
                "faillock_unlock_time",
                0,
                "with a threshold of 1 locks every domain account for good after one typo",
                "give a lock time in seconds (900 is usual) and a threshold of 3 or more",
            )
        if self.duration_minutes == 0 and not accept_permanent_lock:
            fail(
                "faillock_unlock_time",
                0,
                "keeps domain accounts locked until an administrator unlocks them",
                "give a lock time, or set lockout_policy_accept_permanent_lock to true",
            )
        if self.duration_minutes and self.duration_minutes < self.window_minutes:
            fail(
                "faillock_unlock_time",
                self.duration_minutes * 60,
                "is shorter than the observation window (%d s); a domain controller refuses that"
                % (self.window_minutes * 60),
                "make lockout_policy_faillock_unlock_time at least lockout_policy_faillock_fail_interval",
            )
        if not 0 <= self.history <= 24:
            fail("password_history", self.history, "must be 0 to 24 in a domain", "24 is the CIS value")
        if not 0 <= self.min_length <= 255:
            fail("password_min_length", self.min_length, "must be 0 to 255", "14 is the CIS value")
        if self.max_age_days and self.min_age_days >= self.max_age_days:
            fail(
                "password_min_age_days",
                self.min_age_days,
                "must be below the maximum age (%d days)" % self.max_age_days,
                "1 day is usual",
            )


def check_backend(backend):
    if backend not in BACKENDS:
        raise LockoutError(
            "lockout_policy_domain_backend",
            backend,
            "is not a domain backend this role knows",
            "use one of: %s" % ", ".join(BACKENDS),
        )
    return backend


# --- Samba AD DC ------------------------------------------------------------------------

# samba-tool's "show" labels -> DomainPolicy fields
SAMBA_SHOW = {
    "Password complexity": "complexity",
    "Password history length": "history",
    "Minimum password length": "min_length",
    "Minimum password age (days)": "min_age_days",
    "Maximum password age (days)": "max_age_days",
    "Account lockout duration (mins)": "duration_minutes",
    "Account lockout threshold (attempts)": "threshold",
    "Reset account lockout after (mins)": "window_minutes",
}


def samba_set_args(policy):
    """Arguments of ``samba-tool domain passwordsettings set``."""
    return [
        "--complexity=%s" % ("on" if policy.complexity else "off"),
        "--history-length=%d" % policy.history,
        "--min-pwd-length=%d" % policy.min_length,
        "--min-pwd-age=%d" % policy.min_age_days,
        "--max-pwd-age=%d" % policy.max_age_days,
        "--account-lockout-duration=%d" % policy.duration_minutes,
        "--account-lockout-threshold=%d" % policy.threshold,
        "--reset-account-lockout-after=%d" % policy.window_minutes,
    ]


def parse_samba_show(text):
    """``samba-tool domain passwordsettings show`` (or ``pso show``) -> DomainPolicy fields."""
    values = {}
    for line in (text or "").splitlines():
        match = re.match(r"^\s*([^:]+?):\s*(\S+)\s*$", line)
        if not match or match.group(1) not in SAMBA_SHOW:
            continue
        field, raw = SAMBA_SHOW[match.group(1)], match.group(2)
        values[field] = raw == "on" if field == "complexity" else int(raw)
    return values


def samba_pso_args(policy, precedence):
    """Arguments after ``samba-tool domain passwordsettings pso create NAME PRECEDENCE``."""
    return [str(precedence), *samba_set_args(policy)]


def changes(current, policy):
    """{field: (have, want)} for the fields that differ."""
    want = policy.as_dict()
    return {f: (current.get(f), want[f]) for f in DomainPolicy.FIELDS if current.get(f) != want[f]}


# --- Windows Server (microsoft.ad.object) -----------------------------------------------


def _interval(seconds):
    return -int(seconds) * TICKS_PER_SECOND


def windows_domain_attributes(policy):
    """Attributes of the domain object (``DC=...``) as ``Set-ADDefaultDomainPasswordPolicy`` writes them."""
    return {
        "lockoutThreshold": policy.threshold,
        "lockOutObservationWindow": _interval(policy.window_minutes * 60),
        "lockoutDuration": FOREVER
        if policy.duration_minutes == 0
        else _interval(policy.duration_minutes * 60),
        "minPwdLength": policy.min_length,
        "pwdHistoryLength": policy.history,
        "maxPwdAge": FOREVER if policy.max_age_days == 0 else _interval(policy.max_age_days * 86400),
        "minPwdAge": _interval(policy.min_age_days * 86400),
        "pwdProperties": DOMAIN_PASSWORD_COMPLEX if policy.complexity else 0,
    }


def windows_pso_attributes(policy, precedence, applies_to):
    """Attributes of an ``msDS-PasswordSettings`` object (a fine-grained password policy)."""
    if not applies_to:
        raise LockoutError(
            "lockout_policy_domain_admin_psos",
            applies_to,
            "applies to no group",
            "name the admin groups (distinguished names) it is for",
        )
    base = windows_domain_attributes(policy)
    return {
        "msDS-PasswordSettingsPrecedence": precedence,
        "msDS-PasswordReversibleEncryptionEnabled": False,
        "msDS-LockoutThreshold": base["lockoutThreshold"],
        "msDS-LockoutObservationWindow": base["lockOutObservationWindow"],
        "msDS-LockoutDuration": base["lockoutDuration"],
        "msDS-MinimumPasswordLength": base["minPwdLength"],
        "msDS-PasswordHistoryLength": base["pwdHistoryLength"],
        "msDS-MaximumPasswordAge": base["maxPwdAge"],
        "msDS-MinimumPasswordAge": base["minPwdAge"],
        "msDS-PasswordComplexityEnabled": policy.complexity,
        "msDS-PSOAppliesTo": list(applies_to),
    }
