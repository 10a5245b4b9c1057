# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Assess one device: reachability, the active probes, then the catalogue's checks.

``assess_device()`` returns a plain dict (what the module returns): the device summary,
the findings, ``assessed`` (False when the device could not be reached: its risk is then
unknown, never zero) and the probe notes. Passwords never enter the result.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import checks, probes
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device

PROBES = ("credentials", "mqtt", "snmp", "rtsp", "management")
MGMT_TCP = ("telnet", "ssh", "http", "https", "ftp", "rdp", "vnc", "winrm")
MAX_REACH_PORTS = 8

#: products whose lockout exists but is off at factory settings: while the factory default
#: credential still works the device is at factory settings, so lockout is off too
LOCKOUT_OFF_AT_FACTORY = ("hp.printer",)


class Options:
    def __init__(
        self,
        probes=PROBES,
        credentials=None,
        max_login_attempts=3,
        timeout=3.0,
        snmp_community="public",
        snmp_probe_all=False,
        rtsp_paths=("/",),
    ):
        unknown = sorted(set(probes) - set(PROBES))
        if unknown:
            raise ValueError("probes: %s unknown; use any of %s" % (", ".join(unknown), ", ".join(PROBES)))
        if max_login_attempts < 0:
            raise ValueError("max_login_attempts=%r must be 0 or more" % max_login_attempts)
        if not 0 < float(timeout) <= 60:
            raise ValueError("timeout=%r must be between 0 and 60 seconds" % timeout)
        self.probes = set(probes)
        self.credentials = list(credentials or [])
        self.max_login_attempts = int(max_login_attempts)
        self.timeout = float(timeout)
        self.snmp_community = snmp_community
        self.snmp_probe_all = bool(snmp_probe_all)
        self.rtsp_paths = list(rtsp_paths) or ["/"]


def _http_auth_port(device):
    """The port of a web interface that asked discovery for HTTP Basic/Digest credentials."""
    for svc in sorted(device.services.values(), key=lambda x: x.port):
        auth = str(svc.extra.get("auth") or "").lower()
        if svc.name in ("http", "https") and auth in ("basic", "digest"):
            return svc.port, svc.name == "https"
    return None, False


def _default_driver_factory(hostvars, device=None):
    """``(name, factory)``: the device's driver from the registry; for a product without one
    whose web interface asks for HTTP Basic/Digest, a plain authenticated GET of ``/``."""
    from ansible_collections.iotguard.hardening.plugins.module_utils import drivers

    name = drivers.driver_name_for(hostvars)
    if name and drivers.ALIASES.get(name, name) in drivers.DRIVERS:
        return name, (lambda host, timeout: drivers.get_driver(name, host, timeout=timeout))
    port, tls = _http_auth_port(device) if device is not None else (None, False)
    if port:
        from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.cameras import HttpApiDriver

        return "http_auth", (
            lambda host, timeout: HttpApiDriver(host, port=port, timeout=timeout, use_tls=tls)
        )
    return name, None


#: shell drivers, and the ``service`` their credentials carry in the product data
SHELL_SERVICES = {"telnet_busybox": "telnet", "ssh_shell": "ssh"}


def _candidates(device, opts, driver_name=None):
    """Who to try, in order: the product's own defaults first (with a budget of one attempt
    they are the best guess), then the credentials the engineer supplied, then common IoT
    defaults guessed for a product that documents none. When the login
    goes through a shell driver standing in for the product's own API, the defaults that
    belong to that shell (the Mirai telnet pairs) come first: the others are for another
    interface and would only spend the lockout budget."""
    seen, out = set(), []
    supplied = [dict(c, source="supplied") for c in opts.credentials]
    # what the engineer knows of this device comes before guesses of common IoT defaults
    # (with an unknown lockout the budget is one attempt: a guess would spend it)
    documented = [c for c in device.default_credentials if c.get("documented", True)]
    guesses = [c for c in device.default_credentials if not c.get("documented", True)]
    for cred in documented + supplied + guesses:
        pair = (cred.get("username"), cred.get("password"))
        if pair[0] is None or pair in seen:
            continue
        seen.add(pair)
        out.append(
            {
                "username": pair[0],
                "password": pair[1] or "",
                "source": cred.get("source") or "vendor default",
                "service": cred.get("service"),
                "documented": cred.get("documented", True),
            }
        )
    shell = SHELL_SERVICES.get(driver_name)
    if shell:
        out.sort(key=lambda c: c["service"] != shell)  # stable: the order within each part stays
    return out


def probe_credentials(device, opts, hostvars, driver_factory, notes):
    name, factory = driver_factory(hostvars, device)
    candidates = _candidates(device, opts, name)
    if not candidates:
        notes.append("credentials: no known default or supplied credential for this device; not tried")
        return None
    if factory is None:
        notes.append(
            "credentials: no driver %r in this collection for the device; defaults not tried" % (name,)
        )
        return None
    budget = probes.attempt_budget(device.lockout, device.lockout_threshold, opts.max_login_attempts)
    if budget == 0:
        notes.append("credentials: lockout threshold leaves no safe attempt; not tried")
        return None
    driver = factory(device.address, opts.timeout)
    try:
        res = probes.try_credentials(driver.login, candidates, budget)
        index = res.pop("index", None)
        res["protocol"] = name
        # refusals of common guesses prove nothing about the product's real default
        res["guessed_only"] = not any(c["documented"] for c in candidates)
        if index is not None:
            _read_lockout(device, driver, candidates[index], res, notes)
            if not device.fingerprint_id:
                _identify(driver, candidates[index], res, notes)
    except Exception as exc:  # noqa: BLE001 - any driver failure is a note on this device, not a crash
        notes.append("credentials: %s" % hostile.text(exc, 200))
        return None
    finally:
        try:
            driver.close()
        except Exception:  # noqa: BLE001, S110 - closing a half-open session must not hide the result
            pass
    if res["skipped"]:
        notes.append(
            "credentials: %d candidate(s) not tried to stay below the lockout threshold" % res["skipped"]
        )
    return res


