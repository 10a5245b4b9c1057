# SPDX-License-Identifier: GPL-3.0-or-later
"""Password logins outside PAM are recognised from processes, boot links and inetd.conf."""

from __future__ import annotations

import pytest
from ansible_collections.iotguard.hardening.plugins.module_utils.lockout import services


@pytest.mark.parametrize(
    ("exe", "argv", "expected"),
    [
        ("/usr/sbin/dropbear", ["dropbear", "-R", "-p", "2222"], "dropbear"),
        ("/bin/busybox", ["busybox", "telnetd", "-p", "2323"], "busybox-telnetd"),
        ("/bin/busybox", ["/opt/bb/login"], "busybox-login"),
        ("/usr/sbin/telnetd", ["telnetd"], "telnetd"),
        ("/bin/busybox", ["busybox", "httpd"], None),
        ("/usr/sbin/sshd", ["sshd:", "/usr/sbin/sshd"], None),
        ("/usr/bin/python3", ["python3", "telnetd.py"], None),
    ],
)
def test_classify(exe, argv, expected):
    assert services.classify(exe, argv) == expected


INETD = """# comment
#telnet stream tcp nowait root /usr/sbin/tcpd /usr/sbin/telnetd
telnet  stream  tcp  nowait  root  /usr/sbin/tcpd  /usr/sbin/telnetd
ftp stream tcp nowait root /usr/sbin/tcpd /usr/sbin/ftpd
"""


def test_find_services_and_the_fix():
    found = services.find_services(
        [
            {"pid": 12, "exe": "/usr/sbin/dropbear", "argv": ["dropbear"]},
            {"pid": 13, "exe": "/usr/sbin/sshd", "argv": ["sshd"]},
        ],
        {"dropbear", "ssh"},
        INETD,
    )
    assert sorted(found) == ["dropbear", "telnetd"]
    assert found["dropbear"]["pids"] == [12] and found["dropbear"]["boot"] == ["dropbear"]
    assert found["telnetd"]["inetd"] == 1
    lines = services.describe(found)
    assert (
        lines[0].startswith("dropbear: dropbear SSH server")
        and "running as pid 12 and enabled at boot" in lines[0]
    )
    assert "fix: comment the telnet line" in lines[1]


def test_disable_inetd_comments_only_telnet():
    after = services.disable_inetd(INETD)
    assert services.inetd_lines(after) == []
    assert "\nftp stream" in after
    assert services.find_services([], set(), "") == {}
