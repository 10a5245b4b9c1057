# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Errors that name the field, the value and the fix."""

from __future__ import annotations


class DiscoveryError(ValueError):
    """Bad input: ``field`` is the option path (e.g. ``networks[2]``)."""

    def __init__(self, field, value, problem, fix):
        self.field = field
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__("%s: %r %s; %s" % (field, value, problem, fix))


class SourceWarning(Exception):
    """A source that failed on its own: the rest of the inventory still stands."""
