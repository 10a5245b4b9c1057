# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The domain policy on a Samba AD DC through ``samba-tool``: read, plan, apply, read back.

Three things are managed: the domain's own password settings, a fine-grained password
policy (PSO) for the admin groups, and a PSO for the break-glass account that never locks
it (lockout threshold 0, precedence 1; a PSO applied to a user beats any group's). A
policy that can lock accounts is refused unless a break-glass account exists and is a
member of one of the admin groups, so that a cracker who locks every admin cannot lock
the way back in. ``run(argv) -> (rc, stdout, stderr)`` is the only way out.
"""

from __future__ import annotations

import re

from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout.domain import (
    DomainPolicy,
    parse_samba_show,
    samba_set_args,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout.domain import (
    check_backend as domain_backend,
)

ADMIN_PSO_PRECEDENCE = 10
BREAK_GLASS_PSO_PRECEDENCE = 1


class SambaToolError(RuntimeError):
    pass


def _failed(argv, rc, out, err):
    tail = (err or out or "").strip()[-400:]
    return SambaToolError("%s failed (rc %s): %s" % (" ".join(argv[:4]), rc, tail))


def parse_pso_show(text):
    """``pso show NAME`` -> (policy fields, precedence, set of DNs it applies to)."""
    fields = parse_samba_show(text)
    match = re.search(r"^Precedence \(lowest is best\):\s*(\d+)\s*$", text or "", re.M)
    precedence = int(match.group(1)) if match else None
    applies, in_list = set(), False
    for line in (text or "").splitlines():
        if line.startswith("PSO applies directly to"):
            in_list = True
        elif in_list and line.startswith("  ") and "=" in line:
            applies.add(line.strip())
        elif in_list and line.strip():
            in_list = False
    return fields, precedence, applies


def parse_pso_list(text):
    """``pso list`` -> names of the PSOs (its table: ``precedence | name``)."""
    names = []
    for line in (text or "").splitlines():
        match = re.match(r"^\s*\d+\s*\|\s*(\S.*?)\s*$", line)
        if match:
            names.append(match.group(1))
    return names


def parse_dn(text):
    """The ``dn:`` line of ``user show``/``group show``."""
    match = re.search(r"^dn:\s*(\S.*?)\s*$", text or "", re.M)
    return match.group(1) if match else None


def rdn_value(dn):
    """``CN=bg,CN=Users,...`` -> ``bg`` (samba-tool takes names, not DNs, for unapply)."""
    return re.match(r"^[^=]+=((?:[^,\\]|\\.)*)", dn).group(1).replace("\\", "")


def parse_members(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _lines(fields, precedence=None, applies=()):
    out = ["%s: %s" % (name, fields.get(name)) for name in DomainPolicy.FIELDS]
    if precedence is not None:
        out.append("precedence: %s" % precedence)
    out.extend("applies to: %s" % dn for dn in sorted(applies))
    return out


class Want:
    """What the domain should hold: the domain policy, the admins' PSO, the break-glass PSO."""

    def __init__(self, policy, admin_groups, admin_min_length, break_glass, admin_pso, break_glass_pso):
        self.policy = policy
        self.admin_groups = list(admin_groups)
        self.admin_policy = DomainPolicy(
            **dict(policy.as_dict(), min_length=max(admin_min_length, policy.min_length))
        )
        self.admin_policy.check()
        # never locked; everything else as the admins'
        self.break_glass_policy = DomainPolicy(**dict(self.admin_policy.as_dict(), threshold=0))
        self.break_glass = break_glass
        self.admin_pso = admin_pso
        self.break_glass_pso = break_glass_pso


class SambaDomain:
    def __init__(self, run, samba_tool="samba-tool"):
        self.run = run
        self.tool = samba_tool

    def _call(self, *args, ok_rc=(0,)):
        argv = [self.tool, *args]
        rc, out, err = self.run(argv)
        if rc not in ok_rc:
            raise SambaToolError(
                "%s failed (rc %s): %s" % (" ".join(argv[:4]), rc, (err or out).strip()[-400:])
            )
        return rc, out

    # --- reading ----------------------------------------------------------------------
    def domain_fields(self):
        return parse_samba_show(self._call("domain", "passwordsettings", "show")[1])

    def psos(self):
        return parse_pso_list(self._call("domain", "passwordsettings", "pso", "list")[1])

    def pso(self, name):
        return parse_pso_show(self._call("domain", "passwordsettings", "pso", "show", name)[1])

    def dn(self, kind, name):
        """DN of a user or group, None when it does not exist."""
        argv = [self.tool, kind, "show", name, "--attributes=distinguishedName"]
        rc, out, err = self.run(argv)
        if rc and "Unable to find" in (err or "") + (out or ""):
            return None
        if rc:
            raise SambaToolError(
                "%s failed (rc %s): %s" % (" ".join(argv[:4]), rc, (err or out).strip()[-400:])
            )
        return parse_dn(out)

    def members(self, group):
        return parse_members(self._call("group", "listmembers", group)[1])

    # --- safety -----------------------------------------------------------------------
    def check_safe(self, want):
        """Refuse a policy that could lock out every admin, before anything changes."""
        groups = {}
        for group in want.admin_groups:
            dn = self.dn("group", group)
            if dn is None:
                raise LockoutError(
                    "lockout_policy_domain_admin_groups",
                    group,
                    "is not a group in this domain",
                    "name the domain's admin groups as samba-tool group list shows them",
                )
            groups[group] = dn
        lockable = want.policy.threshold > 0
        if not lockable:
            return groups, None
        if not want.break_glass:
            raise LockoutError(
                "lockout_policy_domain_break_glass_account",
                want.break_glass,
                "is empty, and with a lockout threshold of %d a cracker who guesses at every member of %s"
                " locks out every admin of the domain"
                % (want.policy.threshold, ", ".join(want.admin_groups)),
                "name a domain admin account kept for emergencies (it gets a PSO that never locks it;"
                " give it a long random password kept offline)",
            )
        bg_dn = self.dn("user", want.break_glass)
        if bg_dn is None:
            raise LockoutError(
                "lockout_policy_domain_break_glass_account",
                want.break_glass,
                "is not a user in this domain",
                "create it (samba-tool user create) and add it to an admin group first",
            )
        if not any(want.break_glass in self.members(group) for group in want.admin_groups):
            raise LockoutError(
                "lockout_policy_domain_break_glass_account",
                want.break_glass,
                "is not a member of any of the admin groups (%s), so it is no way back in when the admins"
                " are locked" % ", ".join(want.admin_groups),
                "add it to one of them (samba-tool group addmembers) before the lockout is applied",
            )
        return groups, bg_dn

    # --- planning ---------------------------------------------------------------------
    def plan(self, want):
        """-> (commands, before_text, after_text); commands are samba-tool argument lists."""
        groups, bg_dn = self.check_safe(want)
        commands, before, after = [], [], []

        have = self.domain_fields()
        before += ["[domain]", *_lines(have)]
        after += ["[domain]", *_lines(want.policy.as_dict())]
        if any(have.get(f) != v for f, v in want.policy.as_dict().items()):
            commands.append(["domain", "passwordsettings", "set", *samba_set_args(want.policy)])

        existing = set(self.psos())
        targets = [
            (
                want.admin_pso,
                want.admin_policy,
                ADMIN_PSO_PRECEDENCE,
                {dn: name for name, dn in groups.items()},
            )
        ]
        if bg_dn:
            targets.append(
                (
                    want.break_glass_pso,
                    want.break_glass_policy,
                    BREAK_GLASS_PSO_PRECEDENCE,
                    {bg_dn: want.break_glass},
                )
            )
        for name, policy, precedence, applies in targets:
            if name in existing:
                fields, prec, applied = self.pso(name)
                before += ["[pso %s]" % name, *_lines(fields, prec, applied)]
                if fields != policy.as_dict() or prec != precedence:
                    commands.append(
                        [
                            "domain",
                            "passwordsettings",
                            "pso",
                            "set",
                            name,
                            "--precedence=%d" % precedence,
                            *samba_set_args(policy),
                        ]
                    )
            else:
                applied = set()
                commands.append(
                    [
                        "domain",
                        "passwordsettings",
                        "pso",
                        "create",
                        name,
                        str(precedence),
                        *samba_set_args(policy),
                    ]
                )
            after += ["[pso %s]" % name, *_lines(policy.as_dict(), precedence, applies)]
            for dn in sorted(set(applies) - applied):
                commands.append(["domain", "passwordsettings", "pso", "apply", name, applies[dn]])
            for dn in sorted(applied - set(applies)):
                commands.append(["domain", "passwordsettings", "pso", "unapply", name, rdn_value(dn)])
        # the break-glass PSO of an earlier run, when the policy no longer locks anyone
        if not bg_dn and want.break_glass_pso in existing:
            fields, prec, applied = self.pso(want.break_glass_pso)
            before += ["[pso %s]" % want.break_glass_pso, *_lines(fields, prec, applied)]
        return commands, "\n".join(before) + "\n", "\n".join(after) + "\n"

    def apply(self, commands):
        for args in commands:
            self._call(*args)

    def pending(self, want):
        """Read back after applying: the commands a new plan still wants (none when it took)."""
        return self.plan(want)[0]


def want_from_params(params):
    """The module's options (the Linux policy's units) -> Want, refusing bad input first."""
    if domain_backend(params["backend"]) != "samba":
        raise LockoutError(
            "lockout_policy_domain_backend",
            params["backend"],
            "is not applied by samba-tool: a Windows domain controller takes the policy through microsoft.ad",
            "use the microsoft.ad.object tasks the lockout_policy README shows, or set it to samba",
        )
    policy = DomainPolicy.from_role(
        {
            "faillock_deny": params["deny"],
            "faillock_fail_interval": params["fail_interval"],
            "faillock_unlock_time": params["unlock_time"],
            "password_min_length": params["min_length"],
            "password_min_classes": params["min_classes"],
            "password_history": params["history"],
            "password_max_age_days": params["max_age_days"],
            "password_min_age_days": params["min_age_days"],
        },
        accept_permanent_lock=params["accept_permanent_lock"],
    )
    if not params["admin_groups"]:
        raise LockoutError(
            "lockout_policy_domain_admin_groups",
            params["admin_groups"],
            "is empty, so no admin gets the admins' password policy and nobody is checked to keep a way in",
            "name the domain's admin groups (Domain Admins is usual)",
        )
    return Want(
        policy,
        params["admin_groups"],
        params["admin_min_length"],
        params["break_glass_account"],
        params["admin_pso"],
        params["break_glass_pso"],
    )
