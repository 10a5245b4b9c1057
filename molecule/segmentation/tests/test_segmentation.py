# SPDX-License-Identifier: GPL-3.0-or-later
"""The segmented site judged with real connections between the zone containers (nc, curl,
ssh run inside them), after converge, the idempotence run and the refused bad input of
side_effect. Every refusal has a positive control: the same listener reached from a zone
that is allowed to, so a probe of an address where nothing listens cannot pass for a
dropped flow. Then the VPN client (WireGuard with TOTP, codes by oathtool), a TOTP session
held through a firewall change, and, last, a policy that cuts the engineer off and rolls
back by itself (the tests run in file order: they share the authenticator's state)."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import pathlib
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import testinfra

testinfra_hosts = ["segment-gw"]  # the tests reach every container over podman

EPHEMERAL = pathlib.Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
TRUTH = EPHEMERAL / "lab/segment-molecule/ground-truth.json"
SCENARIO = pathlib.Path(__file__).parents[1]
# the WireGuard scenario's vault password script and its firewall change (shared)
VAULT_PASS = SCENARIO.parent / "wireguard/vault-pass.sh"
FIREWALL_CHANGE = SCENARIO.parent / "wireguard/firewall_change.yml"
TOTP_STORE = EPHEMERAL / "inventory/.iotguard/wireguard/segment-gw-totp.vault"
AUTH_URL = "http://10.214.66.1:8181/"
_spec = importlib.util.spec_from_file_location("totp_client", SCENARIO.parent / "shared/totp_client.py")
totp_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(totp_client)
ADDR = {
    "cam": "10.214.30.11",
    "nvr": "10.214.31.11",
    "med": "10.214.70.11",
    "unk": "10.214.99.11",
    "staff": "10.214.10.11",
    "mgmt": "10.214.5.11",
    "pacs": "10.214.20.10",
    "gw": "10.214.5.1",  # the gateway on the management VLAN (its sshd)
    "gw_tunnel": "10.214.66.1",  # the gateway in the tunnel (sshd, the authenticator)
}
# device port -> the zone's VLAN (vars/scenario.yml)
PLAN = {"Gi1/0/1": 30, "Gi1/0/2": 31, "Gi1/0/3": 70, "Gi1/0/4": 99}


def box(name):
    return testinfra.get_host("podman://segment-" + name)


def tcp(src, dst, port):
    """True when a TCP connection from src's container to dst:port is accepted."""
    return box(src).run("nc -z -w 2 %s %s", ADDR[dst], str(port)).rc == 0


def http(src, dst):
    out = (
        box(src)
        .run("curl -s -o /dev/null -w '%%{http_code}' --max-time 2 http://%s/", ADDR[dst])
        .stdout.strip()
    )
    return out == "200"


def ssh(src, dst):
    """True when sshd answers (its refusal of a key-less login proves the connection)."""
    res = box(src).run(
        "ssh -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null probe@%s true",
        ADDR[dst],
    )
    return "Permission denied" in res.stderr


JUDGES = {"tcp": tcp, "http": lambda s, d, _p: http(s, d), "ssh": lambda s, d, _p: ssh(s, d)}

ALLOWED = [
    ("cam", "nvr", "tcp", 554, "cameras stream to their NVR"),
    ("nvr", "cam", "http", 80, "the NVR pulls from its cameras"),
    ("mgmt", "cam", "ssh", 22, "management reaches the cameras' management ports"),
    ("mgmt", "cam", "http", 80, "management reaches the cameras' web UI"),
    ("mgmt", "nvr", "ssh", 22, "management reaches the NVR"),
    ("mgmt", "med", "ssh", 22, "management reaches medical-legacy"),
    ("mgmt", "unk", "ssh", 22, "management may still reach quarantine"),
    ("mgmt", "staff", "ssh", 22, "the policy's extra flow"),
    ("med", "pacs", "tcp", 104, "medical-legacy reaches its PACS"),
    ("pacs", "med", "tcp", 104, "the PACS reaches medical-legacy"),
]

