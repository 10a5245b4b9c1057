# SPDX-License-Identifier: GPL-3.0-or-later
"""The Samba domain policy: plan from what samba-tool shows, the safety check, read-back.

The fake below answers with samba-tool 4.17's own output formats and keeps the state the
commands change, so a plan applied and planned again must come out empty.
"""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError, samba

LABELS = {
    "complexity": "Password complexity",
    "history": "Password history length",
    "min_length": "Minimum password length",
    "min_age_days": "Minimum password age (days)",
    "max_age_days": "Maximum password age (days)",
    "duration_minutes": "Account lockout duration (mins)",
    "threshold": "Account lockout threshold (attempts)",
    "window_minutes": "Reset account lockout after (mins)",
}
OPTIONS = {
    "--complexity": "complexity",
    "--history-length": "history",
    "--min-pwd-length": "min_length",
    "--min-pwd-age": "min_age_days",
    "--max-pwd-age": "max_age_days",
    "--account-lockout-duration": "duration_minutes",
    "--account-lockout-threshold": "threshold",
    "--reset-account-lockout-after": "window_minutes",
}
PROVISIONED = {
    "complexity": True,
    "history": 24,
    "min_length": 7,
    "min_age_days": 1,
    "max_age_days": 42,
    "duration_minutes": 30,
    "threshold": 0,
    "window_minutes": 30,
}
BASE = "DC=lab,DC=example"


def show(fields):
    out = [
        "Password complexity: %s" % ("on" if fields["complexity"] else "off"),
        "Store plaintext passwords: off",
    ]
    out += ["%s: %s" % (LABELS[k], fields[k]) for k in LABELS if k != "complexity"]
    return "\n".join(out) + "\n"


class FakeSambaTool:
    def __init__(self, users=("Administrator", "bg", "alice"), admins=("Administrator", "bg")):
        self.domain = dict(PROVISIONED)
        self.users = {u: "CN=%s,CN=Users,%s" % (u, BASE) for u in users}
        self.groups = {
            "Domain Admins": ("CN=Domain Admins,CN=Users,%s" % BASE, list(admins)),
            "Schema Admins": ("CN=Schema Admins,CN=Users,%s" % BASE, ["Administrator"]),
        }
        self.psos = {}
        self.calls = []

    def _fields(self, args, into):
        for arg in args:
            key, value = arg.split("=", 1)
            if key in OPTIONS:
                into[OPTIONS[key]] = value == "on" if key == "--complexity" else int(value)

    def __call__(self, argv):
        assert argv[0] == "/usr/bin/samba-tool"
        args = argv[1:]
        self.calls.append(args)
        head = args[:3]
        if args[:3] == ["domain", "passwordsettings", "show"]:
            return 0, "Password information for domain '%s'\n\n%s" % (BASE, show(self.domain)), ""
        if head == ["domain", "passwordsettings", "set"]:
            self._fields(args[3:], self.domain)
            return 0, "All changes applied successfully!\n", ""
        if head == ["domain", "passwordsettings", "pso"]:
            return self._pso(args[3], args[4:])
        if args[0] in ("user", "group") and args[1] == "show":
            dn = self.users.get(args[2]) if args[0] == "user" else self.groups.get(args[2], (None,))[0]
            if dn is None:
                return 255, "", 'ERROR: Unable to find %s "%s"\n' % (args[0], args[2])
            return 0, "dn: %s\ndistinguishedName: %s\n\n" % (dn, dn), ""
        if args[:2] == ["group", "listmembers"]:
            return 0, "".join(m + "\n" for m in self.groups[args[2]][1]), ""
        raise AssertionError("unexpected samba-tool call %r" % args)

    def _pso(self, verb, rest):
        if verb == "list":
            rows = ["%-10s | %s" % (p["precedence"], n) for n, p in sorted(self.psos.items())]
            return 0, "Precedence | PSO name\n" + "-" * 50 + "\n" + "".join(r + "\n" for r in rows), ""
        name = rest[0]
        if verb == "create":
            pso = {"precedence": int(rest[1]), "applies": [], "fields": dict(self.domain)}
            self._fields(rest[2:], pso["fields"])
            self.psos[name] = pso
        elif verb == "set":
            self._fields(rest[1:], self.psos[name]["fields"])
            for arg in rest[1:]:
                if arg.startswith("--precedence="):
                    self.psos[name]["precedence"] = int(arg.split("=")[1])
        elif verb == "apply":
            target = self.users.get(rest[1]) or self.groups[rest[1]][0]
            self.psos[name]["applies"].append(target)
        elif verb == "unapply":
            self.psos[name]["applies"] = [
                dn for dn in self.psos[name]["applies"] if not dn.startswith("CN=%s," % rest[1])
            ]
        elif verb == "show":
            pso = self.psos[name]
            text = "Password information for PSO '%s'\n\nPrecedence (lowest is best): %d\n%s" % (
                name,
                pso["precedence"],
                show(pso["fields"]),
            )
            if pso["applies"]:
                text += "\nPSO applies directly to %d groups/users:\n" % len(pso["applies"])
                text += "".join("  %s\n" % dn for dn in pso["applies"])
            else:
                text += "\nNote: PSO does not apply to any users or groups.\n"
            return 0, text, ""
        return 0, "", ""


