# SPDX-License-Identifier: GPL-3.0-or-later
"""Every driver that changes a password says so right before the password leaves.

The rotation marks the store's pending password sent from the driver's ``_sending()``
call; a pending password still marked unsent is tried last by the next run. A driver that
forgot the call would not lose the password (it is still tried), but would make the next
run spend its logins on the old one first: this test names such a driver."""

from __future__ import annotations

import inspect

from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import DRIVERS, _expect
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.base import BaseDriver

#: what a change_password may do to announce the send: call the hook, ask a shared helper to
#: call it (``sending=True``), or run passwd through the dialog that calls it
ANNOUNCES = ("self._sending()", "sending=True", "passwd_dialog(")


def _owner(cls, name):
    return next(k for k in cls.__mro__ if name in vars(k))


def test_passwd_dialog_announces_before_typing_the_new_password():
    src = inspect.getsource(_expect.passwd_dialog)
    assert src.index("driver._sending()") < src.rindex("session.send_line(old if what")


def test_every_driver_that_changes_a_password_announces_it():
    silent = []
    for name, cls in sorted(DRIVERS.items()):
        if cls.manual_rotation:
            continue  # the engineer sets it on the device's screen: nothing leaves from here
        owner = _owner(cls, "change_password")
        if owner is BaseDriver:
            continue  # no change_password: nothing to announce
        src = inspect.getsource(vars(owner)["change_password"])
        if not any(word in src for word in ANNOUNCES):
            silent.append("%s (%s.change_password)" % (name, owner.__name__))
    assert not silent, "drivers that send a new password without _sending(): %s" % ", ".join(silent)
    assert len(DRIVERS) > 10, "the registry did not load"
