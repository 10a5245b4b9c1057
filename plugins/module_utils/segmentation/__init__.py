# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""VLAN segmentation: the plan (class -> zone -> VLAN -> port), the switch resource
configuration (want vs have -> commands) and segmentation's contribution to the gateway
firewall."""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError


class SegmentationError(DiscoveryError):
    """Bad input or a refused change: ``field``, ``value``, ``problem`` and ``fix``."""
