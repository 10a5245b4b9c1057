# SPDX-License-Identifier: GPL-3.0-or-later
"""Credential records follow the device, not its address. Three lab cameras are rotated;
between runs two of them swap addresses and the third gets a new one (the DHCP server's
leases say which MAC holds which address). The second run, on discovery's inventory named
by address (the hardest case for a store keyed by host name), uses no stored credential on
the wrong device, loses none, and proves every device's stored password."""

from __future__ import annotations

import json

import pytest
import yaml
from iotlab.testing import LabSite
from rotlab import discovery_inventory, run_playbook, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SUBNET = "127.20.97.0/28"


def _site(path, addresses):
    spec = {
        "name": "identity-lab",
        "description": "three cameras whose leases change",
        "subnet": SUBNET,
        "first_device_address": "127.20.97.10",
        "switches": [],
        "devices": [
            {"kind": "hikvision_camera", "name": name, "variant": "DS-2CD2143G0-I", "address": addr}
            for name, addr in addresses.items()
        ],
    }
    path.write_text(yaml.safe_dump(spec))


def _leases(path, truth):
    path.write_text(
        "".join(
            "lease %s {\n  binding state active;\n  hardware ethernet %s;\n}\n" % (d["address"], d["mac"])
            for d in truth["devices"]
        )
    )


def test_swapped_and_moved_devices_keep_their_own_credentials(tmp_path):
    site_file = tmp_path / "identity-lab.yml"
    _site(site_file, {"cam-a": "127.20.97.10", "cam-b": "127.20.97.11", "cam-c": "127.20.97.12"})
    lab = LabSite(str(site_file))
    inv_dir = tmp_path / "client-identity"
    leases = tmp_path / "dhcpd.leases"
    try:
        lab.up(fresh=True)
        _leases(leases, lab.truth)
        inventory = discovery_inventory(lab.truth, inv_dir, dhcp_leases=[str(leases)], host_naming="address")
        out = run_playbook(inv_dir, inventory=inventory)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
        store = store_for(inv_dir)
        first = {d["name"]: d for d in lab.refresh()["devices"]}
        for dev in first.values():
            assert store.current(dev["address"], "admin") == dev["credentials"][0]["password"]
            assert store.load(dev["address"])["identity"]["mac"] == dev["mac"]

        # new leases: a and b swap, c moves to .13; the devices keep their passwords
        lab.down()
        _site(site_file, {"cam-a": "127.20.97.11", "cam-b": "127.20.97.10", "cam-c": "127.20.97.13"})
        lab.up(fresh=False)
        _leases(leases, lab.truth)
        second = {d["name"]: d for d in lab.refresh()["devices"]}
        assert second["cam-a"]["address"] == first["cam-b"]["address"]
        assert all(second[n]["credentials"] == first[n]["credentials"] for n in second)

        out = run_playbook(inv_dir, "-e", "credential_rotation_regenerate=never", inventory=inventory)
        assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
        summary = json.loads((inv_dir / "reports" / "identity-lab" / "credential-rotation.json").read_text())
        rows = {r["host"]: r for r in summary["devices"]}
        after = {d["name"]: d for d in lab.refresh()["devices"]}
        for name, dev in after.items():
            row = rows[dev["address"]]
            assert row["status"] == "compliant", row
            # the stored password was the first one tried and it was this device's own
            assert row["budget"]["attempts"][0] == {
                "user": "admin",
                "kind": "current",
                "result": "accepted",
            }, row
            assert dev["auth"]["failures"] == 0, "%s saw a wrong password: %s" % (name, dev["auth"])
            assert store.current(dev["address"], "admin") == dev["credentials"][0]["password"]
            print(
                "%s: %s -> %s, record: %s"
                % (name, first[name]["address"], dev["address"], row.get("identity"))
            )
        # nothing lost: the old address of c holds nothing, no password is gone from the store
        assert store.load("127.20.97.12")["accounts"] == {}
    finally:
        lab.down()
