# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the client tests: a network namespace per client site, a lab site started
inside it, a client inventory folder made from inventories/example_client, and playbook runs
inside the namespace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from iotlab.control import NOT_UP, LabControl

TOP = Path(__file__).resolve().parents[3]
LAB = TOP / "tests" / "lab"


class Namespace:
    """A network namespace of the test's own, with only a loopback (up)."""

    def __init__(self, tag):
        self.name = "iotg-%s-%s" % (tag, uuid.uuid4().hex[:8])
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)

    def cmd(self, argv):
        return ["ip", "netns", "exec", self.name, *argv]

    def delete(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


class LabNetns:
    """A namespace a routed lab site made (``lab-<site>-out``: the engineer's), entered with
    nsenter: ``ip netns exec`` remounts /sys and podman (the gateway's connection) then
    misses its cgroups."""

    def __init__(self, name):
        self.name = name

    def cmd(self, argv):
        return ["nsenter", "--net=/run/netns/" + self.name, *argv]


class NamespacedSite:
    """A lab site running inside ``ns`` (its own loopback), state under ``state_dir``."""

    def __init__(self, ns, site, state_dir, rebase=None):
        self.ns, self.site, self.state_dir, self.rebase = ns, site, Path(state_dir), rebase
        self.control = LabControl(self.state_dir)

    def _lab(self, *args, timeout=130, ok=(0,)):
        env = {**os.environ, "PYTHONPATH": str(LAB)}
        argv = [sys.executable, "-m", "iotlab", *args, "--state-dir", str(self.state_dir)]
        out = subprocess.run(
            self.ns.cmd(argv), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if out.returncode not in ok:
            raise RuntimeError("lab %s failed: %s" % (" ".join(args), out.stderr or out.stdout))
        return out.stdout

    def up(self, fresh=True):
        rebase = ["--rebase", self.rebase] if self.rebase else []
        fresh = ["--fresh"] if fresh else []
        self._lab("up", self.site, *fresh, *rebase, "--owner-pid", str(os.getpid()), "--timeout", "120")
        return self

    def down(self):
        self._lab("down", self.site, timeout=60, ok=(0, NOT_UP))  # already down: fine

    def truth(self):
        return self.control.ground_truth(fresh=True)

    def state_bytes(self):
        self.control.request(cmd="flush")
        return (self.state_dir / "state.json").read_bytes()


class KeptSite(NamespacedSite):
    """A site another process started and left up (``make demo`` with
    IOTGUARD_DEMO_KEEP_SITE=1), with the containers it started (the client's gateway, the
    engineer's VPN peer, the staff PC)."""

    def __init__(self, site, state_dir, *containers):
        super().__init__(None, site, state_dir)
        self.containers = list(containers)

    def down(self):
        subprocess.run(["podman", "rm", "-f", "-t", "0", *self.containers], capture_output=True, check=False)
        env = {**os.environ, "PYTHONPATH": str(LAB)}
        argv = [sys.executable, "-m", "iotlab", "down", self.site, "--state-dir", str(self.state_dir)]
        subprocess.run(argv, env=env, capture_output=True, timeout=60, check=False)


def make_client(dest, name, networks, secrets_dir):
    """inventories/example_client copied to ``dest`` as client ``name`` scanning ``networks``;
    its vault password in ``secrets_dir`` (outside the folder), read by the folder's script."""
    dest = Path(dest)
    shutil.copytree(TOP / "inventories" / "example_client", dest)
    src = dest / "example_client.iot_discovery.yml"
    conf = yaml.safe_load(src.read_text())
    conf.update(
        site=name, networks=list(networks), exclude=[], read_timeout=2.0, udp_timeout=1.0, concurrency=512
    )
    src.unlink()
    (dest / ("%s.iot_discovery.yml" % name)).write_text(yaml.safe_dump(conf))
    client = dest / "group_vars" / "all" / "client.yml"
    data = yaml.safe_load(client.read_text())
    data["iotguard_client"] = name
    client.write_text(yaml.safe_dump(data))
    secrets_dir = Path(secrets_dir)
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    vault_pass = secrets_dir / ("%s.vault-pass" % name)
    vault_pass.write_text("%s-%s\n" % (name, uuid.uuid4().hex))
    vault_pass.chmod(0o600)
    return dest, vault_pass


def run_playbook(ns, inv, vault_pass, playbook, *args, timeout=900):
    """ansible-playbook inside the namespace; the vault password through the client's script
    when its folder has one, else straight from the file."""
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(TOP / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "IOTGUARD_VAULT_PASSWORD_FILE": str(vault_pass),
        "PATH": "%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "")),
    }
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(inv),
        *(
            ["--vault-id", "%s@%s" % (Path(inv).name, Path(inv) / "vault-pass.sh")]
            if (Path(inv) / "vault-pass.sh").exists()
            else ["--vault-password-file", str(vault_pass)]
        ),
        str(TOP / "playbooks" / playbook),
        *args,
    ]
    return subprocess.run(
        ns.cmd(argv), env=env, cwd=str(TOP), capture_output=True, text=True, timeout=timeout, check=False
    )


def store_for(inv, vault_pass):
    secret = VaultSecret(Path(vault_pass).read_text().strip().encode())
    return get_store("vault_file", inventory_dir=str(inv), codec=VaultCodec([("default", secret)]))


def recap(out):
    """{host: {"ok": n, "changed": n, ...}} from a playbook's PLAY RECAP."""
    hosts = {}
    text = out.split("PLAY RECAP", 1)[-1]
    for line in text.splitlines():
        parts = line.split(" : ")
        if len(parts) != 2:
            continue
        counts = dict(item.split("=") for item in parts[1].split())
        hosts[parts[0].strip()] = {k: int(v) for k, v in counts.items()}
    return hosts
