#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports
from __future__ import annotations

DOCUMENTATION = r"""
module: risk_assess
short_description: Assess one IoT device against the findings catalogue
version_added: 0.1.0
description:
  - Reads the device's discovery facts (the C(iot_*) host vars of
    P(iotguard.hardening.iot_discovery#inventory)), runs the active checks that apply to it
    and returns its findings from the catalogue in C(plugins/module_utils/risk/catalogue.py).
  - "Active checks are read-only and bounded: a login with the device's factory defaults or
    the credentials given in O(credentials), never more attempts than the device's lockout
    allows; an MQTT CONNECT without credentials; an SNMP GET of sysDescr.0 with
    O(snmp_community); an RTSP DESCRIBE without credentials; a TCP connect to each
    management port."
  - "Which credentials, in order: the product's published factory defaults; for a product
    that publishes none, or a device discovery could not identify, a few common IoT defaults
    (C(admin)/C(admin) first, then Mirai's list); then O(credentials). When the product's
    own API has no driver and its telnet or SSH shell stands in, the defaults published for
    that shell come first. A refused common guess leaves the default-credential finding
    undecided (nobody published the real default); it never counts as fixed."
  - "After a login works, the device is asked with that credential whether failed logins
    lock the account (Hikvision ISAPI, AXIS OS version, the thermostat and phone APIs, and a
    BusyBox shell without PAM, whose login has no lockout); the answer beats the product data."
  - A device that answers on none of its known ports is returned with RV(assessed=false) and
    the reason in RV(errors); the report then marks the run incomplete. The task does not
    fail, so one dead device does not hide the others.
  - "Runs on the controller: the action plugin of the same name runs the checks there and fills
    O(facts) and O(name) from the host's variables when they are not given."
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The checks only read; the module behaves the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller and reaches the device over its own protocols.
options:
  name:
    description: The device's inventory name (the action plugin passes C(inventory_hostname)).
    type: str
    required: true
  facts:
    description:
      - The device's host vars; only C(ansible_host) and the C(iot_*) keys are read.
      - C(iot_class) is required; a host without it has not been discovered.
    type: dict
    required: true
  probes:
    description: The active checks to run.
    type: list
    elements: str
    choices: [credentials, mqtt, snmp, rtsp, management]
    default: [credentials, mqtt, snmp, rtsp, management]
  credentials:
    description:
      - Known-weak credentials to try besides the device's factory defaults (for example the
        client's old shared password). Each item has C(username) and C(password).
      - Passwords never appear in the result.
    type: list
    elements: dict
    default: []
  max_login_attempts:
    description:
      - At most this many failed logins per device, and never more than the device's login
        budget allows.
      - The budget is shared with discovery and rotation through a ledger beside the
        inventory (C(.iotguard/login-ledger.json)). With a lockout threshold of N reported by
        the device, all our runs together cause at most N - 2 failures (one when N is 2 or
        3); with the product data's threshold at most 2 (a device may be set stricter); one
        when the lockout is unknown.
    type: int
    default: 3
  timeout:
    description: Seconds to wait for each connection and answer.
    type: float
    default: 3.0
  snmp_community:
    description: The community to try (the weakness is that C(public) works).
    type: str
    default: public
  snmp_communities:
    description:
      - More communities to try after O(snmp_community) (the site's own weak ones). Every
        community discovery recorded answering on the device (C(public), C(private)) is tried
        too. A community other than those two is shown by its position only, never by value.
    type: list
    elements: str
    default: []
  snmp_probe_all:
    description: Send the SNMP GET to every device, not only to those discovery saw SNMP on.
    type: bool
    default: false
  rtsp_paths:
    description: Stream paths to ask for with DESCRIBE, in order.
    type: list
    elements: str
    default: ["/"]
  port_mappings:
    description: The router's port mappings (from M(iotguard.hardening.risk_port_mappings)).
    type: list
    elements: dict
    default: []
  staff_vlans:
    description: VLAN ids of the staff workstations; a non-workstation device on one is on a flat network.
    type: list
    elements: int
    default: []
  staff_networks:
    description: Staff networks (CIDR), used for devices whose VLAN is unknown.
    type: list
    elements: str
    default: []
  assessed_from_vpn:
    description:
      - Set when the controller runs this check from inside the management VPN. The claim is
        read from the kernel before any probe (C(ip -j route get)); the route to the device
        must leave through a VPN interface (see O(vpn_interfaces)), or the task fails.
      - Management ports that answer through the VPN are then expected; whether they also
        answer outside it is what O(outside_reach) says. Without it, a management port that
        answers stays a finding (not shown closed outside the VPN).
      - V(auto) reads each device's route and assesses it from inside the VPN when the route
        leaves by a VPN interface, from outside it otherwise (an engagement's first run, before
        the tunnel exists, and every run after it, with one setting).
      - One of V(true), V(false), V(auto).
    type: raw
    default: false
  vpn_interfaces:
    description:
      - The controller's VPN interfaces (for example V(wg0)). Empty, the links of kind
        V(wireguard) or V(tun) (wireguard-go, OpenVPN) count as the VPN.
    type: list
    elements: str
    default: []
  outside_reach:
    description:
      - What a probe outside the VPN saw of this device, the device's entry of
        M(iotguard.hardening.reach_probe)'s RV(iotguard.hardening.reach_probe#module:devices)
        with V(from) set to the probe's name (keys V(from), V(open), V(refused), V(silent)).
      - Read only with O(assessed_from_vpn). A management port that answered there is a
        finding; the device is reachable only through the VPN when the probe tried every port
        that answered the assessment and none answered it.
    type: dict
  previous:
    description:
      - The client's previous report (its C(report.json)), when there is one. The ports where
        it found something on this device and that this run's discovery did not see are tried
        again. A refusal proves the port closed. An answer brings the service back to be
        checked. Silence (a firewall on the path drops the connection) proves nothing, and the
        rules found there are undecided, so that the report keeps them not re-checked instead
        of fixed.
      - A path that does not exist is no previous report (the first run).
    type: path
  store:
    description:
      - The credential store rotation keeps the device passwords in. When it holds a password
        for the host, the assessment logs in with it (within the login budget), reads the
        lockout setting and re-checks every factory credential, like a credentialed
        vulnerability scan; a finding is fixed only when re-checked and found closed.
      - C(none) checks without stored credentials.
    type: str
    choices: [vault_file, keepass, none]
    default: vault_file
  store_path:
    description:
      - C(vault_file) the inventory directory (default the host's C(inventory_dir)).
      - C(keepass) the .kdbx file.
    type: path
  store_password:
    description: C(keepass) the database master password.
    type: str
  vault_id:
    description: C(vault_file) the vault id the store was encrypted with.
    type: str
notes:
  - Probes only the address in C(ansible_host); run it only against the client's own networks.
seealso:
  - module: iotguard.hardening.risk_report
  - module: iotguard.hardening.risk_port_mappings
"""

