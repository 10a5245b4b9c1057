# SPDX-License-Identifier: GPL-3.0-or-later
"""Put one port of the gateway's switch stand-in on one VLAN, as a switch's access port
is: every VLAN is a bridge of its own (brVID), so a port is in exactly one broadcast
domain. Prints "changed" or "unchanged"."""

import json
import subprocess
import sys

PORT, VID = sys.argv[1], int(sys.argv[2])
WANT = "br%d" % VID


def ip(*args):
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def master():
    return json.loads(ip("-j", "link", "show", "dev", PORT))[0].get("master")


if master() == WANT:
    print("unchanged")
    sys.exit(0)
if not json.loads(ip("-j", "link", "show", "type", "bridge")) or WANT not in {
    b["ifname"] for b in json.loads(ip("-j", "link", "show", "type", "bridge"))
}:
    sys.exit("VLAN %d has no bridge %s on the gateway: add it to segment_vlans" % (VID, WANT))
ip("link", "set", PORT, "master", WANT)
if master() != WANT:
    sys.exit("%s: still in %s, not %s" % (PORT, master(), WANT))
print("changed")
