#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name; this file
# holds the documentation and the argument spec.

from __future__ import annotations

DOCUMENTATION = r"""
module: rotate_credential
short_description: Replace a device's password and prove it, without ever losing one
version_added: 0.1.0
description:
  - Rotates one account's password on an IoT device or switch that cannot run Python, from
    the controller, over the device's own protocol (SSH shell, telnet, camera HTTP APIs,
    netmiko for switches).
  - "The transaction: find the credential that works now (store pending, current, history,
    then the factory defaults); decide from O(regenerate); generate a password that meets
    the device's policy with C(secrets) (or take O(new_password)); write it to the store as
    pending B(before) touching the device; change it; log in with the new one; prove the old
    one is refused; promote pending to current, keeping older ones in history."
  - Any failure after the pending write is reconciled on the next run instead of locking
    anyone out. A failed change is rolled back where the device allows it and is reported
    with its reason in RV(status) and RV(reason).
  - The default store (O(store=vault_file)) writes one ansible-vault encrypted file per host,
    C(host_vars/<host>/iotguard_credentials.yml) under the inventory, with the vault password
    the play runs with, so the next play sees C(iotguard_credentials) with nothing else to
    configure. O(store=keepass) writes a KeePass database instead.
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - iotguard.hardening.credential_store
attributes:
  check_mode:
    support: full
    description: Logs in to verify the current credential only; reports RV(status=would_rotate).
  diff_mode:
    support: full
    description: Shows which accounts change and where their credential came from, never a secret.
  platform:
    support: full
    platforms: IoT devices and switches, reached from the controller
    description: Talks to the device over its own protocol; the device runs no Python.
  action:
    support: full
    description: Runs as an action plugin on the controller.
  async:
    support: none
    description: Runs synchronously on the controller.
options:
  address:
    description:
      - Address of the device. Defaults to C(ansible_host), then the inventory hostname.
    type: str
  port:
    description:
      - Port of the management protocol. Defaults to the host var C(iot_port), then the
        driver's own (22, 23, 80, ...).
    type: int
  driver:
    description:
      - Driver to use - C(ssh_shell), C(debian_shell), C(telnet_busybox), C(hikvision_isapi),
        C(axis_vapix), C(dahua_http) (Dahua CGI API), C(hp_ews) (HP printers),
        C(venstar_local) (Venstar thermostats, a manual step), C(yealink_http) (Yealink web UI),
        C(busybox_httpd) (BusyBox httpd Basic auth, a manual step),
        C(polycom_rest) (Polycom VVX REST), C(router_http), C(routeros_api) (MikroTik RouterOS API),
        C(edgeos_cli) (Ubiquiti EdgeRouter CLI), C(cisco_ios), C(hp_procurve), C(web_login) (a web
        interface that only asks for HTTP Basic/Digest, a manual step).
      - Defaults to the host var C(iot_driver), then the C(driver) of C(iot_fingerprint) that
        discovery set; a device with neither, no shell we can use and a web login that asks for
        HTTP Basic/Digest gets C(web_login).
    type: str
  username:
    description: The account to rotate. The enable secret of a switch is the account C(enable).
    type: str
    required: true
  factory_passwords:
    description:
      - Factory default passwords to try when the store has nothing that works. Defaults to
        the C(password) entries for O(username) in C(iot_default_credentials).
    type: list
    elements: str
  new_password:
    description: Use this password instead of generating one. It must meet the device's policy.
    type: str
  regenerate:
    description:
      - When to change the password.
      - C(never) only verifies that a known credential works.
      - C(if_default) changes it while the device accepts a factory default.
      - C(max_age) also changes it when the stored one is older than O(max_age_days).
      - C(always) changes it on every run.
    type: str
    choices: [never, if_default, max_age, always]
    default: if_default
  max_age_days:
    description: Age in days after which O(regenerate=max_age) rotates again.
    type: float
  password_length:
    description: Length of generated passwords, within the device's own limits.
    type: int
  password_policy:
    description:
      - Overrides the driver's password policy (C(min_length), C(max_length), C(symbols),
        C(classes)). Defaults to C(password_policy) of C(iot_fingerprint) when set.
    type: dict
  timeout:
    description: Seconds to wait for the device on each connection.
    type: float
    default: 10
  verify_retries:
    description: Login attempts with the new password before it is declared not working.
    type: int
    default: 3
  retry_delay:
    description: Seconds between those attempts (grows linearly).
    type: float
    default: 1
  driver_options:
    description:
      - Extra options for the driver, for example C(use_tls), C(validate_certs),
        C(login_username) and C(login_password) (for a switch's enable secret),
        C(enable_secret), C(login_failure_delay) (seconds a telnet or SSH shell device
        may take beyond O(timeout) to refuse a password; default 5, as BusyBox and PAM
        pause about 3).
    type: dict
  default_account:
    description:
      - The account comes from the product's list of factory accounts (discovery's
        C(iot_default_credentials)), not from the engineer. When its factory default is
        refused and the store holds nothing for it, the device does not use that account
        with its default, and RV(status) is C(not_in_use) rather than C(failed).
    type: bool
    default: false
  fail_on_error:
    description:
      - Fail the task when the rotation fails. Set to C(false) in fleet runs and read
        RV(status) and RV(reason) instead (the role does).
    type: bool
    default: true
notes:
  - Runs on the controller; the device needs no Python.
  - Secrets are never returned, logged or shown in a diff.
seealso:
  - plugin: iotguard.hardening.credential
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Rotate the factory admin password of a camera found by discovery
  iotguard.hardening.rotate_credential:
    username: admin

- name: Rotate again when older than 90 days, into a KeePass database
  iotguard.hardening.rotate_credential:
    username: admin
    regenerate: max_age
    max_age_days: 90
    store: keepass
    store_path: "{{ inventory_dir }}/credentials.kdbx"
    store_password: "{{ vault_keepass_master }}"

- name: Rotate a Cisco switch's enable secret, logging in as the rotated local user
  iotguard.hardening.rotate_credential:
    driver: cisco_ios
    username: enable
    driver_options:
      login_username: netadmin
      login_password: "{{ lookup('iotguard.hardening.credential', inventory_hostname, user='netadmin') }}"
"""

