# SPDX-License-Identifier: GPL-3.0-or-later
"""The rotation transaction against an in-memory device that holds real state and faults."""

from __future__ import annotations

import datetime

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils import credstore
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import LoginBudget
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import StoreError, get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import InitialPassword
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import (
    FALLBACK_RULE,
    Rotation,
    generate_password,
    learn_rule,
    summarise,
)

DEFAULT = "12345"


class Device:
    """What the device holds, and the faults it will act out."""

    def __init__(self, password=DEFAULT, both_valid=False):
        self.password = password
        self.old_too = None
        self.both_valid = both_valid
        self.faults = {}
        self.logins = []
        self.changes = []

    def fault(self, op):
        n = self.faults.get(op)
        if n:
            self.faults[op] = n - 1
            return True
        return False


class Killed(BaseException):
    """SIGKILL, as far as the run's own code can tell: nothing after it runs."""


class MemDriver(BaseDriver):
    name = "mem"
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=12)

    def __init__(self, device):
        super().__init__("127.0.0.1", 1)
        self.device = device

    def login(self, username, password):
        if self.device.fault("unreachable"):
            raise Unreachable("timed out")
        self.device.logins.append(password)
        return password == self.device.password or (password is not None and password == self.device.old_too)

    def change_password(self, username, old_password, new_password):
        d = self.device
        if d.fault("drop_before"):
            raise Unreachable("connection reset")
        if d.fault("killed_before_send"):
            raise Killed("the run died before the request left")
        self._sending()
        if d.fault("killed_after_send"):
            raise Killed("the run died with the request on the wire, which never arrived")
        if d.fault("reject_echo"):
            raise PasswordRejected("bad password %r (old %r)" % (new_password, old_password))
        if d.fault("reject"):
            raise PasswordRejected("password does not meet complexity")
        if old_password != d.password:
            raise PasswordRejected("old password wrong")
        d.changes.append(new_password)
        if d.both_valid:
            d.old_too = d.password
        d.password = new_password
        if d.fault("drop_after"):
            raise Unreachable("connection reset after the change")
        if d.fault("slow_after"):
            d.faults["unreachable"] = 2
        if d.fault("down_after"):
            d.faults["unreachable"] = 100
            raise Unreachable("gone")


@pytest.fixture
def store(tmp_path):
    return get_store(
        "vault_file", inventory_dir=str(tmp_path), codec=VaultCodec([("default", VaultSecret(b"k"))])
    )


def rotate(store, dev, **kw):
    kw.setdefault("factory_passwords", [DEFAULT])
    # the transaction's own tests: a device without lockout (the budget has its own tests)
    no_lockout = {"enabled": False, "source": "device"}
    kw.setdefault("budget", LoginBudget(no_lockout, keys=["cam1"], max_attempts=20))
    kw.setdefault("retry_delay", 0)
    return Rotation("cam1", "admin", MemDriver(dev), store, sleep=lambda s: None, **kw).run()


def assert_store_reaches(store, dev):
    acct = store.account("cam1", "admin")
    assert dev.password in credstore.candidates(acct), "the device holds a password the store does not know"


def test_rotates_default_then_idempotent(store):
    dev = Device()
    r = rotate(store, dev)
    assert r["status"] == "rotated", r
    assert r["changed"] and r["credential_source"] == "default"
    acct = store.account("cam1", "admin")
    assert acct["current"] == dev.password != DEFAULT
    assert acct["pending"] is None
    assert [h["password"] for h in acct["history"]] == [DEFAULT]
    assert MemDriver.password_policy.check(dev.password) is None
    # proven: new accepted, then old refused, then new again (the device's failure counter
    # is back at zero)
    assert dev.logins[-3:] == [dev.password, DEFAULT, dev.password]
    assert DEFAULT not in repr(r) and dev.password not in repr(r)
    r2 = rotate(store, dev)
    assert (r2["status"], r2["changed"]) == ("compliant", False)
    assert len(dev.changes) == 1


