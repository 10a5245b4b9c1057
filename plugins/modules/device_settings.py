#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name; this file
# holds the documentation and the argument spec.

from __future__ import annotations

DOCUMENTATION = r"""
module: device_settings
short_description: Set lockout, services, exposure, SNMP and MQTT on an IoT device itself
version_added: 0.3.0
description:
  - Applies one hardening policy to one device through its driver, from the controller, with
    the credential the store holds for it (rotation puts it there).
  - Reads the device's settings, plans the changes, checks every value against the device's
    own range B(before) anything is sent (a bad value fails the device naming the field, the
    value and the range, and leaves the device as it was), applies the changes one at a time
    and reads the settings back after each.
  - A setting the driver cannot make is listed in RV(not_done) with the reason (or fails the
    task with O(unsupported=fail)); a device that cannot lock out, or that runs telnet or
    FTP (discovery saw its port open, host var C(iot_open_ports)) its driver cannot switch
    off, is listed in RV(compensate) so a compensating control can be put in front of it.
  - The SNMP community is generated, written to the store as pending before the device is
    touched and made current once the device answers with it; results and diffs only say
    C(default) or C(custom).
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - iotguard.hardening.credential_store
attributes:
  check_mode:
    support: full
    description: Reads the settings and reports RV(status=would_change) with the planned changes.
  diff_mode:
    support: full
    description: Shows the settings before and after, never a secret.
  platform:
    support: full
    platforms: IoT devices, reached from the controller
    description: Talks to the device over its own protocol; the device runs no Python.
  action:
    support: full
    description: Runs as an action plugin on the controller.
  async:
    support: none
    description: Runs synchronously on the controller.
options:
  policy:
    description:
      - C(lockout) (dict of C(threshold), failed logins, and C(duration), seconds),
        C(services_disabled) (list of C(telnet), C(ftp), C(ssh), C(upnp)),
        C(remove_port_mappings) (bool, every UPnP IGD mapping), C(snmp_community)
        (C(generate)) and C(mqtt_auth) (bool).
    type: dict
    required: true
  username:
    description: The account to log in with. Defaults to the first account the store holds for the host.
    type: str
  unsupported:
    description: What to do with a requested setting the driver cannot make - C(skip) (report it) or C(fail).
    type: str
    choices: [skip, fail]
    default: fail
  rate_limit:
    description:
      - For a device that needs a compensating control (RV(compensate)), the rate limit of new connections per
        source to its management ports (RV(compensating_control), the gateway firewall's
        C(rate_limits) entry), e.g. C(6/minute). Empty for none.
    type: str
    default: 6/minute
  rate_burst:
    description: Connections allowed above O(rate_limit) in a burst.
    type: int
    default: 3
  address:
    description: Address of the device. Defaults to C(ansible_host), then the inventory hostname.
    type: str
  port:
    description: Port of the management protocol. Defaults to the host var C(iot_port), then the driver's own.
    type: int
  driver:
    description:
      - "Driver to use, with what it can do - C(axis_vapix) (password, lockout_read, services,
        initial_password);
        C(busybox_httpd) (password);
        C(cisco_ios) (password); C(dahua_http) (password, lockout_read, lockout_set);
        C(debian_shell) (password, lockout_read, lockout_set, services, snmp_community, mqtt_auth);
        C(edgeos_cli) (password);
        C(hikvision_isapi) (password, lockout_read, lockout_set,
        services, initial_password); C(hp_ews) (password, snmp_community); C(hp_procurve) (password);
        C(polycom_rest) (password, lockout_read,
        lockout_set); C(router_http) (password, services,
        port_mappings); C(routeros_api) (password, services); C(ssh_shell) (password);
        C(telnet_busybox) (password, lockout_read);
        C(venstar_local) (password); C(web_login) (password); C(yealink_http) (password)."
      - Defaults to the host var C(iot_driver), then the C(driver) of C(iot_fingerprint) that
        discovery set.
    type: str
  driver_options:
    description: Extra driver settings (C(use_tls), C(upnp_description), C(snmp_port)).
    type: dict
  timeout:
    description: Seconds to wait for each answer of the device.
    type: float
    default: 10
"""

EXAMPLES = r"""
- name: Lockout on, telnet and UPnP off, mappings gone, SNMP and MQTT closed
  iotguard.hardening.device_settings:
    policy:
      lockout: {threshold: 7, duration: 600}
      services_disabled: [telnet, ftp, upnp]
      remove_port_mappings: true
      snmp_community: generate
      mqtt_auth: true
    unsupported: skip
"""

RETURN = r"""
status:
  description:
    - C(changed), C(unchanged), C(would_change), C(failed), or C(not_managed) (no driver, or
      the store holds no credential for the device yet; RV(reason) says which).
  returned: always
  type: str
  sample: changed
reason:
  description: Why, in words (no secrets).
  returned: always
  type: str
changes:
  description: Each change made (or planned in check mode) as C(field), C(before), C(after).
  returned: always
  type: list
  elements: dict
  sample: [{"field": "lockout", "before": {"enabled": false, "threshold": 7, "duration": 1800},
            "after": {"enabled": true, "threshold": 5, "duration": 600}}]
not_done:
  description: Requested settings not made on this device, each with C(field) and C(reason).
  returned: always
  type: list
  elements: dict
compensate:
  description:
    - What the device still lacks that a compensating control must cover - C(no_lockout) (it
      cannot lock out), C(cleartext_telnet), C(cleartext_ftp) (the service is open and the
      driver cannot switch it off).
    - A cleartext service counts as compensated in the risk register only when the control
      lets new connections in from the management zones alone (the role's
      C(device_hardening_management_only)) and the assessment's probe outside the VPN found
      the device reachable only through it.
  returned: always
  type: list
  elements: str
settings:
  description:
    - The settings read back, in one shape for every driver.
    - The SNMP community only as C(default) or C(custom).
  returned: when they could be read
  type: dict
compensating_control:
  description:
    - For a device that needs a compensating control, the gateway firewall's C(rate_limits) entry
      (C(to), C(ports), C(per_source), C(burst)) to put in front of it; null otherwise.
  returned: always
  type: dict
compensated_by:
  description: The compensating control in words (for the reports), or null.
  returned: always
  type: str
capabilities:
  description: What the driver can do.
  returned: always
  type: list
  elements: str
driver:
  description: The driver used.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 - after the docs, as is usual

ARGUMENT_SPEC = {
    "policy": {"type": "dict", "required": True},
    "username": {"type": "str"},
    "unsupported": {"type": "str", "choices": ["skip", "fail"], "default": "fail"},
    "rate_limit": {"type": "str", "default": "6/minute"},
    "rate_burst": {"type": "int", "default": 3},
    "address": {"type": "str"},
    "port": {"type": "int"},
    "driver": {"type": "str"},
    "driver_options": {"type": "dict", "no_log": True},
    "store": {"type": "str", "choices": ["vault_file", "keepass"], "default": "vault_file"},
    "store_path": {"type": "path"},
    "store_password": {"type": "str", "no_log": True},
    "vault_id": {"type": "str"},
    "timeout": {"type": "float", "default": 10},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="iotguard.hardening.device_settings runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