PARAMS = {
    "backend": "samba",
    "deny": 4,
    "fail_interval": 60,
    "unlock_time": 60,
    "accept_permanent_lock": False,
    "min_length": 12,
    "min_classes": 3,
    "history": 5,
    "max_age_days": 200,
    "min_age_days": 2,
    "admin_groups": ["Domain Admins"],
    "admin_min_length": 15,
    "break_glass_account": "bg",
    "admin_pso": "iotguard-admins",
    "break_glass_pso": "iotguard-break-glass",
}


def domain_for(fake):
    return samba.SambaDomain(fake, "/usr/bin/samba-tool")


def test_first_run_sets_domain_and_both_psos_then_nothing_is_pending():
    fake = FakeSambaTool()
    want = samba.want_from_params(PARAMS)
    tool = domain_for(fake)
    commands, before, after = tool.plan(want)
    verbs = [" ".join(c[2:4]) if c[2] == "pso" else c[2] for c in commands]
    assert verbs == ["set", "pso create", "pso apply", "pso create", "pso apply"]
    assert commands[0][3:] == [
        "--complexity=on",
        "--history-length=5",
        "--min-pwd-length=12",
        "--min-pwd-age=2",
        "--max-pwd-age=200",
        "--account-lockout-duration=1",
        "--account-lockout-threshold=4",
        "--reset-account-lockout-after=1",
    ]
    assert commands[1][4:6] == ["iotguard-admins", "10"] and "--min-pwd-length=15" in commands[1]
    assert commands[2][4:] == ["iotguard-admins", "Domain Admins"]
    assert (
        commands[3][4:6] == ["iotguard-break-glass", "1"] and "--account-lockout-threshold=0" in commands[3]
    )
    assert commands[4][4:] == ["iotguard-break-glass", "bg"]
    assert "threshold: 0" in before and "threshold: 4" in after
    tool.apply(commands)
    assert fake.domain["threshold"] == 4 and fake.domain["window_minutes"] == 1
    assert fake.psos["iotguard-break-glass"]["fields"]["threshold"] == 0
    assert fake.psos["iotguard-admins"]["applies"] == ["CN=Domain Admins,CN=Users,%s" % BASE]
    assert tool.pending(want) == []
    again, before2, after2 = tool.plan(want)
    assert again == [] and before2 == after2


def test_drifted_pso_is_set_back_and_a_stray_member_unapplied():
    fake = FakeSambaTool()
    want = samba.want_from_params(PARAMS)
    tool = domain_for(fake)
    tool.apply(tool.plan(want)[0])
    fake.psos["iotguard-break-glass"]["fields"]["threshold"] = 3
    fake.psos["iotguard-admins"]["applies"].append("CN=alice,CN=Users,%s" % BASE)
    commands = tool.plan(want)[0]
    verbs = sorted(c[3:5] for c in commands)
    assert verbs == [["set", "iotguard-break-glass"], ["unapply", "iotguard-admins"]]
    assert ["domain", "passwordsettings", "pso", "unapply", "iotguard-admins", "alice"] in commands
    tool.apply(commands)
    assert tool.pending(want) == []


@pytest.mark.parametrize(
    ("params", "fake_kwargs", "message"),
    [
        ({"break_glass_account": ""}, {}, r"break_glass_account: '' is empty.*locks out every admin"),
        ({"break_glass_account": "ghost"}, {}, r"'ghost' is not a user in this domain"),
        ({}, {"admins": ("Administrator",)}, r"'bg' is not a member of any of the admin groups"),
        ({"admin_groups": ["Admins"]}, {}, r"admin_groups: 'Admins' is not a group in this domain"),
        ({"admin_groups": []}, {}, r"admin_groups: \[\] is empty"),
        ({"backend": "ldap"}, {}, r"lockout_policy_domain_backend: 'ldap' is not a domain backend"),
        ({"backend": "windows"}, {}, r"'windows' is not applied by samba-tool.*microsoft.ad.object"),
        ({"deny": 1, "unlock_time": 0, "accept_permanent_lock": True}, {}, r"with a threshold of 1"),
        ({"unlock_time": 0}, {}, r"accept_permanent_lock"),
        ({"fail_interval": 90}, {}, r"whole number of minutes"),
    ],
)
def test_unsafe_or_bad_policies_are_refused_before_anything_changes(params, fake_kwargs, message):
    fake = FakeSambaTool(**fake_kwargs)
    with pytest.raises(LockoutError, match=message):
        domain_for(fake).plan(samba.want_from_params(dict(PARAMS, **params)))
    changing = [c for c in fake.calls if c[2:3] in (["set"],) or c[3:4] in (["create"], ["set"], ["apply"])]
    assert changing == []


def test_a_failing_samba_tool_names_the_command():
    def broken(argv):
        return 255, "", "ERROR: Failed to connect to sam.ldb\n"

    with pytest.raises(
        samba.SambaToolError, match=r"samba-tool group show Domain Admins failed \(rc 255\).*sam.ldb"
    ):
        samba.SambaDomain(broken, "samba-tool").plan(samba.want_from_params(PARAMS))


@pytest.mark.parametrize(
    ("dn", "name"),
    [
        ("CN=bg,CN=Users,DC=x", "bg"),
        (r"CN=Smith\, Jo,OU=IT,DC=x", "Smith, Jo"),
        ("CN=Domain Admins,CN=Users", "Domain Admins"),
    ],
)
def test_rdn_value(dn, name):
    assert samba.rdn_value(dn) == name
