# SPDX-License-Identifier: GPL-3.0-or-later
"""risk_assess, risk_report and risk_port_mappings as Ansible runs them: JSON in, JSON out."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.iotguard.hardening.plugins.modules import risk_assess

ROOT = Path(__file__).resolve().parents[4]
COLLECTIONS = ROOT / ".build" / "collections"

# a listening socket stands for the device's telnet port (connect works, nothing is sent)
LISTENER = socket.socket()
LISTENER.bind(("127.0.0.1", 0))
LISTENER.listen(16)
CAMERA = {
    "ansible_host": "127.0.0.1",
    "iot_class": "camera",
    "iot_open_ports": [LISTENER.getsockname()[1]],
    "iot_services": {"%d/tcp" % LISTENER.getsockname()[1]: {"protocol": "telnet"}},
    "iot_lockout": {"supported": False},
    "iot_eol": {"date": "2016-10-01", "reason": "recalled firmware"},
}


def run_module(name, args, tmp_path, check=False):
    args = dict(args, _ansible_check_mode=check, _ansible_tmpdir=str(tmp_path))
    path = tmp_path / ("%s-args.json" % name)
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    mod = "ansible_collections.iotguard.hardening.plugins.modules.%s" % name
    proc = subprocess.run(
        [sys.executable, "-m", mod, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return json.loads(proc.stdout)


def params(**kw):
    p = {k: v.get("default") for k, v in risk_assess.ARGUMENT_SPEC.items()}
    p.update(name="cam", facts=CAMERA)
    p.update(kw)
    return p


def test_assess_run_validates_credentials_and_facts():
    result, error = risk_assess.run(params(credentials=[{"username": "admin"}]))
    assert result is None and "credentials[0]" in error
    result, error = risk_assess.run(params(facts={"ansible_host": "127.99.2.10"}))
    assert result is None and "no iot_* facts" in error


def test_assess_run_passive_findings_without_network():
    result, error = risk_assess.run(params(probes=["management"]))
    assert error is None and result["assessed"] is True
    rules = {f["rule"] for f in result["findings"]}
    assert rules == {"IOTG-CLEARTEXT-MGMT", "IOTG-EOL", "IOTG-NO-LOCKOUT", "IOTG-MGMT-OUTSIDE-VPN"}
    dead = dict(CAMERA, ansible_host="127.99.2.250")
    result, error = risk_assess.run(params(facts=dead, timeout=0.5))
    assert error is None and result["assessed"] is False and "unreachable" in result["errors"][0]


def test_assess_run_reads_the_previous_report_or_says_it_cannot(tmp_path):
    missing = tmp_path / "none" / "report.json"
    result, error = risk_assess.run(params(probes=[], previous=str(missing)))
    assert error is None and result is not None  # the first run: no previous report
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    result, error = risk_assess.run(params(probes=[], previous=str(bad)))
    assert result is None and "previous: %s is unreadable" % bad in error and "new baseline" in error


def _results():
    result, _error = risk_assess.run(params(probes=[]))
    return [result]


def test_report_module_writes_and_gates(tmp_path):
    out = run_module(
        "risk_report",
        {
            "client": "clinic",
            "results": _results(),
            "report_dir": str(tmp_path / "r"),
            "fail_on_severity": "high",
        },
        tmp_path,
    )
    assert out["failed"] is True and out["msg"].startswith("gate: ") and "IOTG-EOL" in out["msg"]
    assert sorted(os.listdir(out["path"])) == ["findings.csv", "findings.sarif", "report.html", "report.json"]
    args = {"client": "clinic", "results": _results(), "report_dir": str(tmp_path / "r")}
    again = run_module("risk_report", dict(args, fail_on_severity="high", fail_on="new"), tmp_path)
    assert not again.get("failed"), again
    assert again["diff"]["unchanged"] and not again["diff"]["new"]
    assert again["path"] != out["path"]  # a second run in the same second gets its own directory
    assert again["actions"] and all(a["points"] > 0 for a in again["actions"])  # the plan, largest first
    assert [a["points"] for a in again["actions"]] == sorted(
        (a["points"] for a in again["actions"]), reverse=True
    )
    assert os.path.realpath(tmp_path / "r" / "clinic" / "latest") == again["path"]


def test_report_module_check_mode_writes_nothing(tmp_path):
    out = run_module(
        "risk_report",
        {"client": "clinic", "results": _results(), "report_dir": str(tmp_path / "r")},
        tmp_path,
        check=True,
    )
    assert not out.get("failed") and out["changed"] is False and "path" not in out
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"client": "../x"}, ["client='../x'"]),
        ({"report_dir": "/proc/version"}, ["report_dir=/proc/version", "choose a directory"]),
        ({"secrets": ["IOTG"]}, ["a secret would appear", "nothing was written"]),
        ({"kev_catalog": "/nonexistent/kev.json"}, ["kev_catalog=/nonexistent/kev.json", "download"]),
        ({"branding": {"logo": "/nonexistent/logo.png"}}, ["branding.logo=/nonexistent/logo.png"]),
        (
            {"accepted_risks": [{"id": "A1", "rule": "IOTG-EOL"}]},
            ["accepted_risks[0] (id 'A1') lacks devices"],
        ),
        ({"policy": {"due_days": {"P9": 3}}}, ["policy.due_days.P9=3"]),
    ],
)
def test_report_module_bad_input(tmp_path, args, words):
    base = {"client": "clinic", "results": _results(), "report_dir": str(tmp_path / "r")}
    base.update(args)
    out = run_module("risk_report", base, tmp_path)
    assert out["failed"] is True
    for w in words:
        assert w in out["msg"]
    assert not (tmp_path / "r" / "clinic").exists() or os.listdir(tmp_path / "r" / "clinic") == []


def test_port_mappings_static_and_bad_static(tmp_path):
    out = run_module(
        "risk_port_mappings",
        {"static": [{"external_port": 8080, "internal_client": "127.99.2.10", "internal_port": 80}]},
        tmp_path,
    )
    assert out["mappings"][0]["internal_client"] == "127.99.2.10" and out["mappings"][0]["source"] == "static"
    out = run_module("risk_port_mappings", {"static": [{"external_port": 8080}]}, tmp_path)
    assert out["failed"] is True and "static[0] lacks internal_client, internal_port" in out["msg"]
