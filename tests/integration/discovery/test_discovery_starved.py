# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Discovery starved on purpose: what was cut short is said, and no address goes missing.

Against the simulated clinic: once with a host deadline shorter than a telnet banner takes,
once with an open-file limit too small for the scan. Either way the run warns, the summary
on every host says the inventory is incomplete, and every device of the site is in the
inventory: found (group ``iot``) or not scanned (group ``iot_not_scanned``), never absent.
"""

from __future__ import annotations

import resource

import pytest
from test_discovery_lab import CLINIC, list_inventory, unwrap

pytestmark = pytest.mark.lab


def starved_inventory(lab_site, tmp_path, **options):
    text = CLINIC.read_text().replace("127.20.0.0/24", lab_site.truth["subnet"])
    text = "\n".join(line for line in text.splitlines() if not line.startswith(tuple(options)))
    text += "\n" + "".join("%s: %s\n" % kv for kv in options.items())
    path = tmp_path / "starved.iot_discovery.yml"
    path.write_text(text)
    return path


def run_inventory(path, nofile=None):
    def limit():
        if nofile is not None:
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
            )

    out, stderr, _elapsed = list_inventory(path, preexec_fn=limit)
    named = unwrap(out["_meta"]["hostvars"])
    # hosts may be named by identity (the switches tell MACs): the tests speak of addresses
    out["_address_of"] = {name: h.get("ansible_host", name) for name, h in named.items()}
    return out, {h.get("ansible_host", name): h for name, h in named.items()}, stderr


def members(out, group):
    address_of = out.get("_address_of", {})
    return {address_of.get(h, h) for h in out.get(group, {}).get("hosts", [])}


def assert_nothing_missing(lab_site, out, hv):
    found, not_scanned = members(out, "iot"), members(out, "iot_not_scanned")
    assert not found & not_scanned
    summary = next(iter(hv.values()))["iot_discovery_summary"]
    assert summary["complete"] is False
    # every address tried is found, not scanned, or answered every probe with nothing
    assert summary["addresses"] == summary["addresses_done"]
    assert (
        summary["hosts_found"] + summary["hosts_not_scanned"] + summary["hosts_absent"]
        == summary["addresses"]
    )
    assert summary["hosts_found"] == len(found)
    assert summary["hosts_not_scanned"] == len(not_scanned)
    missing = [d["name"] for d in lab_site.truth["devices"] if d["address"] not in found | not_scanned]
    assert not missing, "silently missing: %s" % missing
    for address in not_scanned:
        assert hv[address]["iot_scan_status"] in ("not_scanned", "partial")
        assert hv[address]["iot_scan_error"].startswith("host_timeout (")
        assert "iot_class" not in hv[address]
    return summary


def test_host_deadline_cut_short_is_said_and_kept(lab_site, tmp_path):
    # A telnet device made to answer 2 s after it accepts (the lab's "slow" fault on every
    # connection to it): a 0.2 s host deadline must cut it short, however fast the machine.
    # Without the fault the test would hang on how long a banner takes on this machine.
    telnet = sorted((d["name"], d["address"]) for d in lab_site.truth["devices"] if 23 in d["tcp_ports"])
    assert telnet, "the clinic has no telnet device"
    slow_name, slow_address = telnet[0]
    lab_site.fault(slow_name, "connect", "slow", delay=2.0)
    try:
        out, hv, stderr = run_inventory(starved_inventory(lab_site, tmp_path, host_timeout=0.2))
    finally:
        lab_site.clear_faults()
    summary = assert_nothing_missing(lab_site, out, hv)
    assert "scan incomplete" in stderr and "reached host_timeout (0.2s)" in stderr
    partial = [a for a in members(out, "iot") if hv[a]["iot_scan_status"] == "partial"]
    assert partial, "no host was cut short by a 0.2 s deadline"
    assert summary["hosts_deadline"] >= len(partial)
    assert summary["ports_not_probed"] >= len(partial)
    # cut short either after the port answered (partial) or, on a loaded machine, before
    # anything answered (not scanned): said and kept both ways, never taken for complete
    cut = set(partial) | members(out, "iot_not_scanned")
    assert slow_address in cut, (slow_name, (hv.get(slow_address) or {}).get("iot_scan_status"))


def test_descriptor_starvation_lists_not_scanned_addresses(lab_site, tmp_path):
    # 20 open files: the controller's own and a handful of sockets; 400 wanted at once
    path = starved_inventory(lab_site, tmp_path, concurrency=400, host_timeout=0.3)
    out, hv, stderr = run_inventory(path, nofile=20)
    summary = assert_nothing_missing(lab_site, out, hv)
    assert summary["probes_refused_fd"] > 0
    assert "refused for lack of file descriptors" in stderr
    not_scanned = members(out, "iot_not_scanned")
    assert summary["hosts_not_scanned"] >= 1 and not_scanned
    assert any(hv[a]["iot_scan_status"] == "not_scanned" for a in not_scanned)


def test_progress_shows_on_stderr_at_v_and_never_in_the_list(lab_site, tmp_path):
    path = starved_inventory(lab_site, tmp_path, progress_interval=0.2)
    out, stderr, _elapsed = list_inventory(path, args=("-v",))  # stdout parsed as JSON
    lines = [ln for ln in stderr.splitlines() if "addresses done" in ln]
    assert lines, stderr[-2000:]
    # the last line is the final count: every address of the range, every device found
    total = next(iter(out["_meta"]["hostvars"].values()))["iot_discovery_summary"]
    assert "%d/%d addresses done" % (total["addresses"], total["addresses"]) in lines[-1]
    _quiet, quiet_err, _elapsed = list_inventory(path)
    assert "addresses done" not in quiet_err