def test_check_mode_touches_nothing(store):
    dev = Device()
    r = rotate(store, dev, check_mode=True)
    assert (r["status"], r["changed"]) == ("would_rotate", True)
    assert dev.password == DEFAULT and not dev.changes
    assert store.account("cam1", "admin") is None
    assert dev.logins == [DEFAULT]


@pytest.mark.parametrize(
    ("fault", "status", "device_changed"),
    [
        ("drop_after", "rotated", True),  # change landed, connection lost: proven by login
        ("drop_before", "failed", False),  # never landed: old kept, pending dropped
        ("reject", "rotated", True),  # refused once: retried to the fallback rule
        ("down_after", "failed", True),  # landed, then device gone: pending kept
    ],
)
def test_faults_leave_device_reachable(store, fault, status, device_changed):
    dev = Device()
    dev.faults[fault] = 1
    r = rotate(store, dev)
    assert r["status"] == status, r
    assert r["reason"]
    assert (dev.password != DEFAULT) is device_changed
    assert_store_reaches(store, dev)
    dev.faults.clear()
    r2 = rotate(store, dev)
    assert r2["status"] in ("rotated", "reconciled", "compliant"), r2
    acct = store.account("cam1", "admin")
    assert acct["current"] == dev.password and acct["pending"] is None


def test_reconciles_pending_left_by_killed_run(store):
    dev = Device()
    store.set_current("cam1", "admin", DEFAULT, "default")
    store.set_pending("cam1", "admin", "Kill3d-Midway")
    dev.password = "Kill3d-Midway"  # the device took it, the run died before promoting
    r = rotate(store, dev)
    assert (r["status"], r["reconciled"], r["changed"]) == ("reconciled", True, True), r
    acct = store.account("cam1", "admin")
    assert acct["current"] == "Kill3d-Midway" and acct["pending"] is None
    assert dev.logins == ["Kill3d-Midway"]


@pytest.mark.parametrize("killed", ["killed_before_send", "killed_after_send"])
def test_killed_mid_change_next_run_spends_no_login_it_cannot_afford(store, killed):
    """A run dies during the change, which never reaches the device. On a device of unknown
    lockout (one failed login per window) the next run must still find the password that
    works: a pending one never sent is not tried at all; one that may have been sent is
    tried first (it is the likelier), and then the budget decides."""
    dev = Device()
    dev.faults[killed] = 1
    with pytest.raises(Killed):
        rotate(store, dev)
    acct = store.account("cam1", "admin")
    staged = acct["pending"]
    assert staged and dev.password == DEFAULT and not dev.changes
    assert bool(acct["pending_unsent"]) == (killed == "killed_before_send"), acct
    dev.logins.clear()
    r = rotate(store, dev, budget=LoginBudget(keys=["cam1"]))  # unknown lockout: one failure
    acct = store.account("cam1", "admin")
    if killed == "killed_before_send":
        assert staged not in dev.logins, "a login was spent on a password the device never saw"
        assert dev.logins[0] == DEFAULT, dev.logins
        assert (r["status"], r["reconciled"]) == ("rotated", True), r
        assert acct["current"] == dev.password != staged and acct["pending"] is None
    else:
        # sent, maybe landed: tried first and refused; the one failed login of the window is
        # spent, so the run stops there instead of risking a lock (the next window proves it)
        assert dev.logins == [staged], dev.logins
        assert r["status"] == "budget_exhausted", r
        assert acct["pending"] == staged and dev.password == DEFAULT
    assert_store_reaches(store, dev)


def test_unsent_pending_the_device_holds_anyway_is_still_found(store):
    """A driver that changed the password without saying so first (no ``_sending``): the
    flag lies, and the pending password is tried last rather than never."""
    dev = Device()
    store.set_current("cam1", "admin", DEFAULT, "default")
    store.stage("cam1", "admin", DEFAULT, "default", "Landed-Quietly1")
    dev.password = "Landed-Quietly1"
    r = rotate(store, dev)
    assert dev.logins[:2] == [DEFAULT, "Landed-Quietly1"], dev.logins
    assert r["credential_source"] == "pending" and r["reconciled"], r
    assert_store_reaches(store, dev)