# (from, to, judge, port, why) refused, each with the allowed flow that proves the listener
REFUSED = [
    ("cam", "staff", "ssh", 22, "IoT never reaches staff", ("mgmt", "staff", "ssh")),
    ("cam", "med", "ssh", 22, "cameras reach only the NVR", ("mgmt", "med", "ssh")),
    ("cam", "pacs", "tcp", 104, "cameras reach only the NVR", ("med", "pacs", "tcp")),
    ("cam", "nvr", "ssh", 22, "management ports only from management", ("mgmt", "nvr", "ssh")),
    ("staff", "cam", "http", 80, "staff do not manage cameras", ("mgmt", "cam", "http")),
    ("staff", "cam", "ssh", 22, "staff do not manage cameras", ("mgmt", "cam", "ssh")),
    ("nvr", "staff", "ssh", 22, "IoT never reaches staff", ("mgmt", "staff", "ssh")),
    ("med", "cam", "http", 80, "medical-legacy reaches only its PACS", ("mgmt", "cam", "http")),
    ("med", "staff", "ssh", 22, "medical-legacy reaches only its PACS", ("mgmt", "staff", "ssh")),
    ("unk", "nvr", "tcp", 554, "quarantine reaches nothing", ("cam", "nvr", "tcp")),
    ("unk", "pacs", "tcp", 104, "quarantine reaches nothing", ("med", "pacs", "tcp")),
    ("unk", "mgmt", "ssh", 22, "quarantine reaches nothing", None),
    ("pacs", "cam", "http", 80, "the PACS reaches only medical-legacy", ("mgmt", "cam", "http")),
]


def judge_all(allowed, refused):
    """Every probe of the allowed flows and of the refused ones with their controls, run at
    once (each one that is dropped waits its timeout): {(src, dst, judge, port): passed}."""
    probes = {(a[0], a[1], a[2], a[3]) for a in allowed}
    for src, dst, judge, port, _why, control in refused:
        probes.add((src, dst, judge, port))
        if control:
            probes.add((control[0], control[1], control[2], port))
    probes = sorted(probes)
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda p: JUDGES[p[2]](p[0], p[1], p[3]), probes))
    return dict(zip(probes, results, strict=True))


def check_refused(verdicts, src, dst, judge, port, why, control):
    if control:
        csrc, cdst, cjudge = control
        assert verdicts[(csrc, cdst, cjudge, port)], "control %s -> %s failed: no listener" % (csrc, cdst)
    else:
        # the destination's own listener answers on its own address
        assert box(dst).run("nc -z -w 2 %s %s", ADDR[dst], str(port)).rc == 0
    assert not verdicts[(src, dst, judge, port)], "%s -> %s %s/%d passed: %s" % (src, dst, judge, port, why)


@pytest.fixture(scope="module")
def verdicts():
    return judge_all(ALLOWED, REFUSED)


@pytest.mark.parametrize("src,dst,judge,port,why", ALLOWED, ids=[f"{a[0]}-{a[1]}-{a[3]}" for a in ALLOWED])
def test_allowed_flows_pass(verdicts, src, dst, judge, port, why):
    assert verdicts[(src, dst, judge, port)], "%s -> %s %s/%d refused: %s" % (src, dst, judge, port, why)


@pytest.mark.parametrize(
    "src,dst,judge,port,why,control", REFUSED, ids=[f"{r[0]}-{r[1]}-{r[3]}" for r in REFUSED]
)
def test_other_flows_are_dropped(verdicts, src, dst, judge, port, why, control):
    check_refused(verdicts, src, dst, judge, port, why, control)


def test_vlans_separate_the_zones_below_the_firewall():
    """A camera that takes an NVR-VLAN address cannot reach the NVR on the link: the port is
    in the cameras' VLAN only (the switch's access port, the gateway's bridge)."""
    cam = box("cam")
    assert tcp("cam", "nvr", 554), "control: routed through the gateway it is allowed"
    cam.run_expect([0], "ip address add 10.214.31.99/24 dev eth0")
    try:
        direct = cam.run("nc -z -w 2 -s 10.214.31.99 %s 554", ADDR["nvr"])
        neigh = cam.run("ip neigh show %s dev eth0", ADDR["nvr"]).stdout
    finally:
        cam.run_expect([0], "ip address del 10.214.31.99/24 dev eth0")
    assert direct.rc != 0, "the camera reached the NVR on the link: the VLANs do not separate"
    assert "lladdr" not in neigh, "the NVR answered ARP from the cameras' VLAN: %s" % neigh


