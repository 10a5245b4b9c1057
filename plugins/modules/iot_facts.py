#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Copyright: iotguard.hardening contributors
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
module: iot_facts
short_description: Probe and fingerprint one IoT device, return its iot_* facts
version_added: 0.1.0
description:
  - Runs the same probes and fingerprinting as the C(iotguard.hardening.iot_discovery)
    inventory plugin against one address and returns the same C(iot_*) variables as facts,
    so a play can refresh them after it changed a device (closed telnet, new firmware).
  - Read-only. The probes open connections and read what the device offers; no credential
    is ever sent (MQTT connects anonymously, SMB sets up the anonymous session, SNMP uses
    O(snmp_communities)).
  - "Devices have no Python. Run it on the controller (C(delegate_to: localhost) or
    C(connection: local))."
  - Everything the device sent is cleaned (control characters stripped, size bounded) and is
    returned as data, never as a template.
author:
  - iotguard.hardening contributors (@iotguard)
options:
  host:
    description: Address of the device (IPv4 or IPv6).
    type: str
    required: true
  mac:
    description: The device's MAC address, when known, for the IEEE OUI vendor lookup.
    type: str
  ports:
    description: TCP ports to probe. The default is the IoT port set of the inventory plugin.
    type: list
    elements: int
  port_protocols:
    description: "Probe to run on a port outside the built-in map, e.g. C({8081: http})."
    type: dict
    default: {}
  udp_probes:
    description: UDP probes to send.
    type: list
    elements: str
    choices: [snmp, ssdp, mdns, sip, bacnet]
    default: [snmp, ssdp, mdns, sip, bacnet]
  snmp_communities:
    description:
      - SNMP v2c communities to try; never returned (a community that answered is named by
        index). Unset, C(public) is tried.
    type: list
    elements: str
  connect_timeout:
    description: Seconds to wait for a TCP connection.
    type: float
    default: 1.0
  read_timeout:
    description: Seconds to wait for a banner or reply.
    type: float
    default: 2.0
  udp_timeout:
    description: Seconds to wait for UDP replies.
    type: float
    default: 1.0
  host_timeout:
    description: Seconds for all TCP probes of the host.
    type: float
    default: 15
  oui_file:
    description: IEEE OUI registry (oui.csv or oui.txt); unset, Debian's ieee-data package is used.
    type: path
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module never changes anything; check mode probes the same way.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode).
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
    details: Runs on the controller and reaches the device over the network.
notes:
  - The fact names and meanings are those documented in the C(iotguard.hardening.iot_discovery)
    inventory plugin (C(ansible-doc -t inventory iotguard.hardening.iot_discovery)).
"""

EXAMPLES = r"""
- name: Refresh what we know about the camera after closing telnet
  iotguard.hardening.iot_facts:
    host: "{{ ansible_host }}"
    mac: "{{ iot_mac | default(omit) }}"
  delegate_to: localhost

- name: Fail when telnet is still open
  ansible.builtin.assert:
    that: 23 not in iot_open_ports
    fail_msg: "{{ inventory_hostname }} still listens on telnet"

- name: Probe a printer on its own port set, with the site's SNMP community
  iotguard.hardening.iot_facts:
    host: 192.0.2.40
    ports: [80, 443, 631, 9100]
    udp_probes: [snmp]
    snmp_communities: ["{{ vault_snmp_community }}"]
  delegate_to: localhost
  register: printer