def test_pending_sent_is_recorded_once_before_the_password_leaves(store, monkeypatch):
    dev = Device()
    marks = []
    real = store.mark_sent

    def mark(host, user):
        marks.append(list(dev.changes))  # what the device had when the mark was written
        real(host, user)

    monkeypatch.setattr(store, "mark_sent", mark)
    r = rotate(store, dev)
    assert r["status"] == "rotated", r
    assert marks == [[]], "mark_sent must be written once, before the device took the password"
    acct = store.account("cam1", "admin")
    assert acct["pending"] is None and acct["pending_unsent"] is None


def test_stale_pending_is_dropped(store):
    dev = Device()
    store.set_pending("cam1", "admin", "Never-Applied1")
    r = rotate(store, dev)
    assert r["status"] == "rotated" and r["reconciled"]
    acct = store.account("cam1", "admin")
    assert acct["current"] == dev.password and acct["pending"] is None


@pytest.mark.parametrize(
    ("write", "says"), [("stage", "device untouched"), ("mark_sent", "new password was not sent")]
)
def test_store_not_writable_device_untouched(store, monkeypatch, write, says):
    """The store refuses the journal (the staged password, or the mark that it leaves now):
    nothing reaches the device, and no pending password is left behind."""
    dev = Device()

    def boom(*a, **k):
        raise StoreError("cannot write host_vars/cam1/iotguard_credentials.yml: read-only file system")

    monkeypatch.setattr(store, write, boom)
    r = rotate(store, dev)
    assert r["status"] == "failed" and says in r["reason"], r
    assert dev.password == DEFAULT and not dev.changes
    assert (store.account("cam1", "admin") or {}).get("pending") is None


def test_store_fails_at_commit_rolls_back(store, monkeypatch):
    dev = Device()

    def boom(*a, **k):
        raise StoreError("disk full")

    monkeypatch.setattr(store, "promote", boom)
    r = rotate(store, dev)
    assert r["status"] == "failed" and "rolled back" in r["reason"], r
    assert dev.password == DEFAULT
    assert_store_reaches(store, dev)


def test_old_still_accepted_is_a_failure(store):
    dev = Device(both_valid=True)
    r = rotate(store, dev)
    assert r["status"] == "failed" and "old password" in r["reason"]
    assert store.account("cam1", "admin")["current"] == dev.password


def test_slow_device_verified_with_retries(store):
    dev = Device()
    dev.faults["slow_after"] = 1
    r = rotate(store, dev, verify_retries=4)
    assert r["status"] == "rotated", r
    verify_new = [s["result"] for s in r["steps"] if s["step"] == "verify_new"]
    assert verify_new == ["unreachable", "unreachable", "accepted"]


def test_unknown_password_fails_without_change(store):
    dev = Device(password="Set-By-Hand")
    r = rotate(store, dev)
    assert r["status"] == "failed" and "none of the 1 known" in r["reason"]
    assert not dev.changes


def test_factory_account_the_device_does_not_use_is_not_a_failure(store):
    # an account taken from the product's factory list, refused with its default and
    # unknown to the store: the device does not use it; nothing changes, nothing fails
    dev = Device(password="Set-By-Hand")
    r = rotate(store, dev, default_account=True)
    assert r["status"] == "not_in_use" and "nothing to rotate" in r["reason"]
    assert not dev.changes
    assert store.account("cam1", "admin") in (None, {}) or not credstore.candidates(
        store.account("cam1", "admin")
    )


def test_factory_account_with_a_stored_password_that_fails_is_still_a_failure(store):
    # once the store knows the account, losing it is a real failure, whoever named it
    dev = Device()
    assert rotate(store, dev)["status"] == "rotated"
    dev.password = "Changed-Behind-Our-Back"
    r = rotate(store, dev, default_account=True)
    assert r["status"] == "failed"


