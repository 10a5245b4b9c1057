# SPDX-License-Identifier: GPL-3.0-or-later
"""A site served by several lab processes behind one `lab up` (how 10,000 devices fit)."""

from __future__ import annotations

import os
import socket

import pytest
from iotlab.control import LabControl
from iotlab.site import load_site
from iotlab.testing import LabSite

pytestmark = pytest.mark.lab


def answers(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex((address, port)) == 0


def test_site_in_three_processes_is_one_site(tmp_path):
    spec = load_site("clinic", rebase="127.26.0.0/24")
    site = LabSite("clinic", state_dir=tmp_path / "lab", rebase="127.26.0.0/24", processes=3)
    site.up(fresh=True)
    try:
        status = site.control.status()
        assert status["devices"] == len(spec.devices) and len(set(status["pids"])) == 3
        assert all(os.path.exists("/proc/%d" % pid) for pid in status["pids"])
        # one ground truth, every device in it once, in site order, switches from shard 0
        names = [d["name"] for d in site.truth["devices"]]
        assert names == [d.name for d in spec.devices]
        assert {s["name"] for s in site.truth["switches"]} == {s.name for s in spec.switches}
        # devices of the first and the last shard answer on their addresses
        first, last = site.truth["devices"][0], site.truth["devices"][-1]
        assert answers(first["address"], first["tcp_ports"][0])
        assert answers(last["address"], last["tcp_ports"][0])
        # a fault reaches the shard that has the device; an unknown device is an error
        site.fault(last["name"], "connect", "reject", times=1)
        assert [f["device"] for f in LabControl(site.state_dir).faults()] == [last["name"]]
        with pytest.raises(Exception, match="is not in site"):
            site.fault("no-such-device", "connect", "reject")
    finally:
        site.down()
    assert not any(os.path.exists("/proc/%d" % pid) for pid in status["pids"])
