# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The gateway firewall: one ``table inet iotguard`` rendered from the roles' contributions.

``model`` validates contributions (zones, flows, sets, rate limits) and merges them,
``render`` turns the merged policy into an nftables script that reloads the table without
emptying its dynamic sets, ``apply`` loads it with a rollback timer.
"""

from __future__ import annotations


class FirewallError(ValueError):
    """Bad input: ``field`` is the path of the value in the contribution, e.g.
    ``segmentation.flows[2].ports[0]``."""

    def __init__(self, field, value, problem, fix):
        self.field = field
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__("%s: %r %s; %s" % (field, value, problem, fix))
