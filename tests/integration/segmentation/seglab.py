# SPDX-License-Identifier: GPL-3.0-or-later
"""What the segmentation tests and the benchmark share: the lab's switches as the role's
``vlan_segmentation_switches`` entries."""

from __future__ import annotations


def segment_switches(truth, timeout=None):
    out = []
    for sw in truth["switches"]:
        spec = {
            "name": sw["name"],
            "platform": sw["dialect"],
            "host": sw["address"],
            "port": sw["ssh_port"],
            "username": sw["username"],
            "password": sw["password"],
            "secret": sw["enable_secret"],
            "uplinks": sw["uplinks"],
        }
        if timeout:
            spec["timeout"] = timeout
        out.append(spec)
    return out
