# SPDX-License-Identifier: GPL-3.0-or-later
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Copyright: iotguard.hardening contributors
# ruff: noqa: E402 - Ansible plugins keep their documentation above the imports

from __future__ import annotations

DOCUMENTATION = r"""
name: iot_discovery
short_description: Find the IoT devices on a client's networks and say what each one is
version_added: 0.1.0
description:
  - Reads addresses from CIDRs and address lists, nmap XML files, DHCP lease files (ISC dhcpd
    and dnsmasq) and the MAC/ARP tables of managed switches (netmiko with ntc-templates, which
    gives each device's switch and port).
  - Probes every address asynchronously and within bounds (O(concurrency), O(host_rate), timeouts).
    TCP connect on the IoT port set with banner grabs (SSH, telnet, FTP, HTTP(S) server, title,
    realm and certificate, RTSP, MQTT, PJL on 9100, SIP, SMB negotiate with an anonymous session
    for the OS, DICOM association and C-ECHO) and UDP sweeps (SNMP v2c sysDescr with the
    configured communities, SSDP M-SEARCH with the UPnP description from the same address,
    mDNS service enumeration, SIP OPTIONS, BACnet Who-Is), all sent unicast to the address.
  - Matches what the devices sent against the fingerprint database
    (C(plugins/module_utils/discovery/fingerprints.py), data, not code) and the IEEE OUI
    registry of Debian's C(ieee-data) package, and sets the host variables below.
  - Everything a device sends is hostile. It is decoded, stripped of control characters,
    bounded in size and marked unsafe, so it is never templated.
  - Safe by default. Discovery never tries a credential unless O(try_default_credentials) is
    true, and then at most O(max_credential_attempts) candidates per device, always fewer than
    that product's known lockout threshold.
  - "Host variables (the risk-assessment and rotation roles build on exactly these names):"
  - "C(iot_class): device class: camera, nvr, printer, thermostat, building_controller,
    voip_phone, smart_speaker, medical, network_switch, router, workstation or unknown."
  - "C(iot_vendor), C(iot_model): vendor and model family (exact model when a banner names it);
    vendor falls back to the MAC OUI's registrant, then C(unknown)."
  - "C(iot_fingerprint_id): id of the matched fingerprint (null when none matched). Factory
    default passwords are never host variables: look them up by this id with
    C(iotguard.hardening.iot_fingerprint) or the rotation role."
  - "C(iot_confidence): 0.0-0.99, from the weight of the evidence that matched."
  - "C(iot_open_ports): open TCP ports (list of int)."
  - "C(iot_services): per C(port/tcp) or C(port/udp) what the device said, as seen: C(protocol)
    and, as present, C(banner), C(server), C(title), C(realm), C(status), C(auth), C(location),
    C(tls_subject), C(tls_issuer), C(connack), C(anonymous) (MQTT without credentials accepted),
    C(id) (PJL), C(agent) (SIP), C(os), C(lanman), C(dialect) (SMB), C(association),
    C(impl_class), C(impl_version), C(echo_status) (DICOM), C(sysdescr), C(sysobjectid),
    C(sysname), C(community) (SNMP; a configured community is shown as its index, never its
    value), C(manufacturer), C(modelname), C(friendlyname) (UPnP), C(service_types),
    C(instances), C(txt), C(hostname) (mDNS), C(vendor_id) (BACnet), C(error)."
  - "C(iot_mac), C(iot_switch), C(iot_switch_port), C(iot_vlan): layer-2 location (from DHCP,
    nmap or switch tables; null when unknown)."
  - "C(iot_os): operating system family; C(iot_eol): null, or C(date) and C(reason) when the
    product gets no more security fixes (e.g. Windows XP)."
  - "C(iot_mgmt_protocols): the management protocols found listening on the device (list,
    evidence); C(iot_mgmt_protocols_product): what the product data says (fallback only);
    C(iot_driver): the device driver name the rotation/lockout roles use (null when none)."
  - "C(iot_default_credentials): candidate factory-default USERNAMES only (list)."
  - "C(iot_default_credential_valid): null when not tried; true/false after
    O(try_default_credentials); C(iot_default_credential_username) the user that worked."
  - "C(iot_lockout): the product's factory lockout, labelled C(source=product data (fallback)):
    C(supported) (true/false/null unknown), C(threshold) (failed logins before lockout, null
    unknown), C(note). What the device reports after a login is kept in the login ledger
    and beats it."
  - "C(iot_evidence): for each conclusion which probe and field said so: list of
    C(conclusion), C(field), C(value), C(source), C(weight)."
  - "C(iot_site): O(site); C(iot_sources): which sources listed the host; C(iot_hostname):
    host name from DHCP/mDNS/nmap (cleaned)."
  - "C(ansible_host): the address; for switches and routers also C(ansible_network_os)
    and C(ansible_connection=ansible.netcommon.network_cli)."
  - "C(iot_scan_status): C(complete), or C(partial) when O(host_timeout) cut the host's probes
    short (its C(iot_services) then hold what answered in time) or when an open port of a known
    protocol (HTTP, RTSP, SSH...) sent nothing back within O(read_timeout) (C(iot_scan_error) names
    the ports; the host's class then rests on its ports alone)."
  - UDP probes go to IPv4 addresses; IPv6 addresses get the TCP probes.
  - "Nothing is dropped silently. An address whose probes were cut short while nothing had
    been found on it is a host of group C(iot_not_scanned) (C(iot_scan_status=not_scanned),
    C(iot_scan_error)), not of C(iot). The group C(all) gets C(iot_discovery_summary):
    C(complete) (false when anything was cut short), C(addresses), C(addresses_done),
    C(hosts_found), C(hosts_absent) (every probe answered, nothing there),
    C(hosts_deadline), C(hosts_not_scanned), C(ports_not_probed), C(probes_refused_fd)
    (probe starts refused for lack of file descriptors or local ports, then retried),
    C(udp_unsent), C(open_ports_silent) (open ports that sent nothing back within
    O(read_timeout)), C(hosts_unanswered) (hosts with such a port of a known protocol; they make
    the scan incomplete), C(concurrency), C(elapsed). The same summary is in the cache entry, and
    an incomplete scan is a warning that says what was cut and what to change."
  - "Groups: C(iot) (every device), C(class_<class>), C(vendor_<vendor>) (lower case,
    non-alphanumerics as C(_)) and C(site_<site>); plus O(groups), O(keyed_groups) and
    O(compose)."
author:
  - iotguard.hardening contributors (@iotguard)
requirements:
  - Debian package C(ieee-data) for MAC vendor lookup (a warning when missing).
  - netmiko and ntc-templates for O(switches).
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks this as an C(iotguard.hardening.iot_discovery) source.
    required: true
    type: str
    choices: [iotguard.hardening.iot_discovery]
  site:
    description: Client site name, set as C(iot_site) and used for the C(site_<site>) group.
    type: str
    default: default
  host_naming:
    description:
      - C(identity) names each host by what identifies the device (the host name, SNMP
        sysName or serial the device reports, made safe; else C(mac-<mac>); else its
        address), with C(ansible_host) the address. Names several devices claim are made
        unique with each one's MAC, so a device never takes another's name.
      - C(address) names hosts by their address, as before.
      - Credential records follow the device by MAC/serial whichever naming is used.
    type: str
    choices: [identity, address]
    default: identity
  networks:
    description:
      - Addresses and CIDRs to scan (IPv4 or IPv6). Addresses in a range that answer no
        probe are left out of the inventory.
    type: list
    elements: str
    default: []
  exclude:
    description: Addresses and CIDRs never probed, whatever the source.
    type: list
    elements: str
    default: []
  max_hosts:
    description: Refuse O(networks) holding more addresses than this (protects from a typo like /8).
    type: int
    default: 65536
  nmap_xml:
    description:
      - nmap C(-oX) files. Hosts up in them are added (with MAC, host name and nmap's service
        guesses as evidence) and probed like the others when O(probe) is true.
    type: list
    elements: path
    default: []
  dhcp_leases:
    description:
      - DHCP lease files; each item is a path or a mapping with C(path) and C(format)
        (C(auto), C(isc) for dhcpd.leases, C(dnsmasq)). Active leases add address, MAC and host name.
    type: list
    elements: raw
    default: []
  switches:
    description:
      - Managed switches whose MAC address table and ARP table are read with netmiko
        (C(use_textfsm)), giving each device's switch and port. A switch that cannot be
        reached is a warning; the rest of the inventory stands.
      - "Each item: C(host), C(device_type) (cisco_ios, cisco_nxos, hp_procurve), C(username),
        C(password), C(port), C(name), C(uplink_ports) (ports never taken
        as a device's port)."
      - The password is never logged; use a vaulted variable, an environment lookup or the
        credential store (C(lookup('iotguard.hardening.credential', HOST, user=USER,
        store_path=inventory_dir)); C(inventory_dir) is this inventory's directory here).
    type: list
    elements: dict
    default: []
  neighbour_table:
    description:
      - The controller's own neighbour table (Linux C(/proc/net/arp)). When the controller
        shares a segment with the devices, its complete entries give addresses to switch MAC
        rows that no DHCP lease, nmap XML or switch ARP table names. Empty string to not read it.
      - "Switch MAC rows are joined to addresses from DHCP leases and nmap XML first, then from
        every switch's ARP table (C(show ip arp), C(show arp)), then from this table; a switch
        whose rows cannot all be joined is a warning that counts them and names the source
        that would fix them."
    type: str
    default: /proc/net/arp
  source_timeout:
    description: Seconds for one switch session (connect, login, each command).
    type: float
    default: 30
  probe:
    description: Probe the addresses. False lists what the sources say, without sending a packet.
    type: bool
    default: true
  ports:
    description: TCP ports to connect to.
    type: list
    elements: int
    default: [21, 22, 23, 80, 104, 443, 445, 554, 631, 1400, 1883, 2323, 5000, 5060,
              8000, 8008, 8080, 8443, 9100, 11112]
  port_protocols:
    description:
      - "Probe to run on a port not in the built-in map (or to override it), e.g. C({8081: http}).
        Probes are ftp, ssh, telnet, http, https, rtsp, mqtt, jetdirect, sip, smb, dicom, generic, none."
    type: dict
    default: {}
  udp_probes:
    description: UDP probes to send (one datagram per host and probe; SNMP one per community).
    type: list
    elements: str
    choices: [snmp, ssdp, mdns, sip, bacnet]
    default: [snmp, ssdp, mdns, sip, bacnet]
  snmp_communities:
    description: SNMP v2c communities tried (all at once); the one that answered is reported by index only.
    type: list
    elements: str
    default: [public]
  concurrency:
    description:
      - Most TCP sockets open at once across all hosts. Hosts are admitted as sockets free up,
        so a long range never makes a host wait mid-scan.
      - Unset, it is derived from the soft open-file limit (C(ulimit -n)) less what the
        controller and the UDP probes need, at most 1024. A value above what the limit allows
        makes probes wait for descriptors (they are retried, and counted in the scan summary).
    type: int
  raise_nofile:
    description:
      - Raise this process's soft open-file limit up to the hard limit before scanning (what
        large ranges need where the soft limit is 1024). The scan summary records the change.
    type: bool
    default: false
  progress_interval:
    description:
      - Seconds between progress lines (addresses done, hosts found, hosts cut short) on
        stderr while scanning, shown at verbosity C(-v) and above; 0 shows none. They never mix
        into C(ansible-inventory --list) output.
    type: float
    default: 10
  host_rate:
    description: Most new TCP connections per second to one host (0 for no limit).
    type: float
    default: 100
  connect_timeout:
    description: Seconds to wait for a TCP connection.
    type: float
    default: 1.0
  read_timeout:
    description: Seconds to wait for a banner or reply on an open port.
    type: float
    default: 2.0
  udp_timeout:
    description: Seconds to wait for UDP replies after the last datagram is sent.
    type: float
    default: 1.0
  host_timeout:
    description:
      - Seconds for all TCP probes of one host, counted from when the host starts (not from
        when the scan starts). A host over it is reported with what was found and
        C(iot_scan_status=partial); one that had no answer yet is C(not_scanned) (group
        C(iot_not_scanned)), never left out.
    type: float
    default: 15
  oui_file:
    description:
      - IEEE OUI registry (C(oui.csv) or C(oui.txt)). Unset, the C(ieee-data) package's files are
        used, and their absence is a warning (vendors then come from banners only).
    type: path
  try_default_credentials:
    description:
      - Try the matched product's factory-default credentials on its web interface (HTTP
        Basic or Digest). Off by default. Never more than O(max_credential_attempts) per
        device and always fewer than the product's known lockout threshold; products whose
        lockout behaviour is unknown get one attempt at most.
    type: bool
    default: false
  max_credential_attempts:
    description: Most credential attempts per device when O(try_default_credentials) is true.
    type: int
    default: 1
"""

