# SPDX-License-Identifier: GPL-3.0-or-later
"""One folder per client keeps clients apart: two clients on the SAME address range (two
copies of the clinic, each in a network namespace of its own), each run with its own
inventory folder made from inventories/example_client and its own vault password. A run for
one client writes credentials, reports and state only into that client's folder and never
touches the other client's devices."""

from __future__ import annotations

import json
import subprocess

import pytest
from clientlab import TOP, Namespace, NamespacedSite, make_client, run_playbook, store_for

pytestmark = [pytest.mark.lab, pytest.mark.slow]

RANGE = "127.20.96.0/24"  # both sites rebased here: the same addresses, two networks


def git_status():
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=TOP,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    base = tmp_path_factory.mktemp("clients")
    made = {}
    try:
        for name in ("alpha", "bravo"):
            ns = Namespace(name[0])
            made[name] = {"ns": ns}
            site = NamespacedSite(ns, "clinic", base / "lab" / name, rebase=RANGE).up()
            inv, vault_pass = make_client(base / "inventories" / name, name, [RANGE], base / "secrets")
            made[name].update(site=site, inv=inv, vault_pass=vault_pass)
        yield made
    finally:
        for entry in made.values():
            if "site" in entry:
                entry["site"].down()
            entry["ns"].delete()


def defaults_left(truth):
    return sorted(d["name"] for d in truth["devices"] if "default_credentials" in d["weaknesses"])


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_same_range_two_clients_never_mix(clients):
    alpha, bravo = clients["alpha"], clients["bravo"]
    assert [d["address"] for d in alpha["site"].truth()["devices"]] == [
        d["address"] for d in bravo["site"].truth()["devices"]
    ], "both sites must sit on the same addresses for this test to mean anything"
    repo_before = git_status()
    bravo_state = bravo["site"].state_bytes()
    bravo_files = files_under(bravo["inv"])
    defaults_before = defaults_left(alpha["site"].truth())
    assert defaults_before, "the clinic starts with factory passwords"

    out = run_playbook(alpha["ns"], alpha["inv"], alpha["vault_pass"], "site.yml")
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-2000:]

    # alpha's devices were hardened, bravo's were not touched at all
    assert len(defaults_left(alpha["site"].truth())) < len(defaults_before)
    assert bravo["site"].state_bytes() == bravo_state, "a run for alpha changed bravo's devices"
    assert defaults_left(bravo["site"].truth()) == defaults_before
    # everything alpha's run wrote is in alpha's folder
    assert files_under(bravo["inv"]) == bravo_files, "a run for alpha wrote into bravo's folder"
    assert git_status() == repo_before, "a run for alpha wrote into the repository"
    written = files_under(alpha["inv"])
    creds = [f for f in written if f.endswith("iotguard_credentials.yml")]
    assert creds and all(f.startswith("host_vars/") for f in creds)
    for f in creds:
        assert (alpha["inv"] / f).read_text().startswith("$ANSIBLE_VAULT;"), f
    for f in ("discovery.json", "latest/report.json", "credential-rotation.json"):
        f = "reports/alpha/" + f
        assert (alpha["inv"] / f).is_file(), f
    report = json.loads((alpha["inv"] / "reports/alpha/latest/report.json").read_text())
    assert report["client"] == "alpha"
    assert report["diff"]["fixed"], "the after-report proves fixes against the before-report"

    alpha_state = alpha["site"].state_bytes()
    out = run_playbook(bravo["ns"], bravo["inv"], bravo["vault_pass"], "site.yml")
    assert out.returncode == 0, out.stdout[-5000:] + out.stderr[-2000:]
    assert alpha["site"].state_bytes() == alpha_state, "a run for bravo changed alpha's devices"
    assert git_status() == repo_before

    # same host names (same addresses), different passwords; each store matches its own site
    store_a = store_for(alpha["inv"], alpha["vault_pass"])
    store_b = store_for(bravo["inv"], bravo["vault_pass"])
    truth_a, truth_b = alpha["site"].truth(), bravo["site"].truth()
    compared = 0
    for dev_a, dev_b in zip(truth_a["devices"], truth_b["devices"], strict=True):
        assert dev_a["address"] == dev_b["address"]
        for cred_a, cred_b in zip(dev_a["credentials"], dev_b["credentials"], strict=True):
            if cred_a["default"]:
                continue
            stored_a = store_a.current(dev_a["address"], cred_a["username"])
            stored_b = store_b.current(dev_b["address"], cred_b["username"])
            assert stored_a == cred_a["password"] and stored_b == cred_b["password"]
            assert stored_a != stored_b
            compared += 1
    assert compared >= 10, compared
    # one client's vault password cannot open the other's store
    host = creds[0].split("/")[1]
    assert store_b.load(host)["accounts"]
    with pytest.raises(Exception, match=r"(?i)decrypt"):
        store_for(bravo["inv"], alpha["vault_pass"]).load(host)
