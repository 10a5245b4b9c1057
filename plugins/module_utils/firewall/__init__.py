# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The gateway firewall: one ``table inet iotguard`` rendered from the roles' contributions.

``model`` validates contributions (zones, flows, sets, rate limits) and merges them,
``render`` turns the merged policy into an nftables script that reloads the table without
emptying its dynamic sets, ``apply`` loads it with a rollback timer.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError


class FirewallError(DiscoveryError):
    """Bad input, in the collection's one error shape (field, value, problem, fix); ``field``
    is the path of the value in the contribution, e.g. ``segmentation.flows[2].ports[0]``."""