def test_switch_holds_the_plan_running_and_saved():
    """The simulated switch's running and saved config put every device port on its zone's
    VLAN and leave the uplink; the gateway's bridges carry the same ports."""
    truth = json.loads(TRUTH.read_text())
    sw = next(s for s in truth["switches"] if s["name"] == "sw-seg")
    for config in ("running", "startup"):
        ports = sw["state"][config]["ports"]
        assert {p: ports[p]["vlan"] for p in PLAN} == PLAN, config
        assert ports["Gi1/0/8"]["vlan"] == 1, "the uplink was moved (%s)" % config
        assert {"30", "31", "70", "99"} <= set(sw["state"][config]["vlans"]), config
    links = {
        link["ifname"]: link.get("master") for link in json.loads(box("gw").check_output("ip -j link show"))
    }
    for port, vlan in PLAN.items():
        assert links["swp" + port.rsplit("/", 1)[1]] == "br%d" % vlan


def test_nothing_lost_and_nothing_pending():
    """After the re-run and the refused input: the contributions kept (0600), no
    refused one stored, no change waiting for its rollback, the table loaded."""
    host = box("gw")  # podman directly: quicker than through the inventory
    d = host.file("/etc/iotguard/firewall.d")
    assert sorted(d.listdir()) == ["gateway.json", "segmentation.json", "wireguard.json"]
    for name in d.listdir():
        assert host.file("/etc/iotguard/firewall.d/" + name).mode == 0o600
    assert not host.file("/run/iotguard-firewall-rollback.pid").exists
    assert not host.file("/etc/iotguard/gateway.nft.pending").exists
    assert "chain forward" in host.check_output("nft list table inet iotguard")


def test_switch_backup_kept_private():
    backups = list((EPHEMERAL / "switch-backups").rglob("*"))
    files = [b for b in backups if b.is_file()]
    assert files, "no running-config backup before the change"
    assert all(b.stat().st_mode & 0o777 == 0o600 for b in files)


# --- the VPN client: WireGuard into the gateway, TOTP before anything of the site ---------

USED_STEP = []  # the time steps whose code the authenticator accepted (each is used once)


def tunnel_address():
    return box("vpn").check_output("ip -4 -o address show dev wg0").split()[3].split("/")[0]


def session_expiry(addr):
    """Seconds left of addr's session in the gateway's TOTP set, or None."""
    return totp_client.session_expiry(box("gw"), addr)


