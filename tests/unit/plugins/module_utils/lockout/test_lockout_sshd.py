# SPDX-License-Identifier: GPL-3.0-or-later
"""The sshd drop-in never loosens the host, and what sshd -t cannot catch is caught."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import LockoutError, sshd

HOST_T = """port 22
maxauthtries 2
logingracetime 20
passwordauthentication no
permitrootlogin no
maxstartups 10:30:100
persourcemaxstartups none
clientaliveinterval 0
kexalgorithms curve25519-sha256,diffie-hellman-group14-sha256
hostkey /etc/ssh/ssh_host_rsa_key
hostkey /etc/ssh/ssh_host_ed25519_key
"""


@pytest.mark.parametrize(
    ("key", "wanted", "host", "expected"),
    [
        ("maxauthtries", "3", "2", "2"),  # the host's 2 stays (issue 4)
        ("maxauthtries", "3", "6", "3"),
        ("logingracetime", "30", "0", "30"),  # 0 = unlimited, never stricter
        ("persourcemaxstartups", "3", "none", "3"),
        ("passwordauthentication", "yes", "no", "no"),  # the host's no stays (issue 4)
        ("passwordauthentication", "no", "yes", "no"),
        ("disableforwarding", "yes", "no", "yes"),
        ("permitrootlogin", "without-password", "no", "no"),  # (issue 4)
        ("permitrootlogin", "no", "yes", "no"),
        ("loglevel", "verbose", "info", "verbose"),
        ("loglevel", "verbose", "debug1", "debug1"),
        ("maxstartups", "8:40:30", "10:30:100", "8:40:30"),
        ("maxstartups", "10:30:60", "5", "5:100:5"),
        ("ciphers", "aes256-ctr,aes128-ctr", "aes128-ctr,3des-cbc", "aes128-ctr"),
        ("allowgroups", "ssh admins", "admins wheel", "admins"),
        ("usepam", "yes", "no", "yes"),  # forced: without PAM no lockout
    ],
)
def test_stricter(key, wanted, host, expected):
    assert sshd.stricter(key, wanted, host) == expected


def test_merge_reports_what_the_host_kept_and_what_the_release_lacks():
    host = sshd.parse_effective(HOST_T)
    wanted = {
        "MaxAuthTries": 3,
        "PasswordAuthentication": True,
        "PermitRootLogin": "prohibit-password",
        "PerSourceMaxStartups": 2,
        "PerSourcePenalties": "authfail:30s",
        "KexAlgorithms": ["sntrup761x25519-sha512@openssh.com", "curve25519-sha256"],
        "AllowGroups": None,
    }
    settings, kept, unsupported = sshd.merge(wanted, host, (9, 2))
    assert settings == {
        "maxauthtries": "2",
        "passwordauthentication": "no",
        "permitrootlogin": "no",
        "persourcemaxstartups": "2",
        "kexalgorithms": "curve25519-sha256",
    }
    assert {k["keyword"] for k in kept} == {
        "MaxAuthTries",
        "PasswordAuthentication",
        "PermitRootLogin",
        "KexAlgorithms",
    }
    assert unsupported == ["PerSourcePenalties"]
    assert "persourcepenalties" in sshd.merge(wanted, host, (9, 8))[0]


def test_render_puts_match_blocks_last():
    text = sshd.render(
        {"loglevel": "verbose", "maxauthtries": "2"},
        [{"criteria": "User root,breakglass", "settings": {"PasswordAuthentication": False}}],
        "managed",
    )
    assert (
        text == "# managed\nMaxAuthTries 2\nLogLevel VERBOSE\n\n"
        "Match User root,breakglass\n    PasswordAuthentication no\n"
    )


def test_errors_name_the_setting_and_the_fix():
    with pytest.raises(LockoutError, match=r"KexAlgorithms.*nothing in common"):
        sshd.stricter("kexalgorithms", "sntrup761x25519-sha512@openssh.com", "diffie-hellman-group14-sha256")
    with pytest.raises(LockoutError, match=r"AllowGroups.*nobody could log in"):
        sshd.stricter("allowgroups", "ssh", "wheel")
    with pytest.raises(LockoutError, match=r"Banner.*use one of"):
        sshd.merge({"Banner": "/etc/issue"}, {}, (9, 2))
    with pytest.raises(LockoutError, match=r"not an OpenSSH version"):
        sshd.parse_version("dropbear_2022.83")
    assert sshd.parse_version("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.11") == (9, 2)


def test_expand_includes_leaves_out_or_replaces_our_drop_in(tmp_path):
    confd = tmp_path / "sshd_config.d"
    confd.mkdir()
    (confd / "00-site.conf").write_text("MaxAuthTries 2\n")
    (confd / "50-cloud.conf").write_text("PasswordAuthentication yes\n")
    ours = str(confd / "10-iotguard.conf")
    main = "Include %s/*.conf\nUsePAM yes\n" % confd
    without = sshd.expand_includes(main, str(tmp_path), ours, None)
    assert without.splitlines() == [
        "Include %s/00-site.conf" % confd,
        "Include %s/50-cloud.conf" % confd,
        "UsePAM yes",
    ]
    full = sshd.expand_includes(main, str(tmp_path), ours, "/etc/ssh/candidate.conf")
    assert full.splitlines()[1] == "Include /etc/ssh/candidate.conf"
    with pytest.raises(LockoutError, match=r"not read by sshd"):
        sshd.expand_includes("UsePAM yes\n", str(tmp_path), ours, None)


def test_host_keys_must_match_host_key_algorithms():
    # issue 7: an ECDSA-only host with an ed25519/RSA-only HostKeyAlgorithms passes sshd -t
    effective = {"hostkeyalgorithms": "ssh-ed25519,rsa-sha2-512"}
    with pytest.raises(LockoutError, match=r"matches none of the host keys"):
        sshd.check_host_keys(effective, ["ecdsa-sha2-nistp256"])
    assert sshd.check_host_keys(effective, ["ecdsa-sha2-nistp256", "ssh-ed25519"]) == ["ssh-ed25519"]