@pytest.mark.parametrize(
    ("policy", "age_days", "expect"),
    [
        ("never", 400, "compliant"),
        ("if_default", 400, "compliant"),
        ("max_age", 10, "compliant"),
        ("max_age", 100, "rotated"),
        ("always", 0, "rotated"),
    ],
)
def test_policies_on_a_rotated_password(store, policy, age_days, expect):
    dev = Device(password="Rot4ted-Before")
    store.set_current(
        "cam1",
        "admin",
        "Rot4ted-Before",
        "rotated",
        now=credstore.utcnow() - datetime.timedelta(days=age_days),
    )
    r = rotate(store, dev, policy=policy, max_age_days=90)
    assert r["status"] == expect, r


def test_given_password_checked_against_policy(store):
    dev = Device()
    r = rotate(store, dev, new_password="short")
    assert r["status"] == "failed" and "policy" in r["reason"] and "short" not in r["reason"]
    r = rotate(store, dev, new_password="Given-Pass-9")
    assert r["status"] == "rotated" and dev.password == "Given-Pass-9"
    assert rotate(store, dev, new_password="Given-Pass-9")["status"] == "compliant"


def test_generate_password_meets_policy():
    pol = PasswordPolicy(min_length=8, max_length=16, length=30)
    seen = {generate_password(pol) for dummy in range(200)}
    assert len(seen) == 200
    assert all(len(p) == 16 and pol.check(p) is None for p in seen)
    digits = PasswordPolicy(min_length=6, max_length=6, classes=["0123456789"])
    assert generate_password(digits).isdigit()


def test_summarise():
    s = summarise(
        [
            {"host": "a", "status": "rotated"},
            {"host": "b", "status": "failed", "reason": "x", "user": "admin"},
            {"host": "c", "status": "compliant"},
        ]
    )
    assert (s["rotated"], s["failed"], s["compliant"], s["total"]) == (1, 1, 1, 3)
    assert s["failures"] == [{"host": "b", "user": "admin", "reason": "x"}]


def test_device_echo_of_secrets_is_scrubbed(store):
    dev = Device(password="Stored-Pass-1")
    store.set_current("cam1", "admin", "Stored-Pass-1", "rotated")
    dev.faults["reject_echo"] = 2  # refused twice (the retry with the learned rule too)
    r = rotate(store, dev, policy="always")
    assert r["status"] == "failed"
    assert r["reason"].count("********") == 2, r["reason"]
    assert "Stored-Pass-1" not in repr(r)
    for item in store.account("cam1", "admin")["history"]:
        assert item["password"] not in repr(r)


def test_change_landing_after_the_run_gave_up_is_found(store):
    """A change still in flight when the run dropped pending (killed run, slow device)
    lands later: the abandoned password is kept in history and the next run finds it."""
    dev = Device()
    dev.faults["drop_before"] = 1
    r = rotate(store, dev)
    assert r["status"] == "failed"
    acct = store.account("cam1", "admin")
    assert acct["pending"] is None
    late = acct["history"][0]["password"]
    assert acct["history"][0]["abandoned"] is True
    dev.password = late  # the device applies it after all
    r2 = rotate(store, dev)
    assert r2["status"] == "reconciled" and r2["credential_source"] == "history", r2
    assert store.account("cam1", "admin")["current"] == late


@pytest.mark.parametrize(
    ("message", "rule"),
    [
        (
            "character '~' is not allowed (allowed symbols: !#)",
            {"symbols": "!#", "min_length": 12, "max_length": 16},
        ),
        ("password too long: 20 characters, maximum 12", {"symbols": "", "min_length": 12, "max_length": 12}),
        ("character '!' is not allowed (allowed symbols: none)", {"symbols": "", "min_length": 12}),
        ("Error 0x1f", FALLBACK_RULE),
    ],
)
def test_learn_rule_from_what_the_device_said(message, rule):
    got = learn_rule(message)
    assert {k: got[k] for k in rule} == {k: rule[k] for k in rule}
    pw = generate_password(PasswordPolicy.from_dict(got))
    assert got["min_length"] <= len(pw) <= got["max_length"]
    assert all(c.isalnum() or c in (got.get("symbols") or "") for c in pw)


