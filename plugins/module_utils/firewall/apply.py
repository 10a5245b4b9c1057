# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Store contributions, load the table with a rollback timer, confirm or let it revert.

Files under the firewall directory (``/etc/iotguard``):
- ``firewall.d/<name>.json``: the confirmed contributions (0600);
- ``firewall.d/pending/<name>.json``: a contribution applied but not yet confirmed;
- ``gateway.nft``: the confirmed table, loaded at boot before the network;
- ``gateway.guard``: the zone networks forwarded to only with the table's mark;
- ``gateway.failsafe.nft``: what the boot loader loads when ``gateway.nft`` does not
  (nothing forwarded, only the gateway's own administration flows);
- ``gateway.nft.pending`` and ``rollback.nft`` while a change waits for confirmation.

``apply`` loads the new table (one nft transaction, so a failed load changes nothing),
then starts a detached timer that loads ``rollback.nft`` (the confirmed table, or no
table if there was none) unless ``confirm`` runs first. ``confirm`` is meant to run over
a fresh connection: if the new rules cut the controller off, it never arrives.

Every command goes through ``run(argv, data=None) -> (rc, out, err)`` with an argument
list, never a shell.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import tempfile

from ansible_collections.iotguard.hardening.plugins.module_utils.firewall import FirewallError, model, render

GUARD_PRIORITY = 9000
TIMER_PID = "/run/iotguard-firewall-rollback.pid"
TIMER_TAG = "iotguard-firewall-rollback"


class Paths:
    def __init__(self, base, pid_file=TIMER_PID):
        self.base = base
        self.contrib = os.path.join(base, "firewall.d")
        self.pending_contrib = os.path.join(self.contrib, "pending")
        self.committed = os.path.join(base, "gateway.nft")
        self.guard = os.path.join(base, "gateway.guard")
        self.failsafe = os.path.join(base, "gateway.failsafe.nft")
        self.pending = os.path.join(base, "gateway.nft.pending")
        self.rollback = os.path.join(base, "rollback.nft")
        self.pid_file = pid_file


def _mkdir(path):
    if not os.path.isdir(path):
        _mkdir(os.path.dirname(path))
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)


def _write(path, text):
    _mkdir(os.path.dirname(path))
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def contribution_text(data):
    return json.dumps(data, sort_keys=True, indent=1) + "\n"


def stored(paths):
    """Confirmed contributions on the gateway: name -> data."""
    found = {}
    if os.path.isdir(paths.contrib):
        for entry in sorted(os.listdir(paths.contrib)):
            if entry.endswith(".json"):
                with open(os.path.join(paths.contrib, entry), encoding="utf-8") as fh:
                    try:
                        found[entry[:-5]] = json.load(fh)
                    except ValueError as exc:
                        raise FirewallError(
                            os.path.join(paths.contrib, entry),
                            "(file)",
                            "is not JSON (%s)" % exc,
                            "remove it and run its role again",
                        ) from None
    return found


def plan(paths, contributions):
    """Validate and render with these contributions ({name: data}) replacing their stored versions."""
    for name, data in sorted(contributions.items()):
        model.validate(name, data)
    old = stored(paths)
    new = dict(old, **contributions)
    policy = model.merge(new)
    old_text = _read(paths.committed)
    return {
        "policy": policy,
        "text": render.render(policy),
        "failsafe": render.failsafe(policy),
        "old_policy": model.merge(old) if old_text is not None else None,
        "old_text": old_text,
        "texts": {n: contribution_text(d) for n, d in contributions.items()},
        "same": all(
            _read(os.path.join(paths.contrib, n + ".json")) == contribution_text(d)
            for n, d in contributions.items()
        ),
    }


def waiting_warnings(waiting):
    """One warning per contribution and awaited names, for the flows ``merge`` held back."""
    groups = {}
    for w in waiting:
        groups.setdefault((w["field"].split(".", 1)[0], tuple(w["awaits"])), []).append(w["field"])
    return [
        "%d flow(s) of %s wait for %s, which no contribution declares yet: they are not in the "
        "table until the role that owns them (the VPN role) has run on this gateway (%s)"
        % (len(fields), cname, ", ".join(names), ", ".join(f.split(".", 1)[1] for f in fields))
        for (cname, names), fields in sorted(groups.items())
    ]


