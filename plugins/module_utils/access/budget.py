# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One login budget per device, shared by discovery, the assessment and rotation.

A device locks an account after a number of failed logins (its lockout threshold). Every
part of this collection that logs in to a device spends from the same budget so that,
together, they never cause the failure that would lock it:

* the **size** comes from the lockout setting the device reported (``source: device``),
  else from the engineer's statement for the host, else from the product data (``source:
  product data (fallback)``, never more than ``FALLBACK_CAP`` failures: a device may be set
  stricter than it left the factory), else it is one failed attempt (``source: unknown``).
  With a threshold of N we allow at most N - 1 - reserve failures (``reserve`` leaves room
  for the device's rightful user), never fewer than one when N >= 2, so the last attempt
  before a lock is never ours. A device that reports its lockout off gets ``max_attempts``.
  ``max_attempts`` caps what one run causes; the device's own share caps every failure in
  its lockout window, whoever caused it: a run gets the smaller of what is left of each.
* failures are counted in a **ledger** shared between processes (a small JSON file beside
  the client's inventory, no secrets in it: user names, the kind of credential tried and
  times). A login that works clears that user's failures (devices reset their counter on a
  good login); the budget counts the failures of all users of the device, which is what a
  device that counts per source address does and more than one that counts per user.
* tries are ordered by likelihood: pending, current, history newest first, then the given
  and factory passwords; the kind that worked last time for that user goes first.
* when the budget is spent the answer is ``None`` (``exhausted``), never another try,
  except with a credential this budget saw accepted a moment ago (it resets the counter).

Nothing here holds a password longer than the call that uses it; nothing returned holds one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import time

SOURCE_DEVICE = "device"
SOURCE_PRODUCT = "product data (fallback)"
SOURCE_ENGINEER = "engineer"
SOURCE_UNKNOWN = "unknown"

#: the likelihood order of credential kinds (lower first)
ORDER = {"pending": 0, "current": 1, "history": 2, "given": 3, "default": 4, "guess": 5}
#: kinds whose passwords are public (factory defaults, common guesses): their refusals are
#: kept in the ledger with a short digest, so no part of a run sends the same one twice
PUBLIC_KINDS = ("default", "guess")
#: failures older than this are forgotten when the device did not report its lock duration
DEFAULT_WINDOW = 24 * 3600
DEFAULT_MAX_ATTEMPTS = 5
MAX_EVENTS = 64
LEDGER_ENV = "IOTGUARD_LOGIN_LEDGER"
LEDGER_NAME = os.path.join(".iotguard", "login-ledger.json")


class BudgetError(ValueError):
    """Bad budget input; the message names the field, the value and the fix."""


def _threshold(value, field):
    if value is None or value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BudgetError(
            "%s=%r must be a positive number of failed logins (or null when unknown)" % (field, value)
        )
    return value


def lockout_evidence(reported=None, product=None, configured=None):
    """The lockout to size a budget on, with where it came from.

    ``reported``: what the device said (``{"enabled": bool, "threshold": int, "duration": s}``);
    ``configured``: what the engineer states for the host; ``product``: discovery's product
    data (``{"supported": bool|None, "threshold": int|None}``). The device wins, then the
    engineer, then the product data; with none, lockout is unknown.
    """
    for data, source in ((reported, SOURCE_DEVICE), (configured, SOURCE_ENGINEER), (product, SOURCE_PRODUCT)):
        if not isinstance(data, dict):
            continue
        enabled = data.get("enabled", data.get("supported"))
        threshold = _threshold(data.get("threshold"), "lockout.threshold (%s)" % source)
        if enabled is None and threshold is None:
            continue
        if enabled is False:
            threshold = None
        duration = data.get("duration")
        return {
            "enabled": True if threshold and enabled is None else enabled,
            "threshold": threshold,
            "duration": duration if isinstance(duration, int) and duration > 0 else None,
            "source": source,
        }
    return {"enabled": None, "threshold": None, "duration": None, "source": SOURCE_UNKNOWN}