EXAMPLES = r"""
- name: Assess each discovered device from the controller
  iotguard.hardening.risk_assess:
    max_login_attempts: 2
    staff_vlans: [10]
  delegate_to: localhost
  register: device_risk

- name: Only the passive checks and the MQTT probe
  iotguard.hardening.risk_assess:
    probes: [mqtt]
  delegate_to: localhost
"""

RETURN = r"""
assessed:
  description: Whether the device answered; when false its risk is unknown (see RV(errors)).
  returned: always
  type: bool
device:
  description: What the assessment knows about the device (cleaned discovery facts).
  returned: always
  type: dict
  sample: {"name": "cam-1", "address": "127.20.1.10", "class": "camera", "open_ports": [80, 554]}
findings:
  description: One item per weakness found (catalogue id, severity, where, evidence).
  returned: always
  type: list
  elements: dict
  sample:
    - rule: IOTG-DEFAULT-CREDS
      severity: critical
      location: hikvision_isapi
      evidence: "login as 'admin' accepted (vendor default)"
      key: "IOTG-DEFAULT-CREDS|aa:bb:cc:dd:ee:ff|hikvision_isapi"
errors:
  description: Why the device could not be assessed.
  returned: always
  type: list
  elements: str
notes:
  description: What a probe could not do (no driver, no default known, lockout budget).
  returned: always
  type: list
  elements: str
observations:
  description: The raw probe results the findings were drawn from (no secrets).
  returned: always
  type: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import assess
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import FactsError

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    facts=dict(type="dict", required=True),
    probes=dict(type="list", elements="str", choices=list(assess.PROBES), default=list(assess.PROBES)),
    credentials=dict(type="list", elements="dict", default=[], no_log=True),
    max_login_attempts=dict(type="int", default=3),
    timeout=dict(type="float", default=3.0),
    snmp_community=dict(type="str", default="public", no_log=False),
    snmp_probe_all=dict(type="bool", default=False),
    snmp_communities=dict(type="list", elements="str", default=[], no_log=True),
    rtsp_paths=dict(type="list", elements="str", default=["/"]),
    port_mappings=dict(type="list", elements="dict", default=[]),
    staff_vlans=dict(type="list", elements="int", default=[]),
    staff_networks=dict(type="list", elements="str", default=[]),
    assessed_from_vpn=dict(type="raw", default=False),
    vpn_interfaces=dict(type="list", elements="str", default=[]),
    outside_reach=dict(type="dict"),
    previous=dict(type="path"),
    store=dict(type="str", choices=["vault_file", "keepass", "none"], default="vault_file"),
    store_path=dict(type="path"),
    store_password=dict(type="str", no_log=True),
    vault_id=dict(type="str"),
)


def _previous(path):
    """The previous report's document, None when there is none; a report that cannot be read
    is an error that names it (it would make a closed port look like a filtered one)."""
    if not path or not os.path.isfile(path):
        return None
    if os.path.getsize(path) > assess.MAX_PREVIOUS:
        raise ValueError("previous: %s is larger than %d bytes; move it away" % (path, assess.MAX_PREVIOUS))
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(
            "previous: %s is unreadable (%s); move it away to start a new baseline" % (path, exc)
        ) from None


def vantage_setting(value):
    """``True``, ``False`` or ``"auto"`` from the option's value (a bool or its spelling)."""
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    if text in BOOLEANS_TRUE:
        return True
    if text in BOOLEANS_FALSE:
        return False
    raise ValueError(
        "assessed_from_vpn: %r is none of true, false, auto; give auto to read each device's route "
        "(risk_assessment_assessed_from_vpn)" % (text[:32],)
    )