def live_table(run):
    rc, out, _err = run(["nft", "-j", "list", "table", render.FAMILY, render.TABLE])
    if rc != 0:
        return None
    try:
        return render.live_sets(json.loads(out))
    except ValueError:
        return None


# routing rules: forwarding to a zone needs the mark the table's prerouting chain sets
def guard_rules(networks):
    """The wanted rules as (family flag, argv tail) pairs."""
    rules = []
    for fam in ("-4", "-6"):
        nets = [n for n in networks if (":" in n) == (fam == "-6")]
        rules.append(
            (fam, ["priority", str(GUARD_PRIORITY - 1), "iif", "lo", "goto", str(GUARD_PRIORITY + 1)])
        )
        rules += [
            (fam, ["priority", str(GUARD_PRIORITY), "fwmark", "0x0/0x%x" % render.MARK, "to", n, "prohibit"])
            for n in nets
        ]
        rules.append((fam, ["priority", str(GUARD_PRIORITY + 1), "nop"]))
    return rules


def _live_guard(run):
    found = set()
    for fam in ("-4", "-6"):
        rc, out, err = run(["ip", "-j", fam, "rule", "show"])
        if rc != 0:
            raise FirewallError(
                "ip rule", fam, "could not be read (%s)" % err.strip()[:200], "check iproute2 on the gateway"
            )
        for r in json.loads(out or "[]"):
            prio = r.get("priority")
            if prio is None or abs(prio - GUARD_PRIORITY) > 1:
                continue
            if prio == GUARD_PRIORITY - 1:
                found.add((fam, "lo"))
            elif prio == GUARD_PRIORITY + 1:
                found.add((fam, "nop"))
            else:
                dst = r.get("dst", "")
                plen = r.get("dstlen")
                # iproute2 prints a host (/32, /128) without dstlen: the same key as wanted
                try:
                    dst = str(ipaddress.ip_network("%s/%s" % (dst, plen) if plen is not None else dst))
                except ValueError:
                    pass
                found.add((fam, dst))
    return found


def _key(fam, tail):
    if "lo" in tail:
        return (fam, "lo")
    if "nop" in tail:
        return (fam, "nop")
    return (fam, tail[tail.index("to") + 1])


def sync_guard(run, networks, check=False):
    """Make the routing rules at priorities 8999-9001 exactly the wanted ones."""
    want = {_key(fam, tail): (fam, tail) for fam, tail in guard_rules(networks)}
    have = _live_guard(run)
    changed = False
    for key in sorted(have - set(want)):
        changed = True
        if not check:
            fam, what = key
            tail = (
                ["priority", str(GUARD_PRIORITY), "to", what]
                if what not in ("lo", "nop")
                else (["priority", str(GUARD_PRIORITY - 1 if what == "lo" else GUARD_PRIORITY + 1)])
            )
            run(["ip", fam, "rule", "del", *tail])
    # add the jump targets first: a goto to a missing rule would be skipped
    order = sorted(set(want) - have, key=lambda k: {"nop": 0, "lo": 2}.get(k[1], 1))
    for key in order:
        changed = True
        if not check:
            fam, tail = want[key]
            rc, _out, err = run(["ip", fam, "rule", "add", *tail])
            if rc != 0:
                raise FirewallError(
                    "guard rule",
                    " ".join(tail),
                    "could not be added (%s)" % err.strip()[:200],
                    "check iproute2",
                )
    return changed


def timer_pid(paths):
    text = _read(paths.pid_file)
    if not text or not text.strip().isdigit():
        return None
    pid = int(text.strip())
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            if TIMER_TAG.encode() not in fh.read():
                return None
    except OSError:
        return None
    return pid