EXAMPLES = r"""
# clinic.iot_discovery.yml: scan a CIDR (source: networks, with excludes)
plugin: iotguard.hardening.iot_discovery
site: clinic
networks:
  - 192.0.2.0/24
exclude:
  - 192.0.2.1
snmp_communities: [public, private]

---
# from an nmap scan someone already ran (source: nmap_xml)
plugin: iotguard.hardening.iot_discovery
site: clinic
nmap_xml:
  - scans/clinic-2026-05-01.xml

---
# from the DHCP server's leases (source: dhcp_leases)
plugin: iotguard.hardening.iot_discovery
site: clinic
dhcp_leases:
  - path: /var/lib/dhcp/dhcpd.leases
    format: isc
  - path: /var/lib/misc/dnsmasq.leases
    format: dnsmasq

---
# from the access switches: which device is on which port (source: switches)
plugin: iotguard.hardening.iot_discovery
site: clinic
switches:
  - host: 192.0.2.2
    name: sw-core
    device_type: cisco_ios
    username: netops
    password: "{{ lookup('ansible.builtin.env', 'CLINIC_SWITCH_PASSWORD') }}"
    uplink_ports: [Gi0/48]

---
# cached for an hour, extra groups from the facts
plugin: iotguard.hardening.iot_discovery
site: clinic
networks: [192.0.2.0/24]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: .cache/iot_discovery
cache_timeout: 3600
keyed_groups:
  - key: iot_lockout.supported | string
    prefix: lockout
groups:
  eol: iot_eol is not none
  default_creds_known: iot_default_credentials | length > 0
"""

