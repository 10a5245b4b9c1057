#!/usr/bin/python
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# ruff: noqa: E402 - Ansible modules keep their documentation above the imports
from __future__ import annotations

DOCUMENTATION = r"""
module: risk_port_mappings
short_description: Read the port mappings a router exposes to the internet (UPnP IGD)
version_added: 0.1.0
description:
  - Fetches each router's UPnP IGD device description, finds its WAN connection service and
    walks C(GetGenericPortMappingEntry) until the router reports the end of its table.
  - The mappings feed O(iotguard.hardening.risk_assess#module:port_mappings), which raises
    C(IOTG-INTERNET-EXPOSED) on the device each mapping points at.
  - Read-only. Static port-forwards that the router does not publish over UPnP can be
    listed in O(static) (for example copied from the router's configuration).
author:
  - iotguard.hardening maintainers (@iotguard)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  urls:
    description:
      - UPnP device description URLs of the client's routers, as their SSDP answers name
        them (C(LOCATION); NETGEAR's is C(http://router:5000/Public_UPNP_gatedesc.xml)).
    type: list
    elements: str
    default: []
  routers:
    description:
      - Discovered routers, each with C(address) and C(services) (its C(iot_services)). The
        UPnP C(location) that discovery saw is read, but only when it points at the router's
        own address (device data is never trusted to send the probe elsewhere).
    type: list
    elements: dict
    default: []
  static:
    description:
      - Port-forwards known from the router's configuration, each with C(external_port),
        C(internal_client), C(internal_port) and optionally C(protocol), C(description).
    type: list
    elements: dict
    default: []
  timeout:
    description: Seconds to wait for each answer.
    type: float
    default: 5.0
  max_entries:
    description: Stop after this many mappings per router.
    type: int
    default: 256
"""

EXAMPLES = r"""
- name: Read the router's UPnP port mappings
  iotguard.hardening.risk_port_mappings:
    urls:
      - http://127.20.0.1:5000/Public_UPNP_gatedesc.xml
  run_once: true
  register: mappings
"""

RETURN = r"""
mappings:
  description: Every mapping found, with the router it came from.
  returned: always
  type: list
  elements: dict
  sample:
    - router: http://127.20.0.1:5000/Public_UPNP_gatedesc.xml
      external_port: 8554
      protocol: TCP
      internal_client: 127.20.1.10
      internal_port: 554
      enabled: true
      description: camera
      source: upnp
"""

import urllib.parse

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import probes


def main():
    module = AnsibleModule(
        argument_spec=dict(
            urls=dict(type="list", elements="str", default=[]),
            routers=dict(type="list", elements="dict", default=[]),
            static=dict(type="list", elements="dict", default=[]),
            timeout=dict(type="float", default=5.0),
            max_entries=dict(type="int", default=256),
        ),
        supports_check_mode=True,
    )
    out = []
    for i, m in enumerate(module.params["static"]):
        missing = [k for k in ("external_port", "internal_client", "internal_port") if m.get(k) in (None, "")]
        if missing:
            module.fail_json(
                msg="static[%d] lacks %s; give external_port, internal_client and internal_port"
                % (i, ", ".join(missing))
            )
        out.append(
            {
                "router": "static",
                "external_port": int(m["external_port"]),
                "protocol": str(m.get("protocol") or "TCP").upper(),
                "internal_client": str(m["internal_client"]),
                "internal_port": int(m["internal_port"]),
                "enabled": True,
                "description": str(m.get("description") or "static port-forward"),
                "source": "static",
            }
        )
    urls = [(u, True) for u in module.params["urls"]]
    for router in module.params["routers"]:
        for url in probes.upnp_locations(router.get("address"), router.get("services")):
            if (url, True) not in urls and (url, False) not in urls:
                urls.append((url, False))
    for url, configured in urls:
        try:
            found = probes.upnp_port_mappings(url, module.params["timeout"], module.params["max_entries"])
        except probes.ProbeError as exc:
            if configured:
                module.fail_json(
                    msg="router %s: %s; check the URL (urls) or remove it" % (url, exc), mappings=out
                )
            if not isinstance(exc, probes.NotGateway):  # a speaker or camera is no gateway: nothing to say
                module.warn(
                    "UPnP gateway %s could not be read: %s; its mappings are not in the report" % (url, exc)
                )
            continue
        for m in found:
            m.update(router=url, router_address=urllib.parse.urlsplit(url).hostname, source="upnp")
            out.append(m)
    module.exit_json(changed=False, mappings=out)


if __name__ == "__main__":
    main()
