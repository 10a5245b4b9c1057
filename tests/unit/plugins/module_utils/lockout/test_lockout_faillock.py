# SPDX-License-Identifier: GPL-3.0-or-later
"""pam_faillock through a device's shell: reading faillock.conf and the auth stack, the awk
script that sets deny and unlock_time (run here by a real sh and awk), and the profiles the
lockout_policy role installs (one PAM stack for hosts and devices)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import faillock

ROOT = Path(__file__).resolve().parents[5]
STACK = (
    "auth\trequisite\t\t\tpam_faillock.so preauth\n"
    "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n"
    "auth\t[default=die]\t\t\tpam_faillock.so authfail\n"
)


def test_parse_needs_preauth_and_authfail():
    got = faillock.parse("deny = 4\nunlock_time = 90\n", STACK)
    assert got["enabled"] is True and (got["threshold"], got["duration"]) == (4, 90)
    assert "preauth and authfail" in got["evidence"]
    only_pre = faillock.parse("", STACK.splitlines()[0])
    assert only_pre["enabled"] is False and "preauth only" in only_pre["evidence"]
    # the defaults of faillock.conf(5) while a key is absent; a commented module is absent
    off = faillock.parse("# deny = 9\n", "# auth required pam_faillock.so preauth authfail\n")
    assert off == {"enabled": False, "threshold": 3, "duration": 600, "evidence": off["evidence"]}
    assert "absent" in off["evidence"]


@pytest.mark.skipif(not shutil.which("awk"), reason="needs awk")
@pytest.mark.parametrize(
    "before",
    [
        "",
        "# pam_faillock settings\ndir = /var/lib/faillock\ndeny = 9\naudit\n",
        "  deny=2\nunlock_time = 0\n",
    ],
)
def test_set_keys_script_sets_both_keys_and_keeps_the_rest(tmp_path, before):
    conf = tmp_path / "faillock.conf"
    conf.write_text(before)
    subprocess.run(["sh", "-c", faillock.set_keys_script(5, 120, conf=str(conf))], check=True)
    text = conf.read_text()
    assert faillock.parse(text, STACK)["threshold"] == 5
    assert faillock.parse(text, STACK)["duration"] == 120
    assert text.count("deny =") == 1 and text.count("unlock_time =") == 1
    for line in before.splitlines():
        if "deny" not in line and "unlock_time" not in line:
            assert line in text.splitlines()
    # a second run leaves the file as it is
    subprocess.run(["sh", "-c", faillock.set_keys_script(5, 120, conf=str(conf))], check=True)
    assert conf.read_text() == text


@pytest.mark.parametrize(("threshold", "duration"), [(0, 60), (3, 0), (True, 60), ("3", 60)])
def test_set_keys_script_refuses_what_would_lock_for_ever_or_never(threshold, duration):
    with pytest.raises(ValueError, match="at least 1"):
        faillock.set_keys_script(threshold, duration)


def test_profiles_are_the_lockout_policy_roles():
    templates = ROOT / "roles" / "lockout_policy" / "templates"
    for name, text in faillock.PROFILES.items():
        assert (templates / (name + ".j2")).read_text() == text, name