import os
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import default_ledger_path
from ansible_collections.iotguard.hardening.plugins.module_utils.access.identity import inventory_names
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import engine
from ansible_collections.iotguard.hardening.plugins.module_utils.discovery.errors import DiscoveryError

display = Display()

_OPTION_NAMES = (
    "networks",
    "exclude",
    "max_hosts",
    "nmap_xml",
    "dhcp_leases",
    "switches",
    "neighbour_table",
    "source_timeout",
    "probe",
    "ports",
    "port_protocols",
    "udp_probes",
    "snmp_communities",
    "concurrency",
    "host_rate",
    "connect_timeout",
    "read_timeout",
    "udp_timeout",
    "host_timeout",
    "raise_nofile",
    "progress_interval",
    "try_default_credentials",
    "max_credential_attempts",
)
_NETWORK_OS = {"network_switch", "router"}


def _slug(value):
    return re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_") or "unknown"


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "iotguard.hardening.iot_discovery"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("iot_discovery.yml", "iot_discovery.yaml"))

    def _discovery_options(self):
        return {name: self.get_option(name) for name in _OPTION_NAMES}

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        unknown = sorted(set(config) - set(self._options))
        if unknown:
            raise AnsibleParserError(
                "iot_discovery %s: unknown option(s) %s; valid options are listed by "
                "ansible-doc -t inventory iotguard.hardening.iot_discovery"
                % (path, ", ".join(repr(u) for u in unknown))
            )
        options = self._discovery_options()
        if options["switches"]:
            # switch credentials may be vaulted variables or lookups; inventory_dir is this
            # inventory's directory (the credential store's, as in plays)
            templar = self.templar.copy_with_new_env(
                available_variables={"inventory_dir": os.path.dirname(os.path.abspath(path))}
            )
            options["switches"] = templar.template(options["switches"])

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        results = None
        if use_cache:
            try:
                results = self._cache[cache_key]
            except KeyError:
                update_cache = True
            if results is not None and results.get("version") != engine.RESULT_VERSION:
                results, update_cache = None, True
        if results is None:
            try:
                results = engine.discover(options, self._progress)
            except DiscoveryError as exc:
                raise AnsibleParserError("iot_discovery %s: %s" % (path, to_native(exc))) from None
            if options["try_default_credentials"]:
                # the login ledger beside the inventory: the budget assessment and rotation share
                options["login_ledger"] = default_ledger_path(os.path.dirname(os.path.abspath(path)))
                self._try_credentials(results, options)
        if update_cache:
            self._cache[cache_key] = results
        for w in results.get("warnings", []):
            display.warning("iot_discovery: %s" % w)
        cut = engine.summary_warning(
            results.get("summary") or {}, options["host_timeout"], options.get("read_timeout")
        )
        if cut:
            display.warning("iot_discovery %s: %s" % (path, cut))
        self._populate(results)

    @staticmethod
    def _progress(summary):
        if display.verbosity < 1:
            return
        display.display(
            "iot_discovery: %d/%d addresses done, %d host(s) found, %d cut short (%.0fs)"
            % (
                summary["addresses_done"],
                summary["addresses"],
                summary["hosts_found"],
                summary["hosts_deadline"],
                summary["elapsed"],
            ),
            stderr=True,
        )

    def _try_credentials(self, results, options):
        from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import credcheck

        oui_table, _warn = engine.load_oui(self.get_option("oui_file"))
        credcheck.check_all(results, oui_table, options)

    def _populate(self, results):
        try:
            oui_table, warning = engine.load_oui(self.get_option("oui_file"))
        except DiscoveryError as exc:
            raise AnsibleParserError("iot_discovery: %s" % to_native(exc)) from None
        if warning:
            display.warning("iot_discovery: %s" % warning)
        site = self.get_option("site")
        strict = self.get_option("strict")
        compose, groups = self.get_option("compose"), self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        # a host's variables are merged and templated only when something uses them
        constructed = bool(compose or groups or keyed_groups)
        self.inventory.add_group("iot")
        site_group = self.inventory.add_group("site_%s" % _slug(site))
        self._populate_scan_summary(results, site)
        rows = [
            (address, engine.facts(entry, oui_table, site))
            for address, entry in sorted(results.get("hosts", {}).items())
        ]
        names = inventory_names(rows, self.get_option("host_naming"))
        for address, facts in rows:
            entry = results["hosts"][address]
            facts.update(
                {
                    k: v
                    for k, v in (entry.get("credentials") or {}).items()
                    if k.startswith("iot_default_credential")
                }
            )
            facts.setdefault("iot_default_credential_valid", None)
            facts.setdefault("iot_default_credential_username", None)
            facts["iot_scan_status"] = (entry.get("scan") or {}).get("status") or "complete"
            host = self.inventory.add_host(names[address], group="iot")
            self.inventory.add_child(site_group, host)
            self.inventory.set_variable(host, "ansible_host", address)
            network_os = facts.pop("iot_network_os", None)
            if facts["iot_class"] in _NETWORK_OS and network_os:
                self.inventory.set_variable(host, "ansible_network_os", network_os)
                self.inventory.set_variable(host, "ansible_connection", "ansible.netcommon.network_cli")
            for key, value in facts.items():
                # device data: never a template
                self.inventory.set_variable(host, key, wrap_var(value))
            self.inventory.add_child(self.inventory.add_group("class_%s" % facts["iot_class"]), host)
            self.inventory.add_child(self.inventory.add_group("vendor_%s" % _slug(facts["iot_vendor"])), host)
            if constructed:
                hostvars = self.inventory.get_host(host).get_vars()
                self._set_composite_vars(compose, hostvars, host, strict=strict)
                self._add_host_to_composed_groups(groups, hostvars, host, strict=strict)
                self._add_host_to_keyed_groups(keyed_groups, hostvars, host, strict=strict)

    def _populate_scan_summary(self, results, site):
        """The summary on ``all``; addresses cut short before any answer in ``iot_not_scanned``."""
        summary = results.get("summary")
        if summary is not None:
            self.inventory.set_variable("all", "iot_discovery_summary", summary)
        not_scanned = results.get("not_scanned") or {}
        if not not_scanned:
            return
        group = self.inventory.add_group("iot_not_scanned")
        for address, entry in sorted(not_scanned.items()):
            scan = entry.get("scan") or {}
            host = self.inventory.add_host(address, group=group)
            self.inventory.set_variable(host, "ansible_host", address)
            self.inventory.set_variable(host, "iot_site", site)
            self.inventory.set_variable(host, "iot_scan_status", scan.get("status") or "not_scanned")
            self.inventory.set_variable(host, "iot_scan_error", wrap_var(scan.get("error")))
            self.inventory.set_variable(
                host, "iot_sources", list((entry.get("target") or {}).get("sources") or [])
            )
