# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""WireGuard remote access: keys, address pools, peer plans and interface state."""

from __future__ import annotations


class WireGuardError(ValueError):
    """Bad input or state; the message names the field, the value and the fix."""
