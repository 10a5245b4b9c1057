# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential stores: where rotated device passwords live.

A store keeps one *record* per inventory host::

    {"version": 1,
     "accounts": {"admin": {"current": "...", "current_since": "2026-01-01T00:00:00Z",
                            "source": "rotated",
                            "pending": None, "pending_since": None, "pending_unsent": None,
                            "history": [{"password": "...", "retired": "..."}],
                            "factory": [{"password": "...", "source": "..."}]}}}

``factory`` lists factory passwords known for the account on this device beyond the product
data: ones an engineer named, and common defaults the assessment proved accepted. Rotation
tries them and closes the account; the assessment re-checks them.

``pending`` is written *before* a device is touched, so a run that dies half way leaves
enough behind for the next run to reconcile (try pending, then current, then history).
A rotation stages it with ``pending_unsent`` set, and clears that flag (``mark_sent``) right
before the request that carries it leaves: a pending password still flagged never reached
the device, so the next run need not spend a login on it. A record without the flag (an
engineer's pending password, an older record) may have reached the device.
Backends implement ``_read(host)`` / ``_write(host, record)`` and a lock; everything else
(record shape, promotion, history trimming) lives here and is shared.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import errno
import fcntl
import os
import re

RECORD_VERSION = 1
HISTORY_KEEP = 5
#: accounts that keep a device secret which is not a login (the SNMP community the hardening
#: generates): never offered to a driver as a credential to log in with
NOT_LOGINS = frozenset({"snmp_community"})
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")


class StoreError(Exception):
    """The store could not be read or written; the message says which host and why."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def isoformat(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value):
    if not value:
        return None
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def check_host_name(host):
    """Host names become file names: refuse anything that could escape the store."""
    if not isinstance(host, str) or not _HOST_RE.match(host) or host in (".", ".."):
        raise StoreError(
            "host=%r is not usable as a store key: use an inventory hostname made of letters, "
            "digits, '.', '_' and '-' (at most 253 characters)" % (host,)
        )
    return host


def empty_record():
    return {"version": RECORD_VERSION, "accounts": {}, "policy": None, "identity": None}


def empty_account():
    return {
        "current": None,
        "current_since": None,
        "source": None,
        "pending": None,
        "pending_since": None,
        "pending_unsent": None,
        "history": [],
        "factory": [],
    }


def normalise_record(data, host):
    if data is None:
        return empty_record()
    if not isinstance(data, dict) or not isinstance(data.get("accounts", {}), dict):
        raise StoreError("store record for host=%r is malformed: expected a mapping with 'accounts'" % host)
    record = empty_record()
    if isinstance(data.get("policy"), dict):
        record["policy"] = dict(data["policy"])
    if isinstance(data.get("identity"), dict):
        record["identity"] = {k: data["identity"].get(k) for k in ("mac", "serial")}
    for user, acct in (data.get("accounts") or {}).items():
        full = empty_account()
        if isinstance(acct, dict):
            full.update({k: acct.get(k, full[k]) for k in full})
        if not isinstance(full["history"], list):
            full["history"] = []
        if not isinstance(full["factory"], list):
            full["factory"] = []
        record["accounts"][str(user)] = full
    return record


def candidates(account):
    """Passwords worth trying, most likely first: pending, current, history (newest first)."""
    out = []
    if account:
        for key in ("pending", "current"):
            pw = account.get(key)
            if pw and pw not in out:
                out.append(pw)
        for item in account.get("history") or []:
            pw = item.get("password") if isinstance(item, dict) else None
            if pw and pw not in out:
                out.append(pw)
    return out


class CredentialStore:
    """Base class. Subclasses provide ``_read``, ``_write`` and ``_lock``."""

    name = "base"

    # -- backend hooks -------------------------------------------------------------------
    def _read(self, host):  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self, host, record):  # pragma: no cover - abstract
        raise NotImplementedError

    def _lock(self, host):  # pragma: no cover - abstract
        """A context manager holding the lock for ``host``'s record."""
        raise NotImplementedError

    # -- public API ----------------------------------------------------------------------
    def load(self, host):
        check_host_name(host)
        return normalise_record(self._read(host), host)

    def account(self, host, username):
        return self.load(host)["accounts"].get(username)

    def current(self, host, username):
        acct = self.account(host, username)
        return acct["current"] if acct else None

    #: set by a caller in check mode: records are read and changed in memory, never written
    read_only = False

    @contextlib.contextmanager
    def edit(self, host):
        """Lock the host's record, hand it out for changes, write it back if it changed
        (unless the store is ``read_only``: a check-mode run changes nothing on disk)."""
        check_host_name(host)
        with self._lock(host):
            record = normalise_record(self._read(host), host)
            before = copy.deepcopy(record)
            yield record
            if record != before and not self.read_only:
                self._write(host, record)

    def set_pending(self, host, username, password, now=None):
        now = isoformat(now or utcnow())
        with self.edit(host) as rec:
            acct = rec["accounts"].setdefault(username, empty_account())
            acct["pending"] = password
            acct["pending_since"] = now
            acct["pending_unsent"] = None

    def stage(self, host, username, working, source, new_password, now=None):
        """One write before the device is touched: the credential that works now becomes
        current (so a factory default is known to the store too), the new one pending and
        flagged unsent until ``mark_sent``."""
        now = isoformat(now or utcnow())
        with self.edit(host) as rec:
            acct = rec["accounts"].setdefault(username, empty_account())
            if acct.get("current") != working:
                old = acct.get("current")
                hist = [h for h in acct["history"] if h.get("password") not in (old, working)]
                if old:
                    hist.insert(0, {"password": old, "retired": now})
                acct["history"] = hist[:HISTORY_KEEP]
                acct["current"] = working
                acct["current_since"] = now
                acct["source"] = source
            acct["pending"] = new_password
            acct["pending_since"] = now
            acct["pending_unsent"] = True

    def mark_sent(self, host, username):
        """The staged password is about to leave for the device: from now on it may be
        there, so a reconcile tries it first."""
        with self.edit(host) as rec:
            acct = rec["accounts"].get(username)
            if not acct or not acct.get("pending"):
                raise StoreError("host=%r user=%r has no pending password to send" % (host, username))
            acct["pending_unsent"] = None

    def clear_pending(self, host, username, now=None):
        """Drop the pending password, keeping it in history: a change that was still in
        flight on the device (a killed run, a slow device) may land after this, and the
        next run must still be able to find it."""
        now = isoformat(now or utcnow())
        with self.edit(host) as rec:
            acct = rec["accounts"].get(username)
            if acct:
                pending = acct.get("pending")
                if pending and pending != acct.get("current"):
                    hist = [h for h in acct["history"] if h.get("password") != pending]
                    hist.insert(0, {"password": pending, "retired": now, "abandoned": True})
                    acct["history"] = hist[:HISTORY_KEEP]
                acct["pending"] = None
                acct["pending_since"] = None
                acct["pending_unsent"] = None

    def set_current(self, host, username, password, source, now=None, keep_history=True):
        """Make ``password`` current; the previous current moves to history."""
        now = isoformat(now or utcnow())
        with self.edit(host) as rec:
            acct = rec["accounts"].setdefault(username, empty_account())
            old = acct.get("current")
            if old == password:
                if acct.get("pending") == password:
                    acct["pending"] = None
                    acct["pending_since"] = None
                    acct["pending_unsent"] = None
                acct["source"] = acct.get("source") or source
                acct["current_since"] = acct.get("current_since") or now
                return
            if old and keep_history:
                hist = [h for h in acct["history"] if isinstance(h, dict) and h.get("password") != old]
                hist.insert(0, {"password": old, "retired": now})
                acct["history"] = hist[:HISTORY_KEEP]
            acct["history"] = [h for h in acct["history"] if h.get("password") != password]
            acct["current"] = password
            acct["current_since"] = now
            acct["source"] = source
            if acct.get("pending") == password:
                acct["pending"] = None
                acct["pending_since"] = None
                acct["pending_unsent"] = None

    def set_identity(self, host, identity):
        """Stamp the record with the identity (MAC, serial) of the device it belongs to."""
        with self.edit(host) as rec:
            rec["identity"] = {k: identity.get(k) for k in ("mac", "serial")}

    def identity_lock(self):
        """Held while records are matched to devices and moved: parallel runs see the
        records either before or after a move, never in between."""
        return self._lock("iotguard-identity")

    @contextlib.contextmanager
    def _both(self, a, b):
        check_host_name(a)
        check_host_name(b)
        first, second = sorted((a, b))
        with self._lock(first), self._lock(second):
            yield

    def move(self, src, dst):
        """Move a record to another key (its device changed address); the source is left
        empty. Refuses to overwrite a record that holds accounts."""
        with self._both(src, dst):
            record = normalise_record(self._read(src), src)
            target = normalise_record(self._read(dst), dst)
            if target["accounts"]:
                raise StoreError(
                    "cannot move the record of %r to %r: %r already holds credentials; resolve by hand"
                    % (src, dst, dst)
                )
            self._write(dst, record)
            self._write(src, empty_record())

    def swap(self, a, b, check=None):
        """Exchange two records (two devices swapped addresses). ``check(record_a, record_b)``
        is asked under the locks; False leaves both as they are (another run got there
        first). Returns whether they were swapped."""
        with self._both(a, b):
            ra, rb = normalise_record(self._read(a), a), normalise_record(self._read(b), b)
            if check is not None and not check(ra, rb):
                return False
            self._write(a, rb)
            self._write(b, ra)
            return True

    def set_policy(self, host, policy):
        """Keep the password rule this device stated when it refused a password."""
        with self.edit(host) as rec:
            rec["policy"] = dict(policy)

    def remember_factory(self, host, username, password, source, now=None):
        """Keep a factory password known for this account on this device (named by the
        engineer, or a common default the assessment proved accepted)."""
        with self.edit(host) as rec:
            acct = rec["accounts"].setdefault(username, empty_account())
            if any(isinstance(f, dict) and f.get("password") == password for f in acct["factory"]):
                return
            acct["factory"].append(
                {"password": password, "source": source, "since": isoformat(now or utcnow())}
            )

    def promote(self, host, username, now=None):
        """The pending password is proven on the device: it becomes current."""
        now_ts = now or utcnow()
        with self.edit(host) as rec:
            acct = rec["accounts"].get(username)
            if not acct or not acct.get("pending"):
                raise StoreError("host=%r user=%r has no pending password to promote" % (host, username))
            pending = acct["pending"]
        self.set_current(host, username, pending, "rotated", now=now_ts)


# -- helpers shared by file-based backends ----------------------------------------------


@contextlib.contextmanager
def file_lock(path, timeout=None):
    """An exclusive ``flock`` on ``path`` (created 0600), held for the block."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError("cannot create lock file %s: %s; make the directory writable" % (path, exc)) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def atomic_write(path, data, mode=0o600):
    """Write bytes to ``path`` atomically: temp file in the same dir, fsync, rename, fsync dir."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    except OSError as exc:
        raise StoreError("cannot write %s: %s; make the directory writable" % (path, exc)) from exc
    try:
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StoreError("cannot write %s: disk full; free space and re-run" % path) from exc
        raise StoreError("cannot write %s: %s; make it writable and re-run" % (path, exc)) from exc
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


BACKENDS = {}


def register(cls):
    BACKENDS[cls.name] = cls
    return cls


def get_store(backend, **options):
    """Build a store from its backend name (``vault_file`` or ``keepass``) and options."""
    # imported here so each backend registers itself without import cycles
    from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (  # noqa: F401
        keepass,  # pylint: disable=unused-import
        vault_file,  # pylint: disable=unused-import
    )

    try:
        cls = BACKENDS[backend]
    except KeyError:
        raise StoreError(
            "store backend=%r is unknown; use one of: %s" % (backend, ", ".join(sorted(BACKENDS)))
        ) from None
    return cls(**options)