#: product data is the factory setting, and an administrator may have set the device
#: stricter: until the device itself reported its setting we cause at most this many
#: failures (a device set to the strictest common threshold, 3, survives them)
FALLBACK_CAP = 2
#: ``max_attempts`` of the device's own share: its lockout alone decides it
NO_CAP = 1 << 30


def budget_size(lockout, reserve=1, max_attempts=DEFAULT_MAX_ATTEMPTS):
    """Failed logins we may cause: threshold - 1 - reserve (at least 1 when threshold >= 2),
    at most ``FALLBACK_CAP`` when the threshold is not the device's own word;
    ``max_attempts`` when the device reports lockout off; 1 when unknown."""
    lockout = lockout or {}
    max_attempts = max(0, int(max_attempts))
    trusted = lockout.get("source") in (SOURCE_DEVICE, SOURCE_ENGINEER)
    cap = max_attempts if trusted else min(max_attempts, FALLBACK_CAP)
    threshold = lockout.get("threshold")
    if threshold:
        safe = int(threshold) - 1
        return max(0, min(cap, max(min(1, safe), safe - max(0, int(reserve)))))
    if lockout.get("enabled") is False:
        return cap
    return min(1, max_attempts)


def device_keys(address=None, mac=None, serial=None):
    """The ledger keys of a device: whatever identifies it, and its address."""
    keys = []
    if mac:
        keys.append("mac:%s" % str(mac).lower())
    if serial:
        keys.append("serial:%s" % serial)
    if address:
        keys.append("addr:%s" % address)
    return keys


def default_ledger_path(inventory_dir=None):
    """``$IOTGUARD_LOGIN_LEDGER``, else ``<inventory dir>/.iotguard/login-ledger.json``."""
    env = os.environ.get(LEDGER_ENV)
    if env:
        return env
    if inventory_dir:
        return os.path.join(str(inventory_dir), LEDGER_NAME)
    return None


