# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment (execution-environment.yml) built with ansible-builder and
podman, then the assessment playbook run inside it by ansible-runner's container mode, as
AWX runs a job: a private data directory with the project (the playbooks) and the client's
inventory folder, the collection only from the image. The container joins a network
namespace of the test's own, where the clinic runs."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clientlab import TOP, Namespace, NamespacedSite

pytestmark = [pytest.mark.lab, pytest.mark.slow]

COLLECTION_IN_IMAGE = "/usr/share/ansible/collections/ansible_collections/iotguard/hardening/"


@pytest.fixture(scope="module")
def image():
    env = {**os.environ, "CONTAINERS_CONF": str(TOP / "containers" / "containers.conf")}
    env["PATH"] = "%s:%s" % (Path(sys.executable).parent, env.get("PATH", ""))
    out = subprocess.run(
        [str(TOP / "scripts" / "build-ee.sh")],
        cwd=TOP,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert out.returncode == 0, "the execution environment did not build:\n" + out.stderr[-4000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.timeout(1800)
def test_assessment_runs_in_the_execution_environment(image, tmp_path):
    ns = Namespace("ee")
    site = None
    try:
        site = NamespacedSite(ns, "clinic", tmp_path / "lab" / "clinic").up()
        pdd = tmp_path / "job"
        shutil.copytree(TOP / "playbooks", pdd / "project")
        shutil.copytree(TOP / "inventories" / "lab" / "clinic", pdd / "inventory")
        before = site.state_bytes()
        env = {**os.environ, "CONTAINERS_CONF": str(TOP / "containers" / "containers.conf")}
        out = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-runner"),
                "run",
                str(pdd),
                "--playbook",
                "assess.yml",
                "--process-isolation",
                "--process-isolation-executable",
                "podman",
                "--container-image",
                image,
                "--container-option=--network=ns:/run/netns/%s" % ns.name,
                "--container-option=--user=0",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-2000:]
        truth = site.truth()
        report = json.loads((pdd / "inventory" / "reports" / "clinic" / "latest" / "report.json").read_text())
        assert report["client"] == "clinic" and report["summary"]["assessed"] == len(truth["devices"]) + len(
            truth["switches"]
        )
        assert report["summary"]["by_level"]["very high"] > 0
        # the roles ran from the collection inside the image, not from this checkout
        paths = set()
        for name in glob.glob(str(pdd / "artifacts" / "*" / "job_events" / "*.json")):
            task_path = json.loads(Path(name).read_text()).get("event_data", {}).get("task_path")
            if task_path:
                paths.add(task_path)
        roles = {p for p in paths if "/roles/risk_assessment/" in p}
        assert roles and all(p.startswith(COLLECTION_IN_IMAGE) for p in roles), paths
        assert not any(str(TOP) in p for p in paths), paths
        command = json.loads(next((pdd / "artifacts").glob("*/command")).read_text())["command"]
        assert command[:2] == ["podman", "run"] and image in command
        assert site.state_bytes() == before, "an assessment changed the devices"
    finally:
        if site:
            site.down()
        ns.delete()