def login():
    """A code for a time step not used yet (oathtool), posted through the tunnel."""
    secret = totp_client.secret(TOTP_STORE, "dana", VAULT_PASS)
    step = max(int(time.time() // 30), USED_STEP[-1] + 1 if USED_STEP else 0)
    if step > time.time() // 30 + 1:
        time.sleep(step * 30 - 29 - time.time())
    status = totp_client.post(box("vpn"), AUTH_URL, totp_client.code(secret, step * 30 + 1))
    if status == 200:
        USED_STEP.append(step)
    return status


# (from, to, judge, port, why): the VPN client's flows with a session
VPN_ALLOWED = [
    ("vpn", "cam", "ssh", 22, "the VPN reaches the cameras' management ports"),
    ("vpn", "cam", "http", 80, "the VPN reaches the cameras' web UI"),
    ("vpn", "nvr", "ssh", 22, "the VPN reaches the NVR"),
    ("vpn", "med", "ssh", 22, "the VPN reaches medical-legacy"),
    ("vpn", "unk", "ssh", 22, "the VPN may still reach quarantine"),
]
VPN_REFUSED = [
    ("vpn", "cam", "tcp", 554, "the stream port is no management port", ("nvr", "cam", "tcp")),
    ("vpn", "staff", "ssh", 22, "the VPN does not reach staff PCs", ("mgmt", "staff", "ssh")),
    ("vpn", "pacs", "tcp", 104, "the VPN does not reach the PACS", ("med", "pacs", "tcp")),
    ("vpn", "mgmt", "ssh", 22, "the VPN does not reach the management host", None),
    ("vpn", "gw_tunnel", "ssh", 22, "no sshd of the gateway through a tunnel", ("mgmt", "gw", "ssh")),
    ("vpn", "gw", "ssh", 22, "no sshd of the gateway through a tunnel", ("mgmt", "gw", "ssh")),
]


def test_vpn_without_a_code_reaches_only_the_authenticator():
    """The tunnel is up (a handshake, the hub answers) but before a code nothing of the
    site answers; the same listeners answer the management host."""
    vpn = box("vpn")
    assert vpn.run("ping -c 2 -W 2 %s", ADDR["gw_tunnel"]).rc == 0, "no tunnel to the gateway"
    assert session_expiry(tunnel_address()) is None
    assert vpn.run("nc -z -w 2 %s 8181", ADDR["gw_tunnel"]).rc == 0, "the authenticator answers"
    refused = [(a[0], a[1], a[2], a[3], "no session yet", ("mgmt", a[1], a[2])) for a in VPN_ALLOWED]
    verdicts = judge_all([], refused)
    for probe in refused:
        check_refused(verdicts, *probe)
    assert totp_client.post(vpn, AUTH_URL, "000000") == 401, "a wrong code was accepted"
    assert session_expiry(tunnel_address()) is None, "a wrong code opened a session"


def test_vpn_session_reaches_management_ports_and_nothing_else():
    assert login() == 200
    assert session_expiry(tunnel_address()), "the accepted code put no session in wg_authed"
    verdicts = judge_all(VPN_ALLOWED, VPN_REFUSED)
    passed = [a[:4] for a in VPN_ALLOWED if not verdicts[a[:4]]]
    assert not passed, "refused with a session: %s" % passed
    for probe in VPN_REFUSED:
        check_refused(verdicts, *probe)


HOLD = (
    "import socket, sys, time\n"
    "log = open(sys.argv[2], 'a', buffering=1)\n"
    "s = socket.create_connection((sys.argv[1], 8080), timeout=3)\n"
    "f = s.makefile('rw')\n"
    "n = 0\n"
    "end = time.monotonic() + float(sys.argv[3])\n"
    "while time.monotonic() < end:\n"
    "    n += 1\n"
    "    try:\n"
    "        f.write('%d\\n' % n); f.flush()\n"
    "        back = f.readline().strip()\n"
    "    except OSError as e:\n"
    "        log.write('ERR %s\\n' % e); break\n"
    "    log.write(('%d %.2f\\n' % (n, time.time())) if back == str(n) else 'ERR got %r\\n' % back)\n"
    "    if back != str(n): break\n"
    "    time.sleep(0.2)\n"
    "log.write('END\\n')\n"
)


def playbook(path, extra, inventory=None):
    """ansible-playbook with the scenario's inventory (or another); (rc, output)."""
    env = dict(os.environ, ANSIBLE_VAULT_PASSWORD_FILE=str(VAULT_PASS), ANSIBLE_NOCOLOR="1")
    argv = ["ansible-playbook", "-i", str(inventory or os.environ["MOLECULE_INVENTORY_FILE"]), str(path)]
    run = subprocess.run(
        [*argv, "-e", json.dumps(extra)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    return run.returncode, run.stdout + run.stderr


def echoed(log):
    lines = box("vpn").file(log).content_string.splitlines()
    return [float(line.split()[1]) for line in lines if line[:1].isdigit()], lines


def test_totp_session_survives_a_firewall_change():
    """With the engineer's session open and a TCP connection held through the tunnel to a
    camera, another role changes the firewall (load, fresh connection, confirm): the
    connection keeps carrying data through the change, the session is still in the set
    with its time running on (no new code), and a new connection opens without a code."""
    vpn, cam, addr = box("vpn"), box("cam"), tunnel_address()
    if session_expiry(addr) is None:
        assert login() == 200
    cam.run("setsid -f socat TCP-LISTEN:8080,fork,reuseaddr EXEC:cat")
    log = "/root/held-connection.log"
    vpn.run("rm -f %s", log)
    vpn.check_output("setsid -f python3 -c %s %s %s %s", HOLD, ADDR["cam"], log, "90")
    time.sleep(2)
    before, lines = echoed(log)
    assert len(before) >= 3, "the held connection did not carry data: %s" % lines
    left = session_expiry(addr)
    table = box("gw").check_output("nft -s -t list table inet iotguard")
    change = {
        "zones": [{"name": "probe", "networks": ["10.214.250.0/24"]}],
        "flows": [{"from": "management", "to": "probe", "proto": "tcp", "ports": [9], "comment": "a change"}],
    }
    start = time.time()
    rc, out = playbook(
        FIREWALL_CHANGE,
        {"firewall_change_host": "segment-gw", "firewall_change_name": "probe", "firewall_change": change},
    )
    done = time.time()
    assert rc == 0, out[-3000:]
    assert "Confirm the new table" in out
    after_table = box("gw").check_output("nft -s -t list table inet iotguard")
    assert after_table != table and '"a change"' in after_table, "the change was not loaded"
    time.sleep(2)
    echoes, lines = echoed(log)
    assert not [line for line in lines if line.startswith("ERR") or line == "END"], lines[-5:]
    during = [t for t in echoes if start <= t <= done]
    assert during, "no data crossed the held connection while the firewall changed"
    assert [t for t in echoes if t > done + 1], "the held connection stopped after the change"
    gaps = [b - a for a, b in itertools.pairwise(echoes)]
    assert max(gaps) < 3, "the held connection stalled %.1f s" % max(gaps)
    now_left = session_expiry(addr)
    assert now_left is not None, "the firewall change dropped the TOTP session"
    assert now_left <= left, "the session was renewed (a new code), not kept"
    assert ssh("vpn", "nvr"), "a new connection needed a new code after the change"


def test_policy_that_cuts_the_engineer_off_rolls_back_by_itself(tmp_path):
    """The controller reaches the gateway as an engineer does: SSH from the management VLAN
    (through the management host). A policy that cuts that path (the gateway's sshd only
    from staff) and the management flows to the devices is applied by the gateway_firewall
    role: it loads, the fresh connection that would confirm it never gets through, and the
    gateway goes back to the confirmed table by itself. The engineer's connections work
    again and the table is the one before."""
    key = EPHEMERAL / "engineer_key"
    ssh_args = (
        "-o ProxyCommand='podman exec -i segment-mgmt nc %h %p' -o StrictHostKeyChecking=no "
        "-o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"
    )
    inventory = tmp_path / "engineer.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "segment-gw": {
                            "ansible_host": ADDR["gw"],
                            "ansible_connection": "ssh",
                            "ansible_user": "root",
                            "ansible_ssh_private_key_file": str(key),
                            "ansible_ssh_common_args": ssh_args,
                            "ansible_python_interpreter": "/usr/bin/python3",
                        }
                    }
                }
            }
        )
    )
    gw = box("gw")

    def engineer_in():
        run = subprocess.run(
            ["ansible", "-i", str(inventory), "segment-gw", "-m", "ansible.builtin.ping"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return run.returncode == 0

    def state():
        return (
            gw.check_output("nft -s -t list table inet iotguard"),
            gw.check_output("sha256sum /etc/iotguard/firewall.d/*.json /etc/iotguard/gateway.nft"),
        )

    assert engineer_in(), "the engineer's SSH path to the gateway (positive control)"
    assert ssh("mgmt", "cam")
    before = state()
    stored = json.loads(gw.check_output("cat /etc/iotguard/firewall.d/segmentation.json"))
    cut = dict(stored, flows=[f for f in stored["flows"] if f["from"] != "management"])
    extra = {
        "firewall_change_host": "segment-gw",
        "firewall_change_name": "segmentation",
        "firewall_change": cut,
        "gateway_firewall_rollback_seconds": 10,
        "gateway_firewall_admin_flows": [
            {"from": "staff", "to": "gateway", "proto": "tcp", "ports": [22], "comment": "only staff"}
        ],
    }
    proc = subprocess.Popen(
        ["ansible-playbook", "-i", str(inventory), str(FIREWALL_CHANGE), "-e", json.dumps(extra)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, ANSIBLE_NOCOLOR="1"),
    )
    seen, start = [], time.monotonic()
    while time.monotonic() - start < 60 and not (False in seen and seen[-1]):
        seen.append(box("mgmt").run("nc -z -w 1 %s 22", ADDR["cam"]).rc == 0)
        time.sleep(0.3)
    out = proc.communicate(timeout=120)[0]
    assert False in seen, "the cutting policy was never loaded: %s" % out[-2000:]
    assert seen[-1], "the gateway did not roll back by itself"
    assert proc.returncode != 0 and "UNREACHABLE" in out, out[-2000:]
    assert not gw.file("/etc/iotguard/gateway.nft.pending").exists
    assert not gw.file("/etc/iotguard/firewall.d/pending").exists
    assert state() == before, "the table or the stored contributions differ from the confirmed ones"
    assert engineer_in(), "the engineer cannot reach the gateway after the rollback"
    assert ssh("mgmt", "cam")
