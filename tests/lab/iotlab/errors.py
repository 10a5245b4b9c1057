# SPDX-License-Identifier: GPL-3.0-or-later
"""Exceptions shared by the lab."""

from __future__ import annotations


class LabError(Exception):
    """A lab set-up or control error with a message meant for a person."""


class DropConnection(Exception):
    """Raised inside a protocol handler to close the connection without answering."""


class PolicyError(Exception):
    """A new password breaks the device's password policy (message says which rule)."""