def run(p, access=None):
    """Assess with validated parameters ``p``; ``(result, error message or None)``.
    ``access``: the device access the action plugin resolved (store, login ledger)."""
    for i, cred in enumerate(p["credentials"]):
        if not isinstance(cred, dict) or not cred.get("username") or "password" not in cred:
            return None, "credentials[%d] needs 'username' and 'password' keys" % i
    try:
        opts = assess.Options(
            probes=p["probes"],
            credentials=p["credentials"],
            max_login_attempts=p["max_login_attempts"],
            timeout=p["timeout"],
            snmp_community=p["snmp_community"],
            snmp_probe_all=p["snmp_probe_all"],
            snmp_communities=p["snmp_communities"],
            rtsp_paths=p["rtsp_paths"],
        )
        ctx = {
            "port_mappings": p["port_mappings"],
            "staff_vlans": p["staff_vlans"],
            "staff_networks": p["staff_networks"],
            "assessed_from_vpn": vantage_setting(p["assessed_from_vpn"]),
            "vpn_interfaces": p["vpn_interfaces"],
            "outside_reach": p["outside_reach"],
            "previous": _previous(p.get("previous")),
        }
        return assess.assess_device(p["name"], p["facts"], opts, ctx, access=access), None
    except (FactsError, ValueError) as exc:
        return None, str(exc)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result, error = run(module.params)
    if error:
        module.fail_json(msg=error)
    for w in result["errors"]:
        module.warn("%s: %s" % (result["device"]["name"], w))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
