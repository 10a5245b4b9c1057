# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation transaction: verify, change, verify, commit, and never lose a password.

The order is the one password vaults use, and each step exists so that a failure at any
point leaves the device reachable with a credential the store knows:

0. a device that ships with no password at all (an un-activated Hikvision, an Axis without
   its initial admin) is claimed first: anyone on its network could set the password, so the
   rotation sets a fresh one the same journalled way (pending, set, proven, promoted).
1. find the credential that works now: pending, current, history (newest first), then the
   factory defaults from the fingerprint data, spending from the device's login budget
   (``access.budget``): when it is spent the result is ``budget_exhausted``, never a lock.
   A pending one that works means an earlier run changed the device and died before
   committing: promote it (*reconciled*).
2. decide from the policy (never / if_default / max_age / always) whether to rotate.
3. make the new password (the device's own policy, ``secrets``) or take the given one.
4. write it to the store as *pending* BEFORE touching the device.
5. change it on the device.
6. log in with the new one (retried: slow devices apply changes late).
7. prove the old one is refused.
8. promote pending to current; the old one goes to history. If the store cannot take the
   promotion, put the old password back on the device when the driver can; the pending
   entry stays in the store either way, so the next run finds whichever works.

Nothing returned here contains a secret.
"""

from __future__ import annotations

import re
import secrets
import time

from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import (
    LoginBudget,
    lockout_evidence,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (
    StoreError,
    candidates,
    parse_time,
    utcnow,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import (
    DriverError,
    ManualStep,
    OpenAccess,
    PasswordPolicy,
    PasswordRejected,
    Unreachable,
    clean,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.capabilities import (
    InitialPassword,
)

POLICIES = ("never", "if_default", "max_age", "always")
STATUSES = (
    "rotated", "compliant", "would_rotate", "reconciled", "not_in_use", "manual",
    "budget_exhausted", "failed",
)  # fmt: skip


def generate_password(policy=None, length=None, avoid=(), username=None):
    """A random password the device accepts: one of each required class, rest from the
    alphabet, shuffled with ``secrets.SystemRandom``."""
    policy = policy or PasswordPolicy()
    n = policy.target_length(length)
    rng = secrets.SystemRandom()
    for dummy in range(100):
        chars = [secrets.choice(cls) for cls in policy.classes][:n]
        chars += [secrets.choice(policy.alphabet) for dummy in range(n - len(chars))]
        rng.shuffle(chars)
        pw = "".join(chars)
        if username and len(username) >= 3 and username.lower() in pw.lower():
            continue
        if pw not in avoid and policy.check(pw) is None:
            return pw
    raise ValueError("cannot generate a password for this policy; check min_length/max_length/classes")


#: when a device refuses a password without saying why: letters and digits, 12-16
FALLBACK_RULE = {"min_length": 12, "max_length": 16, "length": 14, "classes": ["lower", "upper", "digit"]}
_RULE_PATTERNS = (
    ("symbols", re.compile(r"allowed symbols?:?\s*(?P<v>none|[!-/:-@\[-`{-~]+)", re.I)),
    ("max_length", re.compile(r"(?:maximum|at most|no more than)\s*(?P<v>\d{1,3})", re.I)),
    ("min_length", re.compile(r"(?:minimum|at least)\s*(?P<v>\d{1,3})\s*(?:characters|chars)?", re.I)),
)


def learn_rule(message):
    """The password rule a device stated when it refused one (``allowed symbols: !#``,
    ``maximum 12``), as a PasswordPolicy dict; the conservative fallback when it stated
    nothing we understand."""
    rule = {}
    for key, pattern in _RULE_PATTERNS:
        m = pattern.search(message or "")
        if m:
            value = m.group("v")
            if key == "symbols":
                # "(allowed symbols: !#)": a closing bracket is as likely the sentence's as
                # an allowed symbol; leaving it out only narrows what we generate
                rule[key] = "" if value.lower() == "none" else value.rstrip(")")
            else:
                rule[key] = int(value)
    if not rule:
        return dict(FALLBACK_RULE)
    lo = max(8, min(int(rule.get("min_length", 12)), 64))
    hi = max(lo, min(int(rule.get("max_length", 16)), 64))
    rule.update({"min_length": lo, "max_length": hi, "length": min(hi, max(lo, 14))})
    rule.setdefault("symbols", "")  # a device that states one rule may hide another: no symbols
    return rule


class Rotation:
    """One account on one device. ``run()`` returns a result dict without secrets."""

    def __init__(
        self,
        host,
        username,
        driver,
        store,
        policy="if_default",
        max_age_days=None,
        factory_passwords=(),
        new_password=None,
        length=None,
        check_mode=False,
        verify_retries=3,
        retry_delay=1.0,
        sleep=time.sleep,
        default_account=False,
        budget=None,
    ):
        if policy not in POLICIES:
            raise ValueError("regenerate=%r is not one of %s" % (policy, ", ".join(POLICIES)))
        if policy == "max_age" and max_age_days is None:
            raise ValueError("regenerate=max_age needs max_age_days (for example 90)")
        self.host = host
        self.username = username
        self.driver = driver
        self.store = store
        self.policy = policy
        self.max_age_days = max_age_days
        self.factory = [p for p in (factory_passwords or ()) if p is not None]
        self.new_password = new_password
        self.length = length
        self.check_mode = check_mode
        self.verify_retries = max(1, int(verify_retries))
        self.retry_delay = float(retry_delay)
        self.sleep = sleep
        # the account was taken from the product's list of factory accounts, not named by
        # the engineer: a device without it (or with it changed long ago) is no failure
        self.default_account = bool(default_account)
        self.steps = []
        self.logins = 0
        self._rejected = None
        # a pending password the store says never left (tried last)
        self._unsent = None
        # without a budget from the resolver: the safe one (lockout unknown: one failure)
        self.budget = budget or LoginBudget(lockout_evidence(), keys=[str(host)], who="rotation")
        # factory defaults are public (and short words like "admin" or "pass"): only real
        # secrets are masked
        self._secrets = [new_password] if new_password else []
        self.result = {
            "host": host,
            "user": username,
            "driver": getattr(driver, "name", None),
            "status": None,
            "changed": False,
            "reason": "",
            "credential_source": None,
            "reconciled": False,
        }

    # -- small pieces -----------------------------------------------------------------------
    def _step(self, name, outcome, detail=None):
        item = {"step": name, "result": outcome}
        if detail:
            item["detail"] = clean(detail)
        self.steps.append(item)

    def _login(self, password, step, kind="current"):
        """True/False as the device answered; None when the budget allows no more failures."""
        try:
            ok = self.budget.attempt(self.driver.login, self.username, password, kind)
        except Unreachable as exc:
            self._step(step, "unreachable", str(exc))
            raise
        except DriverError as exc:
            self._step(step, "error", str(exc))
            raise
        if ok is None:
            self._step(step, "not tried: login budget exhausted")
            return None
        self.logins += 1
        self._step(step, "accepted" if ok else "refused")
        return ok

    def _login_retry(self, password, step, kind="current"):
        """True/False after up to ``verify_retries`` tries; None when never reachable or the
        budget ran out first."""
        answer = None
        for attempt in range(self.verify_retries):
            if attempt:
                self.sleep(self.retry_delay * attempt)
            try:
                ok = self._login(password, step, kind)
            except DriverError:
                continue
            if ok is None:
                return answer
            if ok:
                return True
            answer = False
        return answer

    def _scrub(self, text):
        """Devices may echo what they were sent: no known secret survives into a result."""
        for secret in sorted(set(self._secrets), key=len, reverse=True):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "********")
        return text

    def _finish(self, status, reason="", changed=None):
        self.result["status"] = status
        self.result["reason"] = self._scrub(clean(reason, 512))
        for step in self.steps:
            if "detail" in step:
                step["detail"] = self._scrub(step["detail"])
        if changed is not None:
            self.result["changed"] = changed
        self.result["steps"] = self.steps
        self.result["logins"] = self.logins
        self.result["budget"] = self.budget.report()
        return self.result

    # -- the transaction ----------------------------------------------------------------------
    def run(self):
        try:
            return self._run()
        finally:
            try:
                self.driver.close()
            except Exception:  # noqa: BLE001 S110 - closing must not hide the result
                pass

    def _run(self):
        try:
            acct = self.store.account(self.host, self.username)
        except StoreError as exc:
            return self._finish("failed", "store unreadable: %s" % exc)
        known = candidates(acct)
        self._secrets.extend(pw for pw in known if pw not in self.factory)
        if acct and acct.get("pending_unsent") and not self.driver.manual_rotation:
            # staged by a run that died before the request carrying it left: the device
            # never saw it, so it is tried last, not first (the reconcile drops it once
            # another one works)
            self._unsent = acct.get("pending")
            self._step("store_pending", "unsent", "a previous run staged a password it never sent")

        claimed = self._claim_if_unclaimed(known)
        if claimed is not None:
            return claimed
        found = self._find_working(acct, known)
        if isinstance(found, dict):
            return found
        working, source = found
        self.result["credential_source"] = source
        self._learn_lockout(working)

        # store catches up with the device
        reconciled = self._reconcile(acct, working, source)
        if reconciled is not None:
            return reconciled

        rotate, why = self._should_rotate(acct, working, source)
        if not rotate:
            status = "reconciled" if self.result["reconciled"] else "compliant"
            return self._finish(status, why)
        if self.driver.manual_rotation:
            return self._manual_change(acct, known, working, source, why)
        if self.check_mode:
            return self._finish("would_rotate", why, changed=True)
        new = self._new_password(known, working)
        if isinstance(new, dict):
            return new
        self._rejected = None
        result = self._transaction(working, source, new)
        if self._rejected is None or self.new_password is not None:
            return result
        return self._retry_with_learned_rule(known, working, source)

    def _retry_with_learned_rule(self, known, working, source):
        """The device refused the generated password: once more, with one generated to the
        rule it stated (or letters and digits, 12-16); the rule is kept for next time."""
        rule = learn_rule(self._rejected)
        self._rejected = None
        self._step(
            "retry_with_device_rule",
            "ok",
            "rule: %s" % ", ".join("%s=%s" % kv for kv in sorted(rule.items())),
        )
        try:
            policy = PasswordPolicy.from_dict(rule)
        except ValueError as exc:
            return self._finish("failed", "the device's stated rule cannot be met: %s" % exc)
        avoid = set(known) | set(self.factory) | {working}
        new = generate_password(policy, None, avoid=avoid, username=self.username)
        self._secrets.append(new)
        result = self._transaction(working, source, new)
        if result["status"] == "rotated":
            self.result["learned_rule"] = rule
            try:
                self.store.set_policy(self.host, rule)
            except StoreError as exc:
                self._step("store_policy", "error", str(exc))
        return result

    # -- 0. a device with no password yet ------------------------------------------------------
    def _claim_if_unclaimed(self, known):
        """Claim the account of a device that has no password yet; None when it has one (or
        the driver cannot tell), else the final result."""
        if not isinstance(self.driver, InitialPassword):
            return None
        if getattr(self.driver, "initial_account", self.username) != self.username:
            return None  # only the first admin is claimed; other accounts come after it
        try:
            unclaimed = self.driver.unclaimed(self.username)
        except DriverError as exc:
            self._step("ask_unclaimed", "error", str(exc))
            return None
        if not unclaimed:
            return None
        why = (
            "the device has no password for user %r yet (not activated / no initial admin): anyone "
            "on its network could set one and own it" % self.username
        )
        self._step("ask_unclaimed", "unclaimed", why)
        self.result["credential_source"] = "unclaimed"
        if self.policy == "never":
            return self._finish("failed", why + "; regenerate=never, so nothing was set")
        if self.check_mode:
            return self._finish("would_rotate", why, changed=True)
        new = self._stage_first_password(known)
        if isinstance(new, dict):
            return new
        claim_error = None
        try:
            self.driver.claim(self.username, new)
            self._step("claim", "ok")
        except PasswordRejected as exc:
            self._step("claim", "rejected", str(exc))
            try:
                self.store.clear_pending(self.host, self.username)
            except StoreError as sexc:
                self._step("store_clear_pending", "error", str(sexc))
            return self._finish("failed", "the device refused the first password: %s" % exc)
        except DriverError as exc:
            claim_error = str(exc)  # it may have landed: the login decides
            self._step("claim", "error", claim_error)
        if not self._login_retry(new, "verify_new", "pending"):
            return self._finish(
                "failed",
                "the first password could not be proven (%s); it is kept as pending and the next "
                "run reconciles" % (claim_error or "refused or no answer"),
                changed=claim_error is not None,
            )
        try:
            self.store.promote(self.host, self.username)
        except StoreError as exc:
            return self._finish(
                "failed",
                "the device took the first password but the store is not writable (%s); it is kept "
                "as pending" % exc,
                changed=True,
            )
        self._step("store_promote", "ok")
        self.result["rotated_at"] = _iso(utcnow())
        return self._finish(
            "rotated", why.split(":")[0] + ": claimed with a fresh password, stored and proven", changed=True
        )

    # -- 1. find the working credential ---------------------------------------------------------
    def _tries(self, acct, known):
        tries = [(pw, self._source_of(acct, pw)) for pw in known]
        tries += [(pw, "default") for pw in self.factory if pw not in known]
        if self.new_password is not None and self.new_password not in [t[0] for t in tries]:
            tries.append((self.new_password, "given"))
        tries = self.budget.order(tries, self.username)
        return [t for t in tries if t[0] != self._unsent] + [t for t in tries if t[0] == self._unsent]

    def _find_working(self, acct, known):
        """``(password, source)`` of the credential the device accepts, or a final result."""
        tries = self._tries(acct, known)
        if not tries:
            opened = self._open_without_credentials(acct, known)
            if opened is not None:
                return opened
            return self._finish(
                "failed",
                "no credential to try: the store has none for user %r and the fingerprint lists no "
                "factory default; pass factory_passwords or store the working password first" % self.username,
            )
        for index, (pw, src) in enumerate(tries):
            try:
                ok = self._login(pw, "verify_%s" % src, src)
            except Unreachable as exc:
                return self._finish("failed", "device unreachable: %s" % exc)
            except OpenAccess as exc:
                return self._open_access(acct, known, exc)
            except ManualStep as exc:
                return self._manual(str(exc), exc.instruction)
            except DriverError as exc:
                return self._finish("failed", "cannot verify the credential: %s" % exc)
            if ok is None:
                if self.driver.manual_rotation and (acct or {}).get("pending"):
                    # the password the engineer was asked to set is not proven yet (refused, or
                    # not tried within the login budget): still the engineer's step
                    reason, instruction = self.driver.manual_rotation
                    return self._manual(
                        "%s; the password generated earlier is not proven on the device yet (%s); "
                        "nothing more was tried, to stay within the login budget (%s)"
                        % (reason, "refused" if index else "not tried", self.budget.explain()),
                        instruction + MANUAL_PENDING,
                    )
                untried = len(tries) - index
                return self._finish(
                    "budget_exhausted",
                    "%s; %d of %d candidate credential(s) for user %r not tried (%s)"
                    % (
                        self.budget.explain(),
                        untried,
                        len(tries),
                        self.username,
                        ", ".join(k for dummy, k in tries[index:]),
                    ),
                )
            if ok:
                return pw, src
        if self.default_account and not known:
            return self._finish(
                "not_in_use",
                "the product's factory default for user %r is refused and the store holds nothing "
                "for it: this device does not use that account with its default; nothing to rotate "
                "(name the account in the accounts to rotate if it exists with another password)"
                % self.username,
            )
        return self._finish(
            "failed",
            "none of the %d known credential(s) for user %r is accepted (store: %d, factory "
            "defaults: %d); the device may be locked or changed by hand: store the working "
            "password (or pass it in factory_passwords) and run again"
            % (len(tries), self.username, len(known), len(self.factory)),
        )

    def _learn_lockout(self, working):
        """Once logged in, ask the device for its lockout setting: the budget (this one and
        every later one) is sized on what the device says rather than the product data."""
        if self.budget.lockout.get("source") == "device":
            return
        try:
            reported = self.driver.lockout_policy(self.username, working)
        except Exception as exc:  # noqa: BLE001 - reading the setting is a bonus; the rotation goes on
            self._step("read_lockout", "error", str(exc))
            return
        if reported:
            self.budget.learn(reported)
            self._step("read_lockout", "ok", reported.get("evidence"))

    # -- 3. the new password ------------------------------------------------------------------------
    def _new_password(self, known, working):
        policy = self.driver.password_policy
        if self.new_password is not None:
            bad = policy.check(self.new_password)
            if bad:
                return self._finish(
                    "failed", "new_password does not meet the device's policy (%s); device untouched" % bad
                )
            new = self.new_password
        else:
            avoid = set(known) | set(self.factory) | {working}
            new = generate_password(policy, self.length, avoid=avoid, username=self.username)
        self._secrets.append(new)
        return new

    # -- 4.-8. the transaction -------------------------------------------------------------------------
    def _transaction(self, working, source, new):
        # 4. pending before the device is touched (the journal)
        try:
            self.store.stage(self.host, self.username, working, source, new)
        except StoreError as exc:
            return self._finish("failed", "store not writable, device untouched: %s" % exc)
        self._step("store_pending", "ok")

        # 5. change; the store marks the pending one sent right before it leaves
        change_error = None
        sent = []

        def on_send():
            if not sent:
                self.store.mark_sent(self.host, self.username)
                sent.append(True)
                self._step("store_sent", "ok")

        self.driver.on_send = on_send
        try:
            self.driver.change_password(self.username, working, new)
            # what the device warned about and then did anyway (a weak-password warning)
            self._step("change", "ok", "; ".join(getattr(self.driver, "warnings", None) or ()))
        except StoreError as exc:
            # mark_sent failed: the driver stopped before the new password left
            return self._abandon("store not writable, the new password was not sent: %s" % exc, working)
        except PasswordRejected as exc:
            self._step("change", "rejected", str(exc))
            self._rejected = str(exc)
            return self._abandon("device rejected the new password: %s" % exc, working)
        except DriverError as exc:
            # the change may or may not have landed: the logins below decide
            change_error = str(exc)
            self._step("change", "error", change_error)
        finally:
            self.driver.on_send = None

        # 6. the new one works
        new_ok = self._login_retry(new, "verify_new", "pending")
        if not new_ok:
            old_ok = self._login_retry(working, "verify_old_still", source)
            if old_ok:
                return self._abandon(
                    "change not applied (%s); the old credential still works"
                    % (change_error or "device kept the old password"),
                    working,
                    already_verified=True,
                )
            if self.budget.exhausted:
                why = (
                    "the new password was %s and the login budget allows no further failed login to "
                    "prove the old one (%s)"
                    % (
                        "refused" if new_ok is False else "not proven",
                        change_error or "no error",
                    )
                )
            else:
                why = "device unreachable after the change (%s); neither credential could be proven" % (
                    change_error or "no answer"
                )
            return self._finish(
                "failed", why + "; the new one is kept as pending and the next run reconciles", changed=True
            )

        # 7. the old one is refused; then a good login again, so that the device's failure
        # counter (and the budget) are back at zero
        old_refused = None
        try:
            answer = self._login(working, "verify_old_refused", source)
            old_refused = None if answer is None else not answer
        except DriverError:
            old_refused = None
        if old_refused:
            try:
                self._login(new, "verify_new_again", "pending")
            except DriverError:
                pass

        # 8. commit
        try:
            self.store.promote(self.host, self.username)
        except StoreError as exc:
            return self._rollback_after_store_failure(exc, working, new)
        self._step("store_promote", "ok")
        self.result["changed"] = True
        self.result["rotated_at"] = _iso(utcnow())
        if old_refused is False:
            return self._finish(
                "failed",
                "the device still accepts the old password after the change: it holds both; the new "
                "one is stored as current, check the device's account list",
            )
        if old_refused is None:
            return self._finish(
                "failed",
                "rotated and stored, but the old password could not be proven refused (the device "
                "stopped answering, or the login budget allowed no more failed logins)",
            )
        return self._finish("rotated", "%s credential replaced and proven" % _describe(source))

    # -- cases ------------------------------------------------------------------------------------
    @staticmethod
    def _source_of(acct, pw):
        if acct.get("pending") == pw:
            return "pending"
        if acct.get("current") == pw:
            return "current"
        return "history"

    def _reconcile(self, acct, working, source):
        """Bring the store in line with what the device accepted. Returns a final result for a
        check-mode reconcile, else None."""
        pending = acct.get("pending") if acct else None
        if source == "pending":
            self.result["reconciled"] = True
            if self.check_mode:
                return self._finish(
                    "reconciled",
                    "a previous run left a pending credential that works; would promote it",
                    changed=True,
                )
            try:
                self.store.promote(self.host, self.username)
            except StoreError as exc:
                return self._finish(
                    "failed", "pending credential works but the store is not writable: %s" % exc
                )
            self.result["changed"] = True
            self._step("store_promote", "reconciled")
            return None
        if pending and not self.check_mode and not self.driver.manual_rotation:
            # the change never reached the device (on a device changed by hand, the pending
            # password is the one the engineer was asked to set: it stays until proven)
            try:
                self.store.clear_pending(self.host, self.username)
                self._step("store_clear_pending", "reconciled")
                self.result["reconciled"] = True
                self.result["changed"] = True
            except StoreError as exc:
                return self._finish("failed", "store not writable: %s" % exc)
        if source in ("history", "default", "given") and acct and acct.get("current"):
            # the device went back to an older password (reset, restore)
            self.result["reconciled"] = True
            if not self.check_mode:
                try:
                    self.store.set_current(self.host, self.username, working, source)
                except StoreError as exc:
                    return self._finish("failed", "store not writable: %s" % exc)
                self.result["changed"] = True
                self._step("store_current", "reconciled")
        return None

    def _should_rotate(self, acct, working, source):
        is_default = working in self.factory
        if self.policy == "never":
            return False, "regenerate=never: credential verified, not changed"
        if self.new_password is not None:
            if working == self.new_password:
                return False, "the device already uses the given password"
            return True, "a new password was given"
        if self.policy == "always":
            return True, "regenerate=always"
        if is_default:
            return True, "the device still accepts a factory default"
        if self.policy == "if_default":
            return False, "not a factory default"
        since = parse_time((acct or {}).get("current_since")) if source != "default" else None
        if since is None:
            return True, "credential age unknown (max_age_days=%s)" % self.max_age_days
        age = (utcnow() - since).total_seconds() / 86400.0
        if age > float(self.max_age_days):
            return True, "credential is %.0f days old (max_age_days=%s)" % (age, self.max_age_days)
        return False, "credential is %.1f days old, within max_age_days=%s" % (age, self.max_age_days)

    def _manual_change(self, acct, known, working, source, why):
        """A product with no API for its password: a new one is generated and kept as
        *pending* (the journal, as before any change); the engineer sets it on the device and
        the next run finds it working, promotes it and so proves it. Nothing is sent."""
        reason, instruction = self.driver.manual_rotation
        reason = "%s; %s" % (why, reason)
        step = MANUAL_PENDING
        if self.check_mode:
            return self._manual(reason + "; would generate a password for it", instruction + step)
        pending = (acct or {}).get("pending")
        if pending and pending != working:
            self._step("store_pending", "kept", "the password generated earlier is not set on the device yet")
            return self._manual(
                reason + "; the password generated earlier is still pending", instruction + step
            )
        new = self._new_password(known, working)
        if isinstance(new, dict):
            return new
        try:
            self.store.stage(self.host, self.username, working, source, new)
        except StoreError as exc:
            return self._finish("failed", "store not writable, device untouched: %s" % exc)
        self._step("store_pending", "ok")
        self.result["changed"] = True
        return self._manual(reason + "; a new password is pending in the store", instruction + step)

    def _open_without_credentials(self, acct, known):
        """With no credential to try: a driver that can ask the device without one
        (``unauthenticated``) may find its interface open, which is the open-access step, not
        a failure; None otherwise. No password is sent and none of the budget is spent."""
        asker = getattr(self.driver, "unauthenticated", None)
        if asker is None:
            return None
        try:
            if not asker():
                return None
            self.driver.login(self.username, "")  # open: raises OpenAccess before any check
        except OpenAccess as exc:
            return self._open_access(acct, known, exc)
        except DriverError as exc:
            self._step("ask_open", "error", str(exc))
        return None

    def _open_access(self, acct, known, exc):
        """An interface that asks for no credential, where only the device's screen turns
        authentication on: a password is generated for this account and kept as *pending* (the
        journal, before the engineer touches the device); the engineer creates the account with
        it, and the next run finds it working, promotes it and so proves it. Nothing is sent."""
        reason = str(exc)
        if exc.set_on_screen is None:
            return self._manual(reason, exc.instruction)
        instruction = exc.set_on_screen(clean(self.username, 64)) + MANUAL_PENDING
        if self.check_mode:
            return self._manual(reason + "; would generate a password for it", instruction)
        if (acct or {}).get("pending"):
            self._step("store_pending", "kept", "the device still asks for no credential")
            return self._manual(
                reason + "; the password generated earlier is still pending (not set on the device yet)",
                instruction,
            )
        new = self._stage_first_password(known)
        if isinstance(new, dict):
            return new
        self.result["changed"] = True
        return self._manual(reason + "; a new password is pending in the store", instruction)

    def _stage_first_password(self, known):
        """A generated first password for an account that has none yet, kept as *pending*
        before anything reaches the device: the password, or the final result."""
        new = self._new_password(known, "")
        if isinstance(new, dict):
            return new
        try:
            self.store.stage(self.host, self.username, None, "unclaimed", new)
        except StoreError as exc:
            return self._finish("failed", "store not writable, device untouched: %s" % exc)
        self._step("store_pending", "ok")
        return new

    def _manual(self, reason, instruction):
        """The change is an engineer's to make on the device itself: the instruction goes
        with the result (and into the "can't rotate" list); nothing was changed."""
        self.result["manual_step"] = clean(instruction, 1024)
        return self._finish("manual", reason)

    def _abandon(self, reason, working, already_verified=False):
        """The device kept the old password: drop pending, prove the old one, report."""
        try:
            self.store.clear_pending(self.host, self.username)
            self._step("store_clear_pending", "ok")
        except StoreError as exc:
            reason += "; pending entry left in the store (%s), the next run clears it" % exc
        if not already_verified:
            ok = self._login_retry(working, "verify_old_still")
            if ok:
                reason += "; the old credential still works"
            else:
                reason += "; WARNING: the old credential could not be proven afterwards"
        return self._finish("failed", reason)

    def _rollback_after_store_failure(self, exc, old, new):
        reason = "store not writable when committing (%s)" % exc
        if getattr(self.driver, "can_rollback", False):
            try:
                self.driver.change_password(self.username, new, old)
                if self._login_retry(old, "verify_rollback"):
                    self._step("rollback", "ok")
                    return self._finish(
                        "failed", reason + "; device rolled back to the stored credential", changed=False
                    )
            except DriverError as rexc:
                self._step("rollback", "error", str(rexc))
        self.result["changed"] = True
        return self._finish(
            "failed", reason + "; the device holds the new password, which the store keeps as pending"
        )


def _iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(source):
    return {
        "default": "factory default",
        "current": "stored",
        "history": "older stored",
        "pending": "pending",
        "given": "given",
        "unclaimed": "no password (unclaimed)",
    }.get(source, str(source))


#: what an engineer does by hand for an account the rotation could not close
MANUAL_STEPS = {
    "failed": "log in to the device by hand, set a password it accepts, keep it in the credential store "
    "(or name the account and its current password in credential_rotation_factory_accounts) and re-run",
    "budget_exhausted": "wait out the device's lockout window (or log in by hand with the password you "
    "expect), then re-run; nothing more was tried so the device was not locked",
    "manual": "make the change on the device itself as its driver describes, store the new password, "
    "and re-run to prove it",
    "not_managed": "check the device by hand: name its accounts and factory passwords in "
    "credential_rotation_factory_accounts if it has any, or record why it has none",
}
#: what follows a driver's instruction for a password it cannot change itself
MANUAL_PENDING = (
    "; enter the password this rotation generated (the credential store holds it as pending for this "
    "account: lookup iotguard.hardening.credential with field=pending), then re-run the rotation: it "
    "proves the new password and makes it current"
)
#: statuses of rows the rotation could not close (the "can't rotate" list)
CANNOT = tuple(MANUAL_STEPS)
#: per-account result fields kept in a summary row (none of them holds a secret)
ROW_FIELDS = (
    "driver", "credential_source", "reconciled", "logins", "seconds", "rotated_at", "budget", "identity",
    "learned_rule", "manual_step",
)  # fmt: skip


def _truthy(value):
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def summary_rows(hosts):
    """One row per (device, account) in scope, from each host's outcome: ``hosts`` is a list
    of ``{host, client, selected, unmanaged, results}`` (``results``: the registered loop
    results of rotate_credential). No secret is in a result, so none is in a row."""
    rows = []
    for h in hosts:
        if not _truthy(h.get("selected")):
            continue
        base = {"client": h["client"], "host": h["host"]}
        results = [r for r in (h.get("results") or []) if isinstance(r, dict) and r.get("status")]
        if _truthy(h.get("unmanaged")):
            rows.append(
                dict(
                    base,
                    user=None,
                    status="not_managed",
                    reason="no account known to rotate: discovery gave no factory default for this product "
                    "and no assessment proved one; set credential_rotation_accounts for it to rotate named "
                    "accounts",
                )
            )
            continue
        if not results:
            rows.append(
                dict(
                    base,
                    user=None,
                    status="failed",
                    reason="no result: the host failed before its rotation ran (see the play output)",
                )
            )
        for r in results:
            row = dict(base, user=r.get("user"), status=r["status"], reason=r.get("reason") or r.get("msg"))
            row.update({k: r.get(k) for k in ROW_FIELDS})
            row["reconciled"] = bool(row["reconciled"])
            rows.append(row)
    return rows


def cannot_rotate(rows):
    """The accounts (and devices) rotation could not close, each with its reason and the
    manual step: what the summary and the risk report list."""
    return [
        {
            "host": r["host"],
            "user": r.get("user"),
            "status": r["status"],
            "reason": r.get("reason"),
            "manual_step": r.get("manual_step") or MANUAL_STEPS[r["status"]],
        }
        for r in rows
        if r.get("status") in CANNOT
    ]


def count_rows(rows):
    out = {"total": len(rows)}
    for status in (*STATUSES, "not_managed"):
        out[status] = sum(1 for r in rows if r.get("status") == status)
    return out


def client_summaries(rows, generated_at, check_mode=False, regenerate=None):
    """``{client: summary document}`` (what credential-rotation.json holds) from the rows."""
    out = {}
    for client in sorted({r["client"] for r in rows}):
        mine = [r for r in rows if r["client"] == client]
        out[client] = {
            "client": client,
            "generated_at": generated_at,
            "check_mode": bool(check_mode),
            "regenerate": regenerate,
            "counts": count_rows(mine),
            "failures": [r for r in mine if r["status"] in ("failed", "budget_exhausted")],
            "cannot_rotate": cannot_rotate(mine),
            "devices": mine,
        }
    return out


def summarise(results):
    """Counts per status plus the failures with their reasons (for the run summary)."""
    out = {s: 0 for s in STATUSES}
    failures = []
    for r in results:
        status = r.get("status") or "failed"
        out[status] = out.get(status, 0) + 1
        if status == "failed":
            failures.append({"host": r.get("host"), "user": r.get("user"), "reason": r.get("reason")})
    out["failures"] = failures
    out["total"] = len(results)
    return out