def test_refused_twice_is_a_failure_and_the_device_keeps_its_password(store):
    dev = Device()
    dev.faults["reject"] = 2
    r = rotate(store, dev)
    assert r["status"] == "failed" and "rejected" in r["reason"]
    assert dev.password == DEFAULT and [s["step"] for s in r["steps"]].count("change") == 2
    assert (store.account("cam1", "admin") or {}).get("pending") is None


def test_learned_rule_is_kept_for_the_next_run(store):
    class Strict(MemDriver):
        def change_password(self, username, old_password, new_password):
            if any(not c.isalnum() and c not in "!#" for c in new_password):
                raise PasswordRejected("character not allowed (allowed symbols: !#)")
            super().change_password(username, old_password, new_password)

    dev = Device()
    r = Rotation("cam1", "admin", Strict(dev), store, factory_passwords=[DEFAULT], retry_delay=0,
                 budget=LoginBudget({"enabled": False, "source": "device"}, keys=["cam1"])).run()  # fmt: skip
    if r["status"] == "rotated" and "learned_rule" not in r:
        return  # the first generated password happened to use only ! and #: nothing to learn
    assert r["status"] == "rotated", r
    assert r["learned_rule"]["symbols"] == "!#"
    assert store.load("cam1")["policy"]["symbols"] == "!#"


class ClaimableDriver(InitialPassword, MemDriver):
    """A device that ships with no password (``password is None``) until claimed."""

    initial_account = "admin"

    def unclaimed(self, username):
        return self.device.password is None

    def claim(self, username, new_password):
        d = self.device
        if d.fault("reject"):
            raise PasswordRejected("riskPassword")
        if d.password is not None:
            raise PasswordRejected("already activated")
        d.changes.append(new_password)
        d.password = new_password
        if d.fault("drop_after"):
            raise Unreachable("connection reset after the change")


def claim_run(store, dev, **kw):
    budget = LoginBudget({"enabled": False, "source": "device"}, keys=["cam1"], max_attempts=20)
    return Rotation("cam1", "admin", ClaimableDriver(dev), store, budget=budget, retry_delay=0, **kw).run()


def test_unclaimed_device_is_claimed_journalled_and_proven(store):
    dev = Device(password=None)
    res = claim_run(store, dev)
    assert res["status"] == "rotated" and res["credential_source"] == "unclaimed" and res["changed"]
    acct = store.account("cam1", "admin")
    assert acct["current"] == dev.password and acct["pending"] is None
    assert dev.logins == [dev.password]  # proven with the new one, nothing guessed before
    # the next run finds the stored password
    again = claim_run(store, dev)
    assert again["status"] == "compliant" and dev.changes == [acct["current"]]


@pytest.mark.parametrize(
    ("kw", "fault", "status"),
    [
        ({"check_mode": True}, None, "would_rotate"),
        ({"policy": "never"}, None, "failed"),
        ({}, "reject", "failed"),
    ],
)
def test_unclaimed_device_left_unset(store, kw, fault, status):
    dev = Device(password=None)
    if fault:
        dev.faults[fault] = 1
    res = claim_run(store, dev, **kw)
    assert res["status"] == status and "anyone" in res["steps"][0]["detail"]
    assert dev.password is None
    acct = store.account("cam1", "admin")
    assert not acct or (acct["current"] is None and acct["pending"] is None)


def test_claim_that_dropped_after_landing_is_reconciled(store):
    dev = Device(password=None)
    dev.faults["drop_after"] = 1
    res = claim_run(store, dev)
    assert res["status"] == "rotated"  # the login decides: it landed
    assert store.account("cam1", "admin")["current"] == dev.password


def test_only_the_initial_account_is_claimed(store):
    dev = Device(password=None)
    budget = LoginBudget({"enabled": False, "source": "device"}, keys=["cam1"], max_attempts=20)
    res = Rotation(
        "cam1", "operator", ClaimableDriver(dev), store, budget=budget, retry_delay=0, factory_passwords=["x"]
    ).run()
    assert res["status"] == "failed" and res["credential_source"] is None and dev.password is None
