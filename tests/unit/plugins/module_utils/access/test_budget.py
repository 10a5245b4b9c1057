# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared login budget: sizing from evidence, the ledger between processes, the order
of tries, and a rotation on a factory-reset device with history and a threshold of 3."""

from __future__ import annotations

import json
import os

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    SOURCE_DEVICE,
    SOURCE_PRODUCT,
    SOURCE_UNKNOWN,
    BudgetError,
    Ledger,
    LoginBudget,
    budget_size,
    device_keys,
    lockout_evidence,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    BaseDriver,
    PasswordPolicy,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.rotation import Rotation
from lockoutdevice import LockoutDevice


@pytest.mark.parametrize(
    ("reported", "product", "threshold", "source", "size"),
    [
        ({"enabled": True, "threshold": 3}, {"supported": True, "threshold": 7}, 3, SOURCE_DEVICE, 1),
        ({"enabled": False}, {"supported": True, "threshold": 7}, None, SOURCE_DEVICE, 5),
        # product data is capped: the device may be set stricter than it left the factory
        (None, {"supported": True, "threshold": 7}, 7, SOURCE_PRODUCT, 2),
        (None, {"supported": True, "threshold": 5}, 5, SOURCE_PRODUCT, 2),
        (None, {"supported": True, "threshold": 3}, 3, SOURCE_PRODUCT, 1),
        (None, {"supported": False, "threshold": None}, None, SOURCE_PRODUCT, 2),
        (None, {"supported": True, "threshold": 2}, 2, SOURCE_PRODUCT, 1),
        (None, {"supported": True, "threshold": 1}, 1, SOURCE_PRODUCT, 0),
        (None, {"supported": None, "threshold": None}, None, SOURCE_UNKNOWN, 1),
        (None, None, None, SOURCE_UNKNOWN, 1),
    ],
)
def test_size_from_the_best_evidence(reported, product, threshold, source, size):
    lockout = lockout_evidence(reported, product)
    assert lockout["threshold"] == threshold and lockout["source"] == source
    n = budget_size(lockout)
    assert n == size
    if threshold:
        assert n <= threshold - 1, "the last attempt before a lock is never ours"


def test_bad_threshold_names_the_field():
    with pytest.raises(BudgetError, match=r"lockout\.threshold \(device\)=-2"):
        lockout_evidence({"enabled": True, "threshold": -2})


def test_budget_is_shared_through_the_ledger_file(tmp_path):
    path = str(tmp_path / "inv" / ".iotguard" / "login-ledger.json")
    dev = LockoutDevice({"admin": "right"}, threshold=3)
    keys = device_keys(address="127.0.0.5", mac="AA:BB:CC:00:00:01")
    lockout = lockout_evidence({"enabled": True, "threshold": 3})
    # discovery spends one failure
    first = LoginBudget(lockout, keys, Ledger(path), who="discovery")
    assert first.attempt(dev.login, "admin", "wrong1", "default") is False
    # the assessment, another process, finds the budget spent
    second = LoginBudget(lockout, keys, Ledger(path), who="assessment")
    assert second.spent_before == 1 and second.remaining() == 0
    assert second.attempt(dev.login, "admin", "wrong2", "default") is None
    assert second.exhausted and len(dev.sent) == 1 and not dev.locked
    # a good login (engineer, or a run with the right password) clears the user's failures
    Ledger(path).record(keys, "admin", True, "current", "engineer")
    third = LoginBudget(lockout, ["mac:aa:bb:cc:00:00:01"], Ledger(path), who="rotation")
    assert third.remaining() == 1
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert "right" not in text and "wrong" not in text, "the ledger holds no password"
    assert json.loads(text)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"


def test_order_pending_current_history_defaults_and_last_success_first():
    ledger = Ledger()
    b = LoginBudget(lockout_evidence(None, None), ["k"], ledger)
    tries = [("d1", "default"), ("h1", "history"), ("c", "current"), ("p", "pending"), ("h2", "history")]
    assert [t[0] for t in b.order(tries, "admin")] == ["p", "c", "h1", "h2", "d1"]
    ledger.record(["k"], "admin", True, "default", "assessment")
    assert [t[0] for t in b.order(tries, "admin")] == ["p", "d1", "c", "h1", "h2"]


def test_device_report_in_the_ledger_sizes_later_budgets():
    ledger = Ledger()
    b = LoginBudget.for_device(["k"], ledger, product={"supported": True, "threshold": 7})
    assert b.size == 2 and b.lockout["source"] == SOURCE_PRODUCT
    b.learn({"enabled": True, "threshold": 3, "duration": 600})
    assert b.size == 1 and b.lockout["source"] == SOURCE_DEVICE
    later = LoginBudget.for_device(["k"], ledger, product={"supported": True, "threshold": 7})
    assert later.size == 1 and later.lockout["threshold"] == 3 and later.window == 600


class ResetDriver(BaseDriver):
    """A device reset to its factory password while the store still holds history."""

    name = "mem"
    password_policy = PasswordPolicy(min_length=8, max_length=16, length=12)

    def __init__(self, dev):
        super().__init__("127.0.0.1", 1)
        self.dev = dev

    def login(self, username, password):
        return self.dev.login(username, password)

    def change_password(self, username, old_password, new_password):
        self.dev.passwords[username] = new_password

    def lockout_policy(self, username, password):
        return {"enabled": True, "threshold": self.dev.threshold, "duration": 1800, "evidence": "device"}


@pytest.fixture
def store(tmp_path):
    codec = VaultCodec([("default", VaultSecret(b"k"))])
    return get_store("vault_file", inventory_dir=str(tmp_path), codec=codec)


def _history(store, host, passwords):
    for pw in passwords:
        store.set_current(host, "admin", pw, "rotated")


def _rotate(store, dev, ledger, keys):
    configured = {"enabled": True, "threshold": 3}
    budget = LoginBudget.for_device(keys, ledger, configured=configured, who="rotation")
    return Rotation("cam", "admin", ResetDriver(dev), store, factory_passwords=["12345"], budget=budget).run()


def test_factory_reset_device_with_history_and_threshold_3_is_never_locked(store):
    _history(store, "cam", ["old-1-aaaa", "old-2-bbbb", "old-3-cccc"])
    dev = LockoutDevice({"admin": "12345"}, threshold=3)
    ledger = Ledger()
    keys = ["cam"]
    runs = []
    for _run in range(3):  # a pipeline that re-runs must not lock it either
        r = _rotate(store, dev, ledger, keys)
        runs.append(r)
        assert not dev.locked and max(dev.failures.values()) <= 2
    first = runs[0]
    assert first["status"] == "budget_exhausted", first
    assert "login budget exhausted" in first["reason"] and "not tried" in first["reason"]
    assert first["budget"]["threshold"] == 3 and first["budget"]["spent"] == 1
    assert [s["step"] for s in first["steps"]][:2] == ["verify_current", "verify_history"]
    assert runs[1]["status"] == runs[2]["status"] == "budget_exhausted"
    assert "12345" not in json.dumps(runs)
    # the engineer proves the factory password by hand (a good login): the next run rotates
    ledger.record(keys, "admin", True, "default", "engineer")
    r = _rotate(store, dev, ledger, keys)
    assert r["status"] == "rotated", r
    assert r["steps"][0]["step"] == "verify_default", "the kind that worked last goes first"
    assert dev.passwords["admin"] == store.current("cam", "admin") and not dev.locked


def test_a_credential_just_accepted_may_be_used_again_when_the_budget_is_spent():
    dev = LockoutDevice({"admin": "new-one"}, threshold=2)
    b = LoginBudget(lockout_evidence({"enabled": True, "threshold": 2}), ["k"])
    assert b.attempt(dev.login, "admin", "new-one", "pending") is True
    assert b.attempt(dev.login, "admin", "old-one", "default") is False  # the proof: refused
    assert b.size == 1 and b.remaining() == 0  # the refusal counts, the good login does not
    assert b.attempt(dev.login, "admin", "other", "history") is None  # spent: nothing sent
    assert b.attempt(dev.login, "admin", "new-one", "pending") is True  # proven: resets the counter
    assert dev.failures["admin"] == 0 and not dev.locked and b.remaining() == 1


def test_a_public_default_refused_once_is_not_sent_again(tmp_path):
    """The assessment spent the only allowed failure proving the factory password refused:
    rotation learns that from the ledger instead of finding its budget spent."""
    path = str(tmp_path / "login-ledger.json")
    dev = LockoutDevice({"admin": "Cisco123"}, threshold=3)
    keys = device_keys(address="127.0.0.2")
    lockout = lockout_evidence(product={"enabled": True})
    assessment = LoginBudget(lockout, keys, Ledger(path), who="assessment")
    assert assessment.size == 1
    assert assessment.attempt(dev.login, "cisco", "cisco", "default") is False
    rotation = LoginBudget(lockout, keys, Ledger(path), who="rotation")
    assert rotation.remaining() == 0
    # the same published default: answered from the ledger, nothing sent, budget untouched
    assert rotation.attempt(dev.login, "cisco", "cisco", "default") is False
    assert not rotation.exhausted and len(dev.sent) == 1
    assert rotation.attempts[-1]["result"] == "refused earlier (ledger)"
    # another password is a new try, and the budget is spent
    assert rotation.attempt(dev.login, "cisco", "other", "default") is None
    assert rotation.exhausted and len(dev.sent) == 1
    with open(path, encoding="utf-8") as fh:
        assert "Cisco123" not in fh.read(), "the ledger holds no password"


def test_the_cap_is_per_run_and_the_lockout_counts_every_failure_in_its_window():
    """A camera that reports 7 tries: an earlier run's three refused guesses leave this run
    two failures (7 - 1 - reserve 1 = 5 in the window), not none, although its own cap is 3;
    and no run ever takes the window past those 5."""
    now = [1000.0]
    ledger = Ledger(clock=lambda: now[0])
    keys = ["mac:44:19:b6:3b:cf:04"]
    reported = {"enabled": True, "threshold": 7, "duration": 300}
    before = LoginBudget(lockout_evidence(reported), keys, ledger, who="assessment", max_attempts=3)
    dev = LockoutDevice({"admin": "Rotated-1"}, threshold=7)
    for user in ("user", "guest", "support"):
        assert before.attempt(dev.login, user, "guess", "guess") is False
    assert before.remaining() == 0, "the earlier run's own cap of 3 is spent"
    now[0] += 60
    after = LoginBudget(lockout_evidence(reported), keys, ledger, who="assessment", max_attempts=3)
    assert after.size == 3 and after.device_size == 5 and after.remaining() == 2
    assert after.attempt(dev.login, "admin", "12345", "default") is False
    assert after.attempt(dev.login, "admin", "admin", "default") is False
    assert after.remaining() == 0 and after.attempt(dev.login, "admin", "other", "default") is None
    assert ledger.failures(keys, 300) == 5 and not dev.locked
    now[0] += 301  # the device forgot them: a new run has its whole cap again
    assert LoginBudget(lockout_evidence(reported), keys, ledger, max_attempts=3).remaining() == 3