class Ledger:
    """Failed logins per device and user, shared between processes (``path``) or kept in
    memory (``path=None``). Each failure is ``[time, user, kind, who]``."""

    def __init__(self, path=None, clock=time.time):
        self.path = path
        self.clock = clock
        self._mem = {}

    @contextlib.contextmanager
    def _locked(self):
        if not self.path:
            yield self._mem
            return
        directory = os.path.dirname(self.path) or "."
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise BudgetError(
                "login ledger %s cannot be created: %s; make the directory writable or set %s"
                % (self.path, exc.strerror or exc, LEDGER_ENV)
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                with open(self.path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except FileNotFoundError:
                data = {}
            except (OSError, ValueError):
                data = {}  # a damaged ledger is rebuilt; the devices' own counters still protect them
            if not isinstance(data, dict):
                data = {}
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                tmp = "%s.%d.tmp" % (self.path, os.getpid())
                fdw = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fdw, "w", encoding="utf-8") as fh:
                    json.dump(data, fh, sort_keys=True)
                os.rename(tmp, self.path)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _events(self, data, keys, window):
        now = self.clock()
        seen, out = set(), []
        for key in keys:
            dev = data.get(key) or {}
            for ev in dev.get("failures") or []:
                if isinstance(ev, list) and len(ev) == 4 and now - ev[0] <= window:
                    ident = tuple(ev)
                    if ident not in seen:
                        seen.add(ident)
                        out.append(ev)
        return out

    def refused_before(self, keys, user, tag, window=DEFAULT_WINDOW):
        """Whether ``user`` was refused with the public credential ``tag`` within the window."""
        with self._locked() as data:
            return any(ev[1] == user and ev[2] == tag for ev in self._events(data, keys, window))

    def failures(self, keys, window=DEFAULT_WINDOW, since=None):
        """Failed logins still counting in the window (``since``: only those from then on)."""
        with self._locked() as data:
            return sum(1 for ev in self._events(data, keys, window) if since is None or ev[0] >= since)

    def last_success(self, keys, user):
        with self._locked() as data:
            best = None
            for key in keys:
                got = ((data.get(key) or {}).get("success") or {}).get(user)
                if isinstance(got, list) and len(got) == 2 and (best is None or got[0] > best[0]):
                    best = got
            return best[1] if best else None

    def reported_lockout(self, keys):
        """The lockout setting a device last reported (any key), or None."""
        with self._locked() as data:
            best = None
            for key in keys:
                got = (data.get(key) or {}).get("lockout")
                if isinstance(got, dict) and (best is None or got.get("read_at", 0) > best.get("read_at", 0)):
                    best = got
            return best

    def remember_lockout(self, keys, lockout):
        """Keep what the device reported about its lockout, for every later budget."""
        entry = {k: lockout.get(k) for k in ("enabled", "threshold", "duration")}
        entry["read_at"] = self.clock()
        with self._locked() as data:
            for key in keys:
                data.setdefault(key, {})["lockout"] = entry

    def record(self, keys, user, ok, kind, who, window=DEFAULT_WINDOW):
        now = self.clock()
        with self._locked() as data:
            for key in keys:
                dev = data.setdefault(key, {})
                events = [
                    ev
                    for ev in dev.get("failures") or []
                    if isinstance(ev, list) and len(ev) == 4 and now - ev[0] <= window
                ]
                if ok:
                    events = [ev for ev in events if ev[1] != user]
                    dev.setdefault("success", {})[user] = [now, kind.split("#", 1)[0]]
                else:
                    events.append([now, user, kind, who])
                dev["failures"] = events[-MAX_EVENTS:]


def _public_tag(kind, digest):
    """``kind#digest`` for a public credential (the digest of a published default names
    which one was refused; it reveals nothing that is not in the product's manual), else ''."""
    return "%s#%s" % (kind, digest.hex()[:12]) if kind in PUBLIC_KINDS else ""


class LoginBudget:
    """The budget of one device for one run of one part (``who``: discovery, assessment,
    rotation). ``attempt()`` logs in through it; ``report()`` says what happened."""

    def __init__(
        self,
        lockout=None,
        keys=(),
        ledger=None,
        who="run",
        reserve=1,
        max_attempts=DEFAULT_MAX_ATTEMPTS,
    ):
        self.lockout = dict(lockout or lockout_evidence())
        self.keys = list(keys) or ["anonymous"]
        self.ledger = ledger if ledger is not None else Ledger()
        self.who = who
        self.size = budget_size(self.lockout, reserve, max_attempts)
        # what the device allows in its lockout window, whoever spends it; ``size`` also caps
        # what this run may cause (``max_attempts``)
        self.device_size = budget_size(self.lockout, reserve, NO_CAP)
        self.window = self.lockout.get("duration") or DEFAULT_WINDOW
        self.reserve = reserve
        self.max_attempts = max_attempts
        self.spent_before = self.ledger.failures(self.keys, self.window)
        self.started = self.ledger.clock()
        self.attempts = []
        self.exhausted = False
        # credentials this budget saw accepted (digests, in memory only): logging in again
        # with one is allowed when the budget is spent, since a good login resets the
        # device's counter (proving a new password, or the old one after a failed change)
        self._proven = set()

    @classmethod
    def for_device(cls, keys, ledger=None, product=None, configured=None, who="run", **kw):
        """The budget sized on the best evidence: what the device reported (kept in the
        ledger by whichever part read it), else the engineer's setting, else the product data."""
        ledger = ledger if ledger is not None else Ledger()
        reported = ledger.reported_lockout(keys)
        return cls(lockout_evidence(reported, product, configured), keys, ledger, who, **kw)

    def learn(self, reported):
        """The device just reported its lockout (``{"enabled", "threshold", "duration"}``):
        remember it for every later budget and resize this one on it."""
        if not isinstance(reported, dict) or reported.get("enabled") is None:
            return
        self.ledger.remember_lockout(self.keys, reported)
        self.lockout = lockout_evidence(reported)
        self.size = budget_size(self.lockout, self.reserve, self.max_attempts)
        self.device_size = budget_size(self.lockout, self.reserve, NO_CAP)
        self.window = self.lockout.get("duration") or DEFAULT_WINDOW

    # -- the account -------------------------------------------------------------------
    def remaining(self):
        if self.lockout.get("source") == SOURCE_DEVICE and self.lockout.get("enabled") is False:
            # the device itself says failed logins lock nothing: only this run's own cap counts
            return max(0, self.size - sum(1 for a in self.attempts if a["result"] == "refused"))
        # this run's cap (its failures the device still counts), and what the device's lockout
        # leaves after every failure in its window, earlier runs and the other parts included
        mine = self.ledger.failures(self.keys, self.window, since=self.started)
        return max(0, min(self.size - mine, self.device_size - self.ledger.failures(self.keys, self.window)))

    def order(self, tries, user=None):
        """``tries``: (password, kind) pairs -> sorted by likelihood, the kind that worked
        last for ``user`` first; duplicates dropped, the order within a kind kept."""
        last = self.ledger.last_success(self.keys, user) if user is not None else None
        seen, out = set(), []
        for pw, kind in tries:
            if pw in seen:
                continue
            seen.add(pw)
            out.append((pw, kind))

        def rank(item):
            kind = item[1]
            if kind == "pending":
                return (0, 0)
            if last and kind == last:
                return (1, 0)
            return (2, ORDER.get(kind, 9))

        return sorted(out, key=rank)

    def attempt(self, login, user, password, kind):
        """``login(user, password)`` when the budget allows a failure: True/False as the
        device answered, None when the budget is spent (nothing sent). Exceptions from
        ``login`` pass through unrecorded (the device never answered).

        A published factory password or a common guess (``PUBLIC_KINDS``: public knowledge,
        never a secret of ours) that the device refused within the window, whichever part
        tried it, is answered False from the ledger without being sent again: the refusal is
        the evidence, and a second try would only spend the budget."""
        digest = hashlib.sha256(("%s\0%s" % (user, password)).encode("utf-8", "replace")).digest()
        tag = _public_tag(kind, digest)
        if tag and self.ledger.refused_before(self.keys, user, tag, self.window):
            self.attempts.append({"user": user, "kind": kind, "result": "refused earlier (ledger)"})
            return False
        if self.remaining() <= 0 and digest not in self._proven:
            self.exhausted = True
            self.attempts.append({"user": user, "kind": kind, "result": "not tried: budget exhausted"})
            return None
        ok = bool(login(user, password))
        if ok:
            self._proven.add(digest)
        self.ledger.record(self.keys, user, ok, tag or kind, self.who, self.window)
        self.attempts.append({"user": user, "kind": kind, "result": "accepted" if ok else "refused"})
        return ok

    def first_accepted(self, login, user, tries):
        """Try ``tries`` in likelihood order until one works: ``(password, kind)`` of the
        working one, or ``(None, None)``; ``self.exhausted`` says whether the budget ended it."""
        for pw, kind in self.order(tries, user):
            ok = self.attempt(login, user, pw, kind)
            if ok is None:
                return None, None
            if ok:
                return pw, kind
        return None, None

    def report(self):
        failures = sum(1 for a in self.attempts if a["result"] == "refused")
        return {
            "size": self.size,
            "spent_before": self.spent_before,
            "spent": failures,
            "remaining": self.remaining(),
            "exhausted": self.exhausted,
            "threshold": self.lockout.get("threshold"),
            "lockout_enabled": self.lockout.get("enabled"),
            "lockout_source": self.lockout.get("source"),
            "attempts": list(self.attempts),
        }

    def explain(self):
        """One sentence for a result's reason when the budget stopped the run."""
        thr = self.lockout.get("threshold")
        return (
            "login budget exhausted: %d failed login(s) allowed on this device (lockout threshold %s, %s), "
            "%d already spent in the lockout window; stopped before the device could lock the account. "
            "Log in by hand with the password you expect, or wait out the lockout window, then re-run"
            % (
                min(self.size, self.device_size),
                thr if thr else "unknown",
                self.lockout.get("source"),
                self.ledger.failures(self.keys, self.window),
            )
        )