RETURN = r"""
status:
  description:
    - C(rotated), C(compliant), C(would_rotate), C(reconciled), C(not_in_use), C(manual) or C(failed).
    - C(manual) when the product has no API for its password (a Venstar thermostat's local API
      credentials are set on its own screen); nothing was sent to the device, a generated password
      is pending in the store and RV(manual_step) says what to do.
  returned: always
  type: str
  sample: rotated
manual_step:
  description: With RV(status) C(manual), where on the device an engineer makes the change.
  returned: when status is manual
  type: str
  sample: "On the thermostat's screen: Menu > Settings > WiFi > Local API Options ..."
reason:
  description: Why, in words (no secrets).
  returned: always
  type: str
  sample: factory default credential replaced and proven
credential_source:
  description:
    - Where the credential that worked came from
    - C(default), C(current), C(pending), C(history) or C(given).
  returned: when a credential worked
  type: str
  sample: default
reconciled:
  description: Whether the store was brought in line with the device (a previous run was interrupted).
  returned: always
  type: bool
driver:
  description: The driver used.
  returned: always
  type: str
  sample: hikvision_isapi
steps:
  description: Each step and its outcome (no secrets).
  returned: always
  type: list
  elements: dict
  sample: [{"step": "verify_default", "result": "accepted"}, {"step": "change", "result": "ok"}]
logins:
  description: Login attempts made (each counts against the device's lockout).
  returned: always
  type: int
rotated_at:
  description: When the new credential was committed (UTC).
  returned: when rotated
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 - after the docs, as is usual

ARGUMENT_SPEC = {
    "address": {"type": "str"},
    "port": {"type": "int"},
    "driver": {"type": "str"},
    "username": {"type": "str", "required": True},
    "factory_passwords": {"type": "list", "elements": "str", "no_log": True},
    "new_password": {"type": "str", "no_log": True},
    "regenerate": {
        "type": "str",
        "choices": ["never", "if_default", "max_age", "always"],
        "default": "if_default",
    },
    "max_age_days": {"type": "float"},
    "password_length": {"type": "int", "no_log": False},
    "password_policy": {"type": "dict", "no_log": False},
    "store": {"type": "str", "choices": ["vault_file", "keepass"], "default": "vault_file"},
    "store_path": {"type": "path"},
    "store_password": {"type": "str", "no_log": True},
    "vault_id": {"type": "str"},
    "timeout": {"type": "float", "default": 10},
    "verify_retries": {"type": "int", "default": 3},
    "retry_delay": {"type": "float", "default": 1},
    "driver_options": {"type": "dict", "no_log": True},
    "default_account": {"type": "bool", "default": False},
    "fail_on_error": {"type": "bool", "default": True},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg="iotguard.hardening.rotate_credential runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
