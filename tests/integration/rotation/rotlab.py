# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the rotation tests: a private copy of a lab site, an inventory built from its
ground truth, playbook runs, and an independent reader of the store."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import candidates, get_store
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import VaultCodec
from ansible_collections.iotguard.hardening.plugins.module_utils.drivers import get_driver

TOP = Path(__file__).resolve().parents[3]
VAULT_PASS = "rotation-integration-vault"

# What discovery's fingerprint data says for each lab device kind (the inventory built here
# stands in for the iot_discovery inventory plugin).
KIND_DRIVER = {
    "hikvision_camera": "hikvision_isapi",
    "hikvision_nvr": "hikvision_isapi",
    "axis_camera": "axis_vapix",
    "busybox_device": "telnet_busybox",
    "printer": "hp_ews",
    "thermostat": "venstar_local",
    "voip_phone": "yealink_http",  # Polycom: VENDOR_DRIVER
    "router": "router_http",
    "dahua_camera": "dahua_http",
    "mikrotik_router": "routeros_api",
    "edgeos_router": "edgeos_cli",
}
# where a vendor's own driver replaces the kind's
VENDOR_DRIVER = {("voip_phone", "Polycom"): "polycom_rest"}


def driver_of(d):
    """The driver for a ground-truth device (its vendor's, else its kind's)."""
    return VENDOR_DRIVER.get((d["kind"], d["vendor"]), KIND_DRIVER[d["kind"]])


SWITCH_FACTORY = {"cisco_ios": ("admin", "Cisco123"), "hp_procurve": ("manager", "procurve")}
SWITCH_ENABLE = {"cisco_ios": "Enable123"}


def private_site(src_name, dest_dir, name, subnet, switches=True):
    """A copy of tests/lab/sites/<src_name>.yml moved to ``subnet`` (same size or larger),
    under its own name, so the shared site (and the tests that expect its factory state)
    are left alone."""
    data = yaml.safe_load((TOP / "tests" / "lab" / "sites" / ("%s.yml" % src_name)).read_text())
    old = ipaddress.ip_network(data["subnet"])
    new = ipaddress.ip_network(subnet)

    def move(addr):
        return str(new.network_address + (int(ipaddress.ip_address(addr)) - int(old.network_address)))

    data["name"] = name
    data["subnet"] = str(new)
    data["first_device_address"] = move(data["first_device_address"])
    for dev in data.get("devices") or []:
        if dev.get("address"):
            dev["address"] = move(dev["address"])
    if switches:
        for sw in data.get("switches") or []:
            sw["address"] = move(sw["address"])
    else:
        data["switches"] = []
        for dev in data.get("devices") or []:
            dev["switch"] = None
    path = Path(dest_dir) / ("%s.yml" % name)
    path.write_text(yaml.safe_dump(data))
    return path


def write_inventory(truth, inv_dir, include_switches=True):
    inv_dir = Path(inv_dir)
    inv_dir.mkdir(parents=True, exist_ok=True)
    (inv_dir / "vault-pass").write_text(VAULT_PASS)
    os.chmod(inv_dir / "vault-pass", 0o600)
    hosts = {}
    for d in truth["devices"]:
        if d["kind"] not in KIND_DRIVER or not d["factory_credentials"]:
            continue  # nothing to log in to (speakers, workstations)
        hosts[d["name"]] = {
            "ansible_host": d["address"],
            "iot_driver": driver_of(d),
            "iot_class": d["class"],
            "iot_vendor": d["vendor"],
            "iot_default_credentials": d["factory_credentials"],
            "iot_fingerprint": {"password_policy": d["password_policy"]},
        }
    if include_switches:
        for s in truth.get("switches") or []:
            user, pw = SWITCH_FACTORY[s["dialect"]]
            hosts[s["name"]] = {
                "ansible_host": s["address"],
                "iot_port": s["ssh_port"],
                "iot_driver": s["dialect"],
                "iot_class": "switch",
                "iot_vendor": "Cisco" if s["dialect"] == "cisco_ios" else "HPE",
                "iot_default_credentials": [{"username": user, "password": pw}]
                + (
                    [{"username": "enable", "password": SWITCH_ENABLE[s["dialect"]]}]
                    if s["dialect"] in SWITCH_ENABLE
                    else []
                ),
            }
    inv = {"all": {"children": {"iot": {"hosts": hosts}}}}
    (inv_dir / "hosts.yml").write_text(json.dumps(inv, indent=1))
    return inv_dir


@contextlib.contextmanager
def site_with_inventory(site_path, inv_dir, **options):
    """A lab site up from ``site_path`` (fresh) with discovery's inventory of it in
    ``inv_dir``: yields (lab, inv_dir, inventory file); brings the site down after."""
    from iotlab.testing import LabSite

    lab = LabSite(str(site_path))
    try:
        lab.up(fresh=True)
    except Exception as exc:  # noqa: BLE001 - a lab that cannot start is a failure, not a skip
        pytest.fail("the lab site %s could not start: %s" % (site_path, exc), pytrace=False)
    try:
        yield lab, Path(inv_dir), discovery_inventory(lab.truth, inv_dir, **options)
    finally:
        lab.down()


