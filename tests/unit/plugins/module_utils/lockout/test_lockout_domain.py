# SPDX-License-Identifier: GPL-3.0-or-later
"""The domain policy from the role's variables: Samba's arguments, Windows' attributes."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError, domain

ROLE = {
    "faillock_deny": 4,
    "faillock_fail_interval": 600,
    "faillock_unlock_time": 900,
    "password_min_length": 15,
    "password_min_classes": 3,
    "password_history": 5,
    "password_max_age_days": 200,
    "password_min_age_days": 2,
}

SHOW = """Password information for domain 'DC=lab,DC=example'

Password complexity: on
Store plaintext passwords: off
Password history length: 5
Minimum password length: 15
Minimum password age (days): 2
Maximum password age (days): 200
Account lockout duration (mins): 15
Account lockout threshold (attempts): 4
Reset account lockout after (mins): 10
"""


def test_samba_arguments_and_show_round_trip():
    policy = domain.DomainPolicy.from_role(ROLE)
    assert domain.samba_set_args(policy) == [
        "--complexity=on",
        "--history-length=5",
        "--min-pwd-length=15",
        "--min-pwd-age=2",
        "--max-pwd-age=200",
        "--account-lockout-duration=15",
        "--account-lockout-threshold=4",
        "--reset-account-lockout-after=10",
    ]
    assert domain.changes(domain.parse_samba_show(SHOW), policy) == {}
    assert domain.changes(
        domain.parse_samba_show(SHOW.replace("threshold (attempts): 4", "threshold (attempts): 0")), policy
    ) == {"threshold": (0, 4)}
    assert domain.samba_pso_args(policy, 10)[:2] == ["10", "--complexity=on"]


def test_windows_attributes_are_negative_100ns_intervals():
    attrs = domain.windows_domain_attributes(domain.DomainPolicy.from_role(ROLE))
    assert attrs == {
        "lockoutThreshold": 4,
        "lockOutObservationWindow": -6_000_000_000,
        "lockoutDuration": -9_000_000_000,
        "minPwdLength": 15,
        "pwdHistoryLength": 5,
        "maxPwdAge": -200 * 86400 * 10_000_000,
        "minPwdAge": -2 * 86400 * 10_000_000,
        "pwdProperties": 1,
    }
    forever = domain.DomainPolicy.from_role(dict(ROLE, faillock_unlock_time=0), accept_permanent_lock=True)
    assert domain.windows_domain_attributes(forever)["lockoutDuration"] == -0x8000000000000000
    pso = domain.windows_pso_attributes(forever, 5, ["CN=Domain Admins,CN=Users,DC=lab,DC=example"])
    assert pso["msDS-PSOAppliesTo"] == ["CN=Domain Admins,CN=Users,DC=lab,DC=example"]
    assert pso["msDS-LockoutThreshold"] == 4 and pso["msDS-PasswordComplexityEnabled"] is True


@pytest.mark.parametrize(
    ("change", "accept", "message"),
    [
        (
            {"faillock_deny": 1, "faillock_unlock_time": 0},
            True,
            r"lockout_policy_faillock_unlock_time: 0 with a threshold of 1",
        ),
        ({"faillock_unlock_time": 0}, False, r"accept_permanent_lock"),
        ({"faillock_unlock_time": 300}, False, r"shorter than the observation window"),
        ({"faillock_fail_interval": 90}, False, r"whole number of minutes"),
        ({"password_history": 30}, False, r"0 to 24"),
        ({"password_min_age_days": 200}, False, r"below the maximum age"),
    ],
)
def test_refused_before_anything_changes(change, accept, message):
    with pytest.raises(LockoutError, match=message):
        domain.DomainPolicy.from_role(dict(ROLE, **change), accept_permanent_lock=accept)


def test_unknown_backend_and_pso_without_groups():
    with pytest.raises(LockoutError, match=r"lockout_policy_domain_backend: 'ldap' is not a domain backend"):
        domain.check_backend("ldap")
    with pytest.raises(LockoutError, match=r"applies to no group"):
        domain.windows_pso_attributes(domain.DomainPolicy.from_role(ROLE), 5, [])
