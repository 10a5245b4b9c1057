# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""iot_facts through AnsiballZ (ansible ad-hoc), against small devices on 127.99.3.x."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(TOP / "tests/unit/plugins/module_utils/discovery"))

import fakedevices as fd  # noqa: E402

BIN = TOP / ".venv/bin"


def adhoc(args, check=False):
    if not (BIN / "ansible").exists():
        pytest.fail("ansible is missing: run scripts/setup.sh")
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_NOCOLOR="1", PATH="%s:%s" % (BIN, env["PATH"])
    )
    cmd = [
        str(BIN / "ansible"),
        "localhost",
        "-c",
        "local",
        "-m",
        "iotguard.hardening.iot_facts",
        "-a",
        json.dumps(args),
    ]
    if check:
        cmd.append("--check")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=TOP, timeout=120, check=False)
    out = json.loads(p.stdout)
    return out["plays"][0]["tasks"][0]["hosts"]["localhost"], p


@pytest.fixture(scope="module")
def printer():
    dev = fd.small_site("127.99.3")["hp_printer"]
    with fd.FakeSite([dev]):
        yield dev


@pytest.mark.parametrize("check", [False, True])
def test_facts_of_one_printer(printer, check):
    before = printer.connections
    res = adhoc(
        {
            "host": printer.address,
            "mac": "3C-D9-2B-11-22-33",
            "ports": [80, 9100],
            "udp_probes": ["snmp"],
            "snmp_communities": ["s3cret-community", "public"],
            "read_timeout": 1,
            "udp_timeout": 0.5,
        },
        check=check,
    )[0]
    assert res["changed"] is False and not res.get("failed"), res
    f = res["ansible_facts"]
    assert (f["iot_class"], f["iot_vendor"], f["iot_fingerprint_id"]) == ("printer", "HP", "hp.printer")
    assert f["iot_model"] == "HP LaserJet Pro M404dn"
    assert f["iot_open_ports"] == [80, 9100]
    assert f["iot_mac"] == "3c:d9:2b:11:22:33"
    # the answering community is a no_log value: Ansible masks even the well-known one
    assert f["iot_services"]["161/udp"]["community"] in ("public", "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    # probes really happened in check mode too (read-only either way)
    assert printer.connections == before + 2
    assert res["probe_stats"]["tcp_open"] == 2
    assert "s3cret-community" not in json.dumps(res)


@pytest.mark.parametrize(
    ("args", "field", "text"),
    [
        ({"host": "127.99.3.0/24"}, "host", "is a network"),
        ({"host": "not-an-address"}, "host", "is not a valid address"),
        ({"host": "127.99.3.11", "mac": "zz"}, "mac", "is not a MAC address"),
        ({"host": "127.99.3.11", "ports": [0]}, "ports[0]", "is not a TCP port"),
    ],
)
def test_bad_input(args, field, text):
    res = adhoc(args)[0]
    assert res["failed"] is True
    assert text in res["msg"]
    assert res.get("field") == field
