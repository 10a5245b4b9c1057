# SPDX-License-Identifier: GPL-3.0-or-later
"""The switch_vlans resource module through ansible-playbook against a lab switch: every
state, check mode, idempotence, and a trunk refused with the switch unchanged."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]


def playbook(tmp_path, sw, tasks):
    access = sw.access()
    conn = {
        "platform": access["device_type"],
        "host": access["host"],
        "port": access["port"],
        "username": access["username"],
        "password": access["password"],
        "secret": access["secret"] or None,
        "timeout": 10,
        "backup_dir": str(tmp_path / "backups"),
    }
    play = [{"hosts": "localhost", "gather_facts": False, "vars": {"conn": conn}, "tasks": tasks}]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="json",
        ANSIBLE_NOCOLOR="1",
        PATH="%s:%s" % (TOP / ".venv/bin", os.environ.get("PATH", "")),
    )
    p = subprocess.run(
        [
            str(TOP / ".venv/bin/ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            "--diff",
            "-e",
            "ansible_python_interpreter=%s" % (TOP / ".venv/bin/python"),
            str(path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=TOP,
        timeout=300,
        check=False,
    )
    out = json.loads(p.stdout)
    results = [t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]]
    return results, p


def task(state, config=None, **extra):
    args = {"state": state}
    if config is not None:
        args["config"] = config
    args.update(extra)
    body = {
        "iotguard.hardening.switch_vlans": dict(
            args,
            **{
                k: "{{ conn.%s }}" % k
                for k in (
                    "platform",
                    "host",
                    "port",
                    "username",
                    "password",
                    "secret",
                    "timeout",
                    "backup_dir",
                )
            },
        )
    }
    if state in ("rendered", "parsed"):
        body["iotguard.hardening.switch_vlans"] = dict(args, platform="{{ conn.platform }}")
    return {"name": state, **body, "ignore_errors": True}


@pytest.mark.parametrize("dialect", ["cisco_ios", "hp_procurve"])
def test_states_through_ansible(make_switch, tmp_path, dialect):
    sw = make_switch(dialect)
    p1, p12 = sw.kwargs["interfaces"][0], sw.kwargs["interfaces"][-1]
    want = {"vlans": [{"vlan_id": 30, "name": "IOT-CAMERAS"}], "access_ports": [{"name": p1, "vlan": 30}]}
    tasks = [
        task("gathered"),
        dict(task("merged", want), check_mode=True),
        task("merged", want),
        task("merged", want),
        task(
            "overridden",
            {"vlans": [{"vlan_id": 30, "name": "IOT-CAMERAS"}, {"vlan_id": 20}], "access_ports": []},
        ),
        task("merged", {"access_ports": [{"name": p12, "vlan": 30}]}),
        task("deleted", {"vlans": [{"vlan_id": 30}]}),
        task("rendered", want),
        task(
            "parsed",
            running_config=(
                "vlan 44\n name X\n!\ninterface GigabitEthernet1/0/2\n switchport access vlan 44\n!\n"
            ),
        ),
    ]
    r, proc = playbook(tmp_path, sw, tasks)
    assert not r[0].get("failed"), (r[0], proc.stderr[-2000:])
    gathered, check, merged, again, overridden, trunk, deleted, rendered, parsed = r
    assert p12 in gathered["gathered"]["trunk_ports"]
    assert check["changed"] and check["commands"] and "30" in check["diff"]["after"]
    assert merged["changed"] and merged["commands"] == check["commands"]
    assert os.stat(merged["backup_path"]).st_mode & 0o777 == 0o600
    assert {"name": p1, "vlan": 30} in merged["after"]["access_ports"]
    assert again["changed"] is False and again["commands"] == []
    # overridden: the port not listed goes back to VLAN 1; VLAN 20 rides the trunk and stays
    assert overridden["changed"]
    assert trunk["failed"] and "is a trunk" in trunk["msg"] and trunk["commands"] == []
    assert deleted["changed"]
    assert rendered["rendered"] == merged["commands"]
    if dialect == "cisco_ios":
        assert parsed["parsed"]["access_ports"] == [{"name": "Gi1/0/2", "vlan": 44}]
    assert sw.startup["ports"][p1]["vlan"] == 1 and "30" not in sw.startup["vlans"]
    assert sw.running == sw.startup
    assert sw.kwargs["password"] not in proc.stdout + proc.stderr