def _read_lockout(device, driver, cred, res, notes):
    """After a login worked: whether failed logins lock the account, as the device tells
    (with that credential), or as the product's factory state implies."""
    if cred["source"] != "supplied" and device.fingerprint_id in LOCKOUT_OFF_AT_FACTORY:
        res["lockout_enabled"] = False
        res["lockout_evidence"] = "lockout is off at factory settings, and the factory password still works"
        return
    try:
        read = driver.read_lockout(cred["username"], cred["password"])
    except Exception as exc:  # noqa: BLE001 - reading the setting is a bonus; the login result stands
        notes.append("lockout: could not read the setting: %s" % hostile.text(exc, 200))
        return
    if read is not None:
        res["lockout_enabled"] = bool(read[0])
        res["lockout_evidence"] = hostile.text(read[1], 200)


def _identify(driver, cred, res, notes):
    """A device discovery could not name says what it is once logged in (a generic Linux or
    BusyBox box: ``/etc/os-release``, ``busybox``, ``uname``)."""
    try:
        facts = driver.identify(cred["username"], cred["password"])
    except Exception as exc:  # noqa: BLE001 - identity is a bonus; the login result stands
        notes.append("identity: could not ask the device: %s" % hostile.text(exc, 200))
        return
    if facts:
        res["identity"] = hostile.tree(dict(facts), limit=80, max_items=8)


def _apply_identity(summary, identity):
    """The device's own words fill what discovery left unknown, marked as such."""
    summary["shell_identity"] = dict(identity, source="the device, once logged in")
    if not summary.get("os"):
        summary["os"] = identity.get("os")
    if summary.get("vendor") in (None, "", "unknown"):
        summary["vendor"] = "Linux"
        summary["model"] = summary.get("model") or identity.get("os")


def assess_device(name, hostvars, opts=None, ctx=None, driver_factory=None):
    opts = opts or Options()
    ctx = ctx or {}
    device = Device(name, hostvars)
    notes, obs = [], {}
    result = {
        "device": device.summary(),
        "findings": [],
        "assessed": True,
        "errors": [],
        "notes": notes,
        "observations": obs,
    }

    tcp = [s for s in device.services.values() if s.proto == "tcp"][:MAX_REACH_PORTS]
    answered = [s for s in tcp if probes.tcp_open(device.address, s.port, opts.timeout)]
    if tcp and not answered:
        result["assessed"] = False
        result["errors"].append(
            "unreachable: no port of %s answered within %.0fs (tried %s); check that the device is on and "
            "routable from the controller, or remove it from the inventory"
            % (device.address, opts.timeout, ", ".join("tcp/%d" % s.port for s in tcp))
        )
        return result
    obs["answered"] = ["tcp/%d" % s.port for s in answered]

    if "management" in opts.probes:
        upnp_ports = device.upnp_ports()
        obs["management_reachable"] = [
            "%s tcp/%d" % (s.name, s.port)
            for s in answered
            if s.name in MGMT_TCP and s.port not in upnp_ports
        ]
    if "credentials" in opts.probes:
        res = probe_credentials(device, opts, hostvars, driver_factory or _default_driver_factory, notes)
        if res is not None:
            if "lockout_enabled" in res:
                obs["lockout_enabled"] = res.pop("lockout_enabled")
                obs["lockout_evidence"] = res.pop("lockout_evidence")
            if "identity" in res:
                _apply_identity(result["device"], res.pop("identity"))
            obs["credentials"] = res
    if "mqtt" in opts.probes:
        for s in answered:
            if s.name == "mqtt":
                try:
                    obs.setdefault("mqtt", {})[s.port] = probes.mqtt_connect(
                        device.address, s.port, opts.timeout
                    )
                except probes.ProbeError as exc:
                    notes.append("mqtt tcp/%d: %s" % (s.port, exc))
    if "rtsp" in opts.probes:
        for s in answered:
            if s.name != "rtsp":
                continue
            for path in opts.rtsp_paths:
                try:
                    r = probes.rtsp_describe(device.address, s.port, path, opts.timeout)
                except probes.ProbeError as exc:
                    notes.append("rtsp tcp/%d: %s" % (s.port, exc))
                    break
                r["path"] = path
                obs.setdefault("rtsp", {})[s.port] = r
                if r["status"] == 200:
                    break
    if "snmp" in opts.probes and (opts.snmp_probe_all or device.has("snmp")):
        port = next((s.port for s in device.services.values() if s.name == "snmp"), 161)
        r = probes.snmp_get(device.address, opts.snmp_community, port, timeout=opts.timeout)
        r["port"] = port
        obs["snmp"] = r
    result["findings"] = checks.evaluate(device, obs, ctx)
    result["unknown"] = checks.unknown_rules(device, obs, ctx)
    return result
