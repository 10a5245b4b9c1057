# SPDX-License-Identifier: GPL-3.0-or-later
"""What the segmentation tests and the benchmark share: the lab's switches as the role's
``vlan_segmentation_switches`` entries and as the discovery inventory's ``switches``."""

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


def discovery_switches(truth):
    """The lab's switches as the discovery inventory's ``switches`` entries."""
    return [
        {
            "host": sw["address"],
            "port": sw["ssh_port"],
            "name": sw["name"],
            "device_type": sw["dialect"],
            "username": sw["username"],
            "password": sw["password"],
            "uplink_ports": sw["uplinks"],
        }
        for sw in truth["switches"]
    ]
