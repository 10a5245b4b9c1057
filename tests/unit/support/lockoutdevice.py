# SPDX-License-Identifier: GPL-3.0-or-later
"""A device with per-user failure counters and a lock, as the lab's and real firmware have
them: a good login resets the user's counter, the threshold-th failure locks the user."""

from __future__ import annotations


class LockoutDevice:
    def __init__(self, passwords, threshold):
        self.passwords = dict(passwords)
        self.threshold = threshold
        self.failures = {}
        self.locked = set()
        self.sent = []

    def login(self, user, pw):
        self.sent.append((user, pw))
        if user in self.locked:
            return False
        if self.passwords.get(user) == pw:
            self.failures[user] = 0
            return True
        self.failures[user] = self.failures.get(user, 0) + 1
        if self.failures[user] >= self.threshold:
            self.locked.add(user)
        return False