def start_timer(paths, seconds):
    # sh: the timer must outlive this process (and the connection that started it)
    script = 'sleep "$1"; nft -f "$2"; rm -f "$3" "$4" "$6" "$7"; rm -rf "$5"; # %s' % TIMER_TAG
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell interpolation of data
        [
            "/bin/sh",
            "-c",
            script,
            TIMER_TAG,
            str(int(seconds)),
            paths.rollback,
            paths.pending,
            paths.pid_file,
            paths.pending_contrib,
            paths.guard + ".pending",
            paths.failsafe + ".pending",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    _write(paths.pid_file, "%d\n" % proc.pid)
    return proc.pid


def stop_timer(paths):
    pid = timer_pid(paths)
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            os.kill(pid, signal.SIGTERM)
    if os.path.exists(paths.pid_file):
        os.unlink(paths.pid_file)
    return pid is not None


def apply(run, paths, contributions, seconds, check=False):
    """Load the table with these contributions; revert after ``seconds`` unless confirmed."""
    p = plan(paths, contributions)
    name = ", ".join(sorted(contributions))
    live = live_table(run)
    guard_changed = sync_guard(run, render.guard_networks(p["policy"]), check=True)
    changed = p["text"] != p["old_text"] or live is None or not p["same"] or guard_changed
    result = {
        "changed": changed,
        "before": p["old_text"] or "",
        "after": p["text"],
        "pending": False,
        "waiting": p["policy"]["waiting"],
    }
    if not changed and p["old_text"] is not None and _read(paths.failsafe) != p["failsafe"]:
        # a gateway confirmed before the failsafe existed: nothing to reload, one file to write
        result["changed"] = True
        if not check:
            _write(paths.failsafe, p["failsafe"])
        return result
    if not changed or check:
        return result
    if timer_pid(paths) is not None:
        raise FirewallError(
            "gateway_firewall",
            name,
            "a change is still waiting for confirmation",
            "confirm it (state: confirmed) or wait for its rollback",
        )
    full = render.prelude(live, p["policy"]) + p["text"]
    if p["old_text"] is not None and p["old_policy"] is not None:
        back = (
            render.prelude(render.live_sets({"nftables": _as_json_sets(p["policy"])}), p["old_policy"])
            + p["old_text"]
        )
    else:
        back = "delete table %s %s\n" % (render.FAMILY, render.TABLE)
    _write(paths.pending, full)
    _write(paths.rollback, back)
    rc, _out, err = run(["nft", "-c", "-f", paths.pending])
    if rc != 0:
        os.unlink(paths.pending)
        raise FirewallError(
            name,
            "(rendered table)",
            "was refused by nft -c: %s" % err.strip()[:500],
            "fix the contribution; nothing was loaded",
        )
    for cname, text in p["texts"].items():
        _write(os.path.join(paths.pending_contrib, cname + ".json"), text)
    start_timer(paths, seconds)
    rc, _out, err = run(["nft", "-f", paths.pending])
    if rc != 0:
        stop_timer(paths)
        os.unlink(paths.pending)
        raise FirewallError(
            name,
            "(rendered table)",
            "did not load: %s" % err.strip()[:500],
            "the previous table stays loaded",
        )
    sync_guard(run, render.guard_networks(p["policy"]))
    _write(paths.guard + ".pending", "\n".join(render.guard_networks(p["policy"])) + "\n")
    _write(paths.failsafe + ".pending", p["failsafe"])
    result["pending"] = True
    return result


def _as_json_sets(policy):
    return [
        {
            "set": {
                "family": render.FAMILY,
                "table": render.TABLE,
                "name": n,
                "type": s["type"],
                "flags": s["flags"],
            }
        }
        for n, s in render.wanted_sets(policy).items()
    ]


def confirm(paths, check=False):
    """Keep what ``apply`` loaded: stop the timer, make the pending files the confirmed ones."""
    pending = _read(paths.pending)
    if pending is None:
        return {"changed": False, "confirmed": False}
    if check:
        return {"changed": True, "confirmed": False}
    if timer_pid(paths) is None:
        raise FirewallError(
            "gateway_firewall",
            "confirm",
            "came after the rollback timer fired: the previous table is back",
            "fix the policy and apply again",
        )
    stop_timer(paths)
    # the stored table is the body without the prelude (it loads on a fresh boot)
    text = pending[pending.index("# iotguard gateway firewall") :]
    _write(paths.committed, text)
    for done in (paths.guard, paths.failsafe):
        text = _read(done + ".pending")
        if text is not None:
            _write(done, text)
            os.unlink(done + ".pending")
    if os.path.isdir(paths.pending_contrib):
        for entry in os.listdir(paths.pending_contrib):
            os.replace(os.path.join(paths.pending_contrib, entry), os.path.join(paths.contrib, entry))
        os.rmdir(paths.pending_contrib)
    for path in (paths.pending, paths.rollback):
        if os.path.exists(path):
            os.unlink(path)
    return {"changed": True, "confirmed": True}
