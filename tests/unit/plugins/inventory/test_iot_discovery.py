# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""The inventory plugin run as an operator runs it: ``ansible-inventory`` and a play."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TOP = HERE.parents[3]
sys.path.insert(0, str(TOP / "tests/unit/plugins/module_utils/discovery"))

import fakedevices as fd  # noqa: E402

BIN = TOP / ".venv/bin"


def env():
    e = dict(os.environ)
    e["PATH"] = "%s:%s" % (BIN, e.get("PATH", ""))
    e["ANSIBLE_CONFIG"] = str(TOP / "ansible.cfg")
    e["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"] = "true"
    e["ANSIBLE_NOCOLOR"] = "1"
    e.pop("ANSIBLE_INVENTORY_CACHE", None)
    return e


def run_inventory(path, check=True):
    for tool in ("ansible-inventory", "ansible-playbook"):
        if not (BIN / tool).exists():
            pytest.fail("%s is missing: run scripts/setup.sh" % tool)
    p = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=env(),
        cwd=TOP,
        timeout=120,
        check=False,
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


def unwrap(value):
    """ansible-inventory marks unsafe values as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def write_source(tmp_path, body, name="site.iot_discovery.yml"):
    p = tmp_path / name
    p.write_text("plugin: iotguard.hardening.iot_discovery\n" + textwrap.dedent(body))
    return p


SMALL = """
site: Clinic North
networks: [127.99.2.0/27]
ports: [22, 23, 80, 104, 445, 554, 1400, 1883, 5060, 9100]
snmp_communities: [public]
read_timeout: 1.0
udp_timeout: 0.5
"""


@pytest.fixture(scope="module")
def small():
    site = fd.small_site("127.99.2")
    with fd.FakeSite(site.values()) as running:
        yield site, running


def test_list_classifies_and_groups(small, tmp_path):
    site = small[0]
    out = json.loads(run_inventory(write_source(tmp_path, SMALL)).stdout)
    hv = unwrap(out["_meta"]["hostvars"])
    assert sorted(hv) == sorted(d.address for d in site.values())
    want = {
        "hikvision": ("camera", "Hikvision"),
        "hp_printer": ("printer", "HP"),
        "polycom": ("voip_phone", "Polycom"),
        "windows_xp": ("workstation", "Microsoft"),
        "pacs": ("medical", "OFFIS DCMTK"),
        "sonos": ("smart_speaker", "Sonos"),
        "googlehome": ("smart_speaker", "Google"),
        "busybox_dvr": ("nvr", "Xiongmai"),
    }
    for name, (cls, vendor) in want.items():
        h = hv[site[name].address]
        assert (h["iot_class"], h["iot_vendor"]) == (cls, vendor), name
        assert h["ansible_host"] == site[name].address
        assert h["iot_site"] == "Clinic North"
        assert h["iot_evidence"]
        assert site[name].address in out["class_%s" % cls]["hosts"]
        assert site[name].address in out["vendor_%s" % vendor.lower().replace(" ", "_")]["hosts"]
        assert site[name].address in out["site_clinic_north"]["hosts"]
    xp = hv[site["windows_xp"].address]
    assert xp["iot_eol"]["date"] == "2014-04-08" and xp["iot_os"].startswith("Windows XP")
    assert hv[site["hp_printer"].address]["iot_services"]["9100/tcp"]["id"] == "HP LaserJet Pro M404dn"
    # the configured community is never shown unless it is a well-known default
    assert hv[site["hp_printer"].address]["iot_services"]["161/udp"]["community"] == "public"
    assert '"password"' not in json.dumps(hv)  # factory passwords never become host vars


def test_constructed_options(small, tmp_path):
    src = write_source(
        tmp_path,
        SMALL
        + textwrap.dedent(
            """
            compose:
              risk_hint: "'eol' if iot_eol else 'ok'"
            groups:
              end_of_life: iot_eol is not none
            keyed_groups:
              - key: iot_lockout.supported | string
                prefix: lockout
            """
        ),
    )
    out = json.loads(run_inventory(src).stdout)
    site = fd.small_site("127.99.2")
    xp, dvr = site["windows_xp"].address, site["busybox_dvr"].address
    assert sorted(out["end_of_life"]["hosts"]) == sorted([xp, dvr])
    assert unwrap(out["_meta"]["hostvars"][xp]["risk_hint"]) == "eol"
    assert "lockout_True" in out or "lockout_true" in out


def test_cache_second_run_sends_nothing(small, tmp_path):
    running = small[1]
    src = write_source(
        tmp_path,
        SMALL
        + "cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\ncache_timeout: 600\n"
        % (tmp_path / "cache"),
    )
    before = (running.connections, running.datagrams)
    first = json.loads(run_inventory(src).stdout)
    mid = (running.connections, running.datagrams)
    assert mid[0] > before[0] and mid[1] > before[1]
    second = json.loads(run_inventory(src).stdout)
    assert (running.connections, running.datagrams) == mid
    assert second["_meta"]["hostvars"] == first["_meta"]["hostvars"]
    # refresh: a cache file is there; the plugin re-probes when told to (cache: false)
    assert any((tmp_path / "cache").iterdir())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("networks: [127.99.2.0/33]\n", "networks[0]: '127.99.2.0/33' is not a valid address or CIDR"),
        ("networks: [127.99.2.1]\nexclude: [banana]\n", "exclude[0]: 'banana'"),
        ("nmap_xml: [/nonexistent/scan.xml]\n", "nmap_xml[0]: '/nonexistent/scan.xml' cannot be read"),
        ("networks: [127.99.2.1]\nbogus_option: 1\n", "unknown option(s) 'bogus_option'"),
        ("networks: [127.99.2.1]\nports: [70000]\n", "ports[0]: 70000 is not a TCP port"),
        ("networks: [127.99.2.1]\nudp_probes: [netbios]\n", "netbios"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, body, expected):
    p = run_inventory(write_source(tmp_path, body), check=False)
    assert p.returncode != 0
    assert expected in p.stderr


def test_unreadable_nmap_xml_file(tmp_path):
    bad = tmp_path / "scan.xml"
    bad.write_text("<nmaprun><host>")
    p = run_inventory(write_source(tmp_path, "nmap_xml: [%s]\nprobe: false\n" % bad), check=False)
    assert p.returncode != 0 and "nmap_xml[0]" in p.stderr and "is not valid XML" in p.stderr


def test_switch_that_times_out_is_a_warning_and_the_rest_stands(small, tmp_path):
    site = small[0]

    async def mute(reader, writer, dev):
        await asyncio.sleep(30)

    sw = fd.FakeDevice("127.99.2.250", tcp={2222: mute})
    with fd.FakeSite([sw]):
        src = write_source(
            tmp_path,
            SMALL
            + textwrap.dedent(
                """
                source_timeout: 2
                switches:
                  - host: 127.99.2.250
                    port: 2222
                    device_type: cisco_ios
                    username: netops
                    password: "{{ 'not' + '-a-secret' }}"
                """
            ),
        )
        p = run_inventory(src)
    assert "switches[0] (127.99.2.250)" in p.stderr
    hv = json.loads(p.stdout)["_meta"]["hostvars"]
    assert site["hikvision"].address in hv
    assert "not-a-secret" not in p.stderr + p.stdout


def test_nmap_and_dhcp_sources_without_probing(tmp_path):
    xml = tmp_path / "scan.xml"
    xml.write_text(
        '<nmaprun><host><status state="up"/><address addr="127.99.2.77" addrtype="ipv4"/>'
        '<address addr="AC:CC:8E:EA:23:C3" addrtype="mac"/>'
        '<ports><port protocol="tcp" portid="21"><state state="open"/><service name="ftp" '
        'product="Axis M3045-V Network Camera ftpd"/></port></ports></host></nmaprun>'
    )
    leases = tmp_path / "dhcpd.leases"
    leases.write_text(
        "lease 127.99.2.78 {\n  binding state active;\n  hardware ethernet 44:19:b6:3b:cf:04;\n}\n"
    )
    src = write_source(tmp_path, "probe: false\nnmap_xml: [%s]\ndhcp_leases: [%s]\n" % (xml, leases))
    named = unwrap(json.loads(run_inventory(src).stdout)["_meta"]["hostvars"])
    # hosts are named by what identifies the device (here its MAC), ansible_host the address
    assert set(named) == {"mac-accc8eea23c3", "mac-4419b63bcf04"}
    hv = {v["ansible_host"]: v for v in named.values()}
    assert hv["127.99.2.77"]["iot_vendor"].startswith("Axis")
    assert hv["127.99.2.77"]["iot_mac"] == "ac:cc:8e:ea:23:c3"
    assert hv["127.99.2.78"]["iot_vendor"].startswith("Hangzhou Hikvision")
    assert hv["127.99.2.78"]["iot_sources"] == ["dhcp_leases"]
    # the option that keeps address-named hosts
    src = write_source(
        tmp_path, "probe: false\nhost_naming: address\nnmap_xml: [%s]\ndhcp_leases: [%s]\n" % (xml, leases)
    )
    assert set(json.loads(run_inventory(src).stdout)["_meta"]["hostvars"]) == {"127.99.2.77", "127.99.2.78"}


def test_hostile_banner_is_never_evaluated(tmp_path):
    """A device puts a Jinja lookup and shell metacharacters in its banners."""
    marker = tmp_path / "pwned"
    marker2 = tmp_path / "pwned2"
    jinja = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker
    shell = "$(touch %s); `touch %s`; | touch %s" % (marker2, marker2, marker2)
    dev = fd.FakeDevice(
        "127.99.2.240",
        tcp={
            80: fd.http_handler(
                fd.http_reply(
                    headers=[("Server", shell)],
                    body=("<html><head><title>%s</title></head></html>" % jinja).encode(),
                )
            ),
            23: fd.telnet_handler(("{%% for x in range(1) %%}%s{%% endfor %%}\r\nlogin: " % jinja).encode()),
        },
    )
    with fd.FakeSite([dev]):
        src = write_source(
            tmp_path,
            "networks: [127.99.2.240]\nports: [23, 80]\nudp_probes: []\nread_timeout: 1\n"
            "compose:\n  shown_title: iot_services['80/tcp'].title\n",
        )
        out = run_inventory(src)
        hv = unwrap(json.loads(out.stdout)["_meta"]["hostvars"]["127.99.2.240"])
        assert hv["iot_services"]["80/tcp"]["title"] == jinja
        # bounded (200 characters for a header) but otherwise as sent
        server = hv["iot_services"]["80/tcp"]["server"]
        assert shell.startswith(server.rstrip(".")) and len(server) <= 200
        assert hv["shown_title"] == jinja
        play = tmp_path / "show.yml"
        play.write_text(
            textwrap.dedent(
                """
                - name: Show what the device said
                  hosts: all
                  gather_facts: false
                  connection: local
                  tasks:
                    - name: Print the title
                      ansible.builtin.debug:
                        msg: >-
                          title={{ iot_services['80/tcp'].title }}
                          server={{ iot_services['80/tcp'].server }}
                    - name: Print the telnet banner
                      ansible.builtin.debug:
                        var: iot_services['23/tcp'].banner
                """
            )
        )
        p = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", str(src), str(play)],
            capture_output=True,
            text=True,
            env=env(),
            cwd=TOP,
            timeout=120,
            check=False,
        )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "title=" + jinja in p.stdout
    assert "{% for x in range(1) %}" in p.stdout
    assert not marker.exists() and not marker2.exists()


def test_default_credentials_only_when_asked(tmp_path):
    from test_discovery_credcheck import AuthDevice

    cam = AuthDevice("127.99.2.230", "App-webs/", "IP Camera(C40567890)", "admin", "12345", "Digest")
    with fd.FakeSite([cam.device]):
        base = "networks: [127.99.2.230]\nports: [80]\nudp_probes: []\nread_timeout: 1\n"
        off = unwrap(json.loads(run_inventory(write_source(tmp_path, base)).stdout)["_meta"]["hostvars"])
        assert cam.attempts == []
        assert off["127.99.2.230"]["iot_default_credential_valid"] is None
        on = write_source(
            tmp_path,
            base + "try_default_credentials: true\nmax_credential_attempts: 3\n",
            "on.iot_discovery.yml",
        )
        hv = unwrap(json.loads(run_inventory(on).stdout)["_meta"]["hostvars"])["127.99.2.230"]
    assert hv["iot_default_credential_valid"] is True
    assert hv["iot_default_credential_username"] == "admin"
    assert len(cam.attempts) == 1
    assert "12345" not in json.dumps(hv)
