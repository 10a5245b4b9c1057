# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Account lockout and password policy: sshd, PAM and the Windows domain."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError


class LockoutError(DiscoveryError):
    """Bad input or an unsafe result, in the collection's error shape: ``field`` names the
    setting, ``value`` what it was, ``problem`` and ``fix``."""