def discovery_inventory(truth, inv_dir, name="hosts.iot_discovery.yml", **options):
    """A client inventory made by the real discovery plugin over the lab site's subnet
    (what an engineer has), with the vault password the store uses."""
    inv_dir = Path(inv_dir)
    inv_dir.mkdir(parents=True, exist_ok=True)
    (inv_dir / "vault-pass").write_text(VAULT_PASS)
    os.chmod(inv_dir / "vault-pass", 0o600)
    config = {
        "plugin": "iotguard.hardening.iot_discovery",
        "site": truth["site"],
        "networks": [truth["subnet"]],
        "read_timeout": 2.0,
        "udp_timeout": 1.0,
        **options,
    }
    (inv_dir / name).write_text(yaml.safe_dump(config))
    return inv_dir / name


def run_playbook(
    inv_dir, *extra, timeout=600, popen=False, inventory=None, playbook="rotate_credentials.yml"
):
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_INVENTORY_ENABLED="iotguard.hardening.iot_discovery,yaml",
        PATH="%s:%s" % (Path(sys.executable).parent, os.environ.get("PATH", "")),
    )
    cmd = [
        shutil.which("ansible-playbook", path=env["PATH"]) or "ansible-playbook",
        "-i",
        str(inventory or Path(inv_dir) / "hosts.yml"),
        "--vault-password-file",
        str(Path(inv_dir) / "vault-pass"),
        str(TOP / "playbooks" / playbook),
        "-e",
        "credential_rotation_report_dir=%s" % (Path(inv_dir) / "reports"),
        "-e",
        "risk_assessment_report_dir=%s" % (Path(inv_dir) / "reports"),
        "-e",
        "ansible_python_interpreter=%s" % sys.executable,
        "-e",
        "credential_rotation_retry_delay=0.5",
        *extra,
    ]
    if popen:
        return subprocess.Popen(
            cmd, env=env, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
    return subprocess.run(cmd, env=env, cwd=TOP, capture_output=True, text=True, timeout=timeout, check=False)


# ground-truth weakness label -> catalogue rule (the ones rotation and re-assessment touch)
LABELS = {"default_credentials": "IOTG-DEFAULT-CREDS", "no_lockout": "IOTG-NO-LOCKOUT"}


def rules_of(dev):
    """The catalogue rules a ground-truth device's weaknesses stand for (of LABELS)."""
    return {LABELS[w] for w in dev["weaknesses"] if w in LABELS}


def assess(inv_dir, inventory, subnet, client):
    """assess.yml on discovery's inventory, the lab's subnet as the staff network: the
    client's latest report.json."""
    out = run_playbook(
        inv_dir,
        "-e",
        '{"risk_assessment_staff_networks": ["%s"]}' % subnet,
        inventory=inventory,
        playbook="assess.yml",
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    return json.loads((Path(inv_dir) / "reports" / client / "latest" / "report.json").read_text())


def store_for(inv_dir):
    return get_store(
        "vault_file",
        inventory_dir=str(inv_dir),
        codec=VaultCodec([("default", VaultSecret(VAULT_PASS.encode()))]),
    )


def targets(truth, include_switches=True):
    """(name, driver, address, port, [(user, factory password)]) for every device."""
    out = []
    for d in truth["devices"]:
        if d["kind"] not in KIND_DRIVER or not d["factory_credentials"]:
            continue
        creds = [(c["username"], c["password"]) for c in d["factory_credentials"]]
        out.append((d["name"], driver_of(d), d["address"], None, creds))
    if include_switches:
        for s in truth.get("switches") or []:
            out.append((s["name"], s["dialect"], s["address"], s["ssh_port"], [SWITCH_FACTORY[s["dialect"]]]))
            # the enable secret is proven through the local user (see login())
    return out


def login(driver, address, port, user, password):
    return get_driver(driver, address, port=port, timeout=10).login(user, password)


def all_known_passwords(store):
    out = set()
    for host in store.hosts():
        for acct in store.load(host)["accounts"].values():
            out.update(candidates(acct))
    return out


def account_count(truth, include_switches=True):
    n = sum(len(t[4]) for t in targets(truth, include_switches))
    if include_switches:
        n += sum(1 for s in truth.get("switches") or [] if s["dialect"] in SWITCH_ENABLE)
    return n


def enable_checks(truth, store):
    """(switch, works with the stored enable secret, works with the factory one)."""
    out = []
    for s in truth.get("switches") or []:
        if s["dialect"] not in SWITCH_ENABLE:
            continue
        user = SWITCH_FACTORY[s["dialect"]][0]
        drv = get_driver(
            s["dialect"],
            s["address"],
            port=s["ssh_port"],
            timeout=10,
            login_username=user,
            login_password=store.current(s["name"], user),
        )
        out.append(
            (
                s["name"],
                drv.login("enable", store.current(s["name"], "enable")),
                drv.login("enable", SWITCH_ENABLE[s["dialect"]]),
            )
        )
    return out