"""

RETURN = r"""
ansible_facts:
  description: The device's C(iot_*) facts (see the iot_discovery inventory plugin for each name).
  returned: success
  type: dict
  contains:
    iot_class:
      description: Device class.
      type: str
      sample: camera
    iot_vendor:
      description: Vendor.
      type: str
      sample: Hikvision
    iot_model:
      description: Model family, or the exact model when a banner names it.
      type: str
      sample: DS-2CD IP camera
    iot_fingerprint_id:
      description: Matched fingerprint id (null when none matched).
      type: str
      sample: hikvision.camera
    iot_confidence:
      description: Confidence of the match, 0.0-0.99.
      type: float
      sample: 0.88
    iot_open_ports:
      description: Open TCP ports.
      type: list
      elements: int
      sample: [22, 80, 554]
    iot_services:
      description: Per C(port/tcp) or C(port/udp), what the device said.
      type: dict
      sample: {"80/tcp": {"protocol": "http", "server": "App-webs/", "title": "IP Camera"}}
    iot_os:
      description: Operating system family.
      type: str
      sample: Linux (embedded)
    iot_eol:
      description: Null, or C(date) and C(reason) when the product gets no more fixes.
      type: dict
      sample: {"date": "2014-04-08", "reason": "Windows XP: no security updates since 2014-04-08"}
    iot_mgmt_protocols:
      description: The management protocols found listening on the device (evidence).
      type: list
      elements: str
      sample: [http, ssh]
    iot_mgmt_protocols_product:
      description: How the product data says the product is managed (a fallback, not evidence).
      type: list
      elements: str
      sample: [http, https, rtsp, ssh]
    iot_default_credentials:
      description: Factory-default user names (never passwords).
      type: list
      elements: str
      sample: [admin]
    iot_lockout:
      description: The product's factory lockout (C(supported), C(threshold), C(note)), labelled C(source).
      type: dict
      sample:
        {"supported": true, "threshold": 7, "note": "illegal login lock", "source": "product data (fallback)"}
    iot_evidence:
      description: Which probe and field led to each conclusion.
      type: list
      elements: dict
      sample: [{"conclusion": "fingerprint=hikvision.camera", "field": "http.server", "value": "App-webs/",
                "source": "http 80/tcp", "weight": 3}]
    iot_mac:
      description: The MAC address given in O(mac), normalised.
      type: str
      sample: 44:19:b6:3b:cf:04
probe_stats:
  description: What was sent (connections, datagrams) and how long it took.
  returned: success
  type: dict
  sample: {"tcp_connects": 19, "tcp_open": 3, "udp_datagrams": 5, "udp_replies": 0, "elapsed": 1.02}
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import engine, probes
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.targets import (
    Target,
    parse_address,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            mac=dict(type="str"),
            ports=dict(type="list", elements="int"),
            port_protocols=dict(type="dict", default={}),
            udp_probes=dict(
                type="list", elements="str", choices=list(probes.UDP_PROBES), default=list(probes.UDP_PROBES)
            ),
            snmp_communities=dict(type="list", elements="str", no_log=True),
            connect_timeout=dict(type="float", default=1.0),
            read_timeout=dict(type="float", default=2.0),
            udp_timeout=dict(type="float", default=1.0),
            host_timeout=dict(type="float", default=15.0),
            oui_file=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = dict(module.params)
    if p["snmp_communities"] is None:
        p["snmp_communities"] = ["public"]
    started = time.monotonic()
    try:
        net = parse_address(p["host"], "host")
        if net.num_addresses != 1:
            raise DiscoveryError(
                "host", p["host"], "is a network", "give one address; the inventory plugin scans networks"
            )
        address = str(net.network_address)
        cfg = engine.scan_config(p)
        oui_table, warning = engine.load_oui(p["oui_file"])
    except DiscoveryError as exc:
        module.fail_json(msg=str(exc), field=exc.field)
    if warning:
        module.warn(warning)
    scans, stats = probes.scan([address], cfg)
    target = Target(address, "iot_facts", mac=p["mac"])
    if p["mac"] and target.mac is None:
        module.fail_json(
            msg="mac: %r is not a MAC address; write it as aa:bb:cc:dd:ee:ff" % p["mac"], field="mac"
        )
    facts = engine.facts({"target": target.as_dict(), "scan": scans[address]}, oui_table)
    facts.pop("iot_network_os", None)
    for key in ("iot_site", "iot_sources"):
        facts.pop(key, None)
    stats["elapsed"] = round(time.monotonic() - started, 3)
    module.exit_json(changed=False, ansible_facts=facts, probe_stats=stats)


if __name__ == "__main__":
    main()
