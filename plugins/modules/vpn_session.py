#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports
from __future__ import annotations

DOCUMENTATION = r"""
module: vpn_session
short_description: Open an engineer's management session through the WireGuard tunnel with a TOTP code
version_added: 0.1.0
description:
  - Runs on a WireGuard peer of the P(iotguard.hardening.wireguard#role) role (the engineer's
    machine, usually the controller itself) and posts a TOTP code through the tunnel to the
    hub's authenticator, which lets this peer's tunnel address reach the management zones for
    C(wireguard_session_seconds). The playbook steps that reach devices through the VPN need
    such a session first, as the engineer's browser does.
  - The code is typed by the engineer (O(code)) or printed by a command on the host that runs
    this module (O(code_command)), for example a secrets manager's TOTP engine in a pipeline, or the
    lab's stand-in for the engineer's phone.
  - Before posting, the route to the hub's tunnel address is read from the kernel (C(ip -j
    route get)) and must leave by a VPN interface; otherwise the task fails and nothing is
    posted.
  - One attempt per run. A refused code (wrong, or already used) counts towards the peer's
    lockout on the hub, so the module never tries again; the message says what to do.
  - The code never appears in the output, the logs or an error message.
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: A session is a login, not a change of the site; it is opened in check mode too,
      since the steps that only read the devices through the tunnel need it as much.
  diff_mode:
    support: none
  platform:
    platforms: posix
requirements:
  - C(ip) from iproute2 with JSON output (C(-j))
options:
  pool:
    description:
      - The VPN's address pool (C(wireguard_pool)); the hub's tunnel address is its first host
        address. One of O(pool) and O(hub_address) is required.
    type: str
  hub_address:
    description: The hub's tunnel address, where a pool does not tell it.
    type: str
  auth_port:
    description: The authenticator's TCP port (C(wireguard_auth_port)).
    type: int
    default: 8181
  code:
    description:
      - The code the engineer's authenticator app shows now (6 to 8 digits).
      - Without O(code) and O(code_command) the module only reads the route to the hub and
        returns RV(routed), so that a playbook asks the engineer for a code only when this
        host's tunnel is up.
    type: str
  code_command:
    description:
      - A command that prints the code alone on one line, as a list of the program and its
        arguments (run without a shell, with no input). Put no secret in its arguments, which
        every process of the host can read while it runs.
    type: list
    elements: str
  command_timeout:
    description: Seconds the command may take.
    type: float
    default: 30
  timeout:
    description: Seconds to wait for the authenticator.
    type: float
    default: 10
  only_when_routed:
    description:
      - When the route to the hub's tunnel address does not go through the tunnel, do nothing
        and say so (RV(routed) false) instead of failing, and run no O(code_command). For a
        run that starts before this host's tunnel exists (an engagement's first C(site.yml)).
    type: bool
    default: false
  vpn_interfaces:
    description:
      - Interfaces that are the tunnel (for example V(wg0)). Empty, links of kind
        V(wireguard) or V(tun) count as the tunnel.
    type: list
    elements: str
    default: []
notes:
  - Without a session the tunnel reaches only the authenticator (and ping) on the hub; see the
    role's README for the zones a session opens.
  - Every run spends a code and renews the session. It changes no configuration, so it reports
    no change.
seealso:
  - module: iotguard.hardening.totp_enroll
"""

EXAMPLES = r"""
- name: Open the engineer's management session (the code typed in)
  iotguard.hardening.vpn_session:
    pool: "{{ wireguard_pool }}"
    auth_port: "{{ wireguard_auth_port }}"
    code: "{{ totp_code }}"

- name: Open a pipeline's session (a TOTP engine prints the code)
  iotguard.hardening.vpn_session:
    pool: 10.66.0.0/24
    code_command: [vault, read, -field=code, totp/code/msp-pipeline]
"""

RETURN = r"""
url:
  description: The authenticator the code was posted to.
  returned: always
  type: str
  sample: http://10.66.0.1:8181/
interface:
  description:
    - The interface the route to the hub's tunnel address takes.
    - Null when the kernel has no route to it.
  returned: always
  type: str
  sample: wg0
opened:
  description: Whether a session was opened.
  returned: always
  type: bool
routed:
  description: Whether the route to the hub's tunnel address goes through the tunnel.
  returned: always
  type: bool
seconds:
  description: How long the session lasts, as the authenticator said.
  returned: when opened
  type: int
  sample: 3600
"""

import ipaddress

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.wireguard import session

NOT_UP = "this host's tunnel is not up (yet)"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            pool=dict(type="str"),
            hub_address=dict(type="str"),
            auth_port=dict(type="int", default=8181),
            code=dict(type="str", no_log=True),
            code_command=dict(type="list", elements="str"),
            command_timeout=dict(type="float", default=30.0),
            timeout=dict(type="float", default=10.0),
            vpn_interfaces=dict(type="list", elements="str", default=[]),
            only_when_routed=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("pool", "hub_address"), ("code", "code_command")],
        required_one_of=[("pool", "hub_address")],
        supports_check_mode=True,
    )
    p = module.params
    for field in ("timeout", "command_timeout"):
        if not 0 < p[field] <= 300:
            module.fail_json(msg="%s must be more than 0 and at most 300 seconds, not %s" % (field, p[field]))
    try:
        if p["pool"]:
            address = session.hub_address(p["pool"])
        else:
            try:
                address = str(ipaddress.ip_address(p["hub_address"]))
            except ValueError as exc:
                raise session.SessionError(
                    "hub_address: %r is not an IP address (the hub's tunnel address)"
                    % (p["hub_address"][:64],)
                ) from exc
        dev, through = session.routed(address, p["vpn_interfaces"])
        no_code = not p["code"] and not p["code_command"]
        if no_code or (p["only_when_routed"] and not through):
            # only where the route goes: a playbook asks for a code only when it is the tunnel,
            # and a run that starts before this host's tunnel exists opens nothing
            module.exit_json(
                changed=False,
                opened=False,
                routed=through,
                interface=dev,
                url=session.authenticator_url(address, p["auth_port"]),
                msg="%s: %s, no session opened"
                % (
                    "no code given" if no_code else "only when routed",
                    (
                        "the route to the hub's tunnel address %s leaves by %s (%s)"
                        % (address, dev, "the tunnel" if through else "not the tunnel: %s" % NOT_UP)
                        if dev
                        else "the kernel has no route to the hub's tunnel address %s (%s)" % (address, NOT_UP)
                    ),
                ),
            )
        if p["code_command"]:
            code = session.code_from_command(p["code_command"], p["command_timeout"])
        else:
            code = p["code"]
        result = session.open_session(
            address, p["auth_port"], code, timeout=p["timeout"], vpn_interfaces=p["vpn_interfaces"]
        )
    except session.SessionError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, routed=True, **result)


if __name__ == "__main__":
    main()
