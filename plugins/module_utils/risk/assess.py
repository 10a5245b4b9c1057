# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""Assess one device: reachability, the active probes, then the catalogue's checks.

``assess_device()`` returns a plain dict (what the module returns): the device summary,
the findings, ``assessed`` (False when the device could not be reached: its risk is then
unknown, never zero) and the probe notes. Passwords never enter the result.
"""

from __future__ import annotations

from ansible_collections.iotguard.hardening.plugins.module_utils import hostile
from ansible_collections.iotguard.hardening.plugins.module_utils.access.budget import Ledger
from ansible_collections.iotguard.hardening.plugins.module_utils.access.resolver import resolve
from ansible_collections.iotguard.hardening.plugins.module_utils.risk import (
    catalogue,
    checks,
    probes,
    vantage,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.risk.device import Device, Service

PROBES = ("credentials", "mqtt", "snmp", "rtsp", "management")
MGMT_TCP = ("telnet", "ssh", "http", "https", "ftp", "rdp", "vnc", "winrm")
MAX_REACH_PORTS = 8
#: services whose findings come from their port being open (cleartext management, web
#: without TLS, SMBv1, DICOM): probed first, so a port closed since discovery is seen closed
RECHECKED_SERVICES = ("telnet", "ftp", "http", "smb", "dicom")

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
        snmp_communities=(),
        rtsp_paths=("/",),
        ledger=None,
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
        self.snmp_communities = list(snmp_communities or ())
        self.snmp_probe_all = bool(snmp_probe_all)
        self.rtsp_paths = list(rtsp_paths) or ["/"]
        # the login ledger shared with discovery and rotation (a path, a Ledger, or None: in memory)
        self.ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)


def _http_auth_port(device):
    """The port of a web interface that asked discovery for HTTP Basic/Digest credentials."""
    for svc in sorted(device.services.values(), key=lambda x: x.port):
        auth = str(svc.extra.get("auth") or "").lower()
        if svc.name in ("http", "https") and auth in ("basic", "digest"):
            return svc.port, svc.name == "https"
    return None, False


def _access_driver_factory(access):
    """``driver_factory`` over the device access resolver: the device's driver from the
    registry; for a product without one whose web interface asks for HTTP Basic/Digest, a
    plain authenticated GET of ``/``."""

    def factory(hostvars, device=None):
        from ansible_collections.iotguard.hardening.plugins.module_utils import drivers

        name = access.driver_name
        if name and drivers.ALIASES.get(name, name) in drivers.DRIVERS:
            return name, (lambda host, timeout: access.driver(None, timeout))
        port, tls = _http_auth_port(device) if device is not None else (None, False)
        if port:
            from ansible_collections.iotguard.hardening.plugins.module_utils.drivers.cameras import (
                HttpApiDriver,
            )

            return "http_auth", (
                lambda host, timeout: HttpApiDriver(host, port=port, timeout=timeout, use_tls=tls)
            )
        return name, None

    return factory


#: shell drivers, and the ``service`` their credentials carry in the product data
SHELL_SERVICES = {"telnet_busybox": "telnet", "ssh_shell": "ssh"}


def _known_factory(access, notes):
    """Factory credentials known for this one device: named in its host vars
    (``iot_default_credentials`` with passwords, e.g. an installer's), or learned by the store
    (engineer-named accounts, common defaults an earlier assessment proved accepted)."""
    try:
        return [
            c
            for c in access.factory_credentials()
            if c.get("named") or c.get("source") == "known for this device (store)"
        ]
    except Exception as exc:  # noqa: BLE001 - a store we cannot read means the product data only
        notes.append("credentials: the credential store could not be read (%s)" % hostile.text(exc, 200))
        return []


def _candidates(device, opts, driver_name=None, known=()):
    """Who to try, in order: what is known of this one device first (named in its host vars,
    which then replace the product data and the guesses, or learned by the store), then the
    product's own defaults (with a budget of one attempt
    they are the best guess), then the credentials the engineer supplied, then common IoT
    defaults guessed for a product that documents none. When the login
    goes through a shell driver standing in for the product's own API, the defaults that
    belong to that shell (the Mirai telnet pairs) come first: the others are for another
    interface and would only spend the lockout budget."""
    seen, out = set(), []
    supplied = [dict(c, source="supplied") for c in opts.credentials]
    known_pairs = {(c.get("username"), c.get("password")) for c in known}
    # what the engineer or an earlier run knows of this device comes before guesses of common
    # IoT defaults (with an unknown lockout the budget is one attempt: a guess would spend it)
    documented = [
        c
        for c in device.default_credentials
        if c.get("documented", True) or (c.get("username"), c.get("password")) in known_pairs
    ]
    guesses = [c for c in device.default_credentials if c not in documented]
    if any(c.get("named") for c in known):
        # the host vars describe this device's accounts: the product data's and the common
        # guesses would each spend a failed login of its budget for nothing (as in rotation)
        documented, guesses = [], []
    for cred in list(known) + documented + supplied + guesses:
        pair = (cred.get("username"), cred.get("password"))
        if pair[0] is None or pair in seen:
            continue
        if pair in known_pairs:
            # a common guess this device was seen to accept is known for it, not a guess
            cred = dict(cred, documented=True)
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


def unclaimed_account(driver, notes):
    """The account of a device that has no password yet (un-activated, no initial admin),
    as the device itself says without credentials; None when it has one or cannot tell."""
    asker = getattr(driver, "unclaimed", None)
    account = getattr(driver, "initial_account", None)
    if asker is None or not account:
        return None
    try:
        return account if asker(account) else None
    except Exception as exc:  # noqa: BLE001 - the question is a bonus; the usual checks follow
        notes.append(
            "credentials: could not ask whether the device has a password yet: %s" % hostile.text(exc, 200)
        )
        return None


def open_interface(driver, notes):
    """What the device answered without any credential when its management API needs none
    (a thermostat's Local API with authentication off), as the driver words it; None when
    it asks for credentials or the driver cannot tell."""
    asker = getattr(driver, "unauthenticated", None)
    if asker is None:
        return None
    try:
        said = asker()
    except Exception as exc:  # noqa: BLE001 - the question is a bonus; the usual checks follow
        notes.append(
            "credentials: could not ask whether the API needs credentials: %s" % hostile.text(exc, 200)
        )
        return None
    return hostile.text(said, 200) if said else None


def _unclaimed_result(name, account):
    claim = {
        "username": account,
        "source": "no password set yet (the device is not activated / has no initial admin): anyone on "
        "its network can set one and own it",
    }
    return {
        "protocol": name,
        "accepted": claim,
        "accepted_all": [claim],
        "unclaimed": True,
        "tried": 0,
        "skipped": 0,
    }


def device_says_default(driver, proven, notes):
    """The accounts whose stored (working) password the device itself reports as its default
    (Hikvision's ``isDefaultPassword``): evidence from the device, not from product data."""
    asker = getattr(driver, "reports_default", None)
    if asker is None:
        return []
    out = []
    for user, password in sorted(proven.items()):
        try:
            if asker(user, password) is True:
                out.append(user)
        except Exception as exc:  # noqa: BLE001 - a bonus reading; the re-check stands without it
            notes.append(
                "credentials: could not read the device's default-password flag: %s" % hostile.text(exc, 200)
            )
    return out


def probe_credentials(device, opts, hostvars, driver_factory, notes, access):
    name, factory = driver_factory(hostvars, device)
    if factory is not None:
        probe = factory(device.address, opts.timeout)
        try:
            account = unclaimed_account(probe, notes)
            opened = None if account else open_interface(probe, notes)
        finally:
            probe.close()
        if account:
            return _unclaimed_result(name, account)
        if opened:
            # no account exists to test: no password was tried, none of the budget spent
            return {"protocol": name, "open": opened, "tried": 0, "skipped": 0}
    candidates = _candidates(device, opts, name, _known_factory(access, notes))
    if not candidates:
        notes.append("credentials: no known default or supplied credential for this device; not tried")
        return None
    if factory is None:
        notes.append(
            "credentials: no driver %r in this collection for the device; defaults not tried" % (name,)
            if name
            else "credentials: no way to log in that this collection speaks (no management API or shell); "
            "defaults not tried"
        )
        return None
    budget = access.budget("assessment", max_attempts=opts.max_login_attempts)
    if budget.remaining() == 0:
        notes.append(
            "credentials: the login budget allows no failed login now (%d of %d spent in the lockout "
            "window); not tried" % (budget.spent_before, budget.size)
        )
        return None
    driver = factory(device.address, opts.timeout)
    try:
        res = recheck_with_stored(device, driver, name, candidates, _stored(access, notes), budget, notes)
        if res is not None:
            return res
        res = probes.try_credentials(driver.login, candidates, budget)
        index = res.pop("index", None)
        res["protocol"] = name
        res["budget"] = budget.report()
        # refusals of common guesses prove nothing about the product's real default
        res["guessed_only"] = not any(c["documented"] for c in candidates)
        if index is not None:
            _read_lockout(device, driver, candidates[index], res, notes, budget)
            if not candidates[index]["documented"]:
                # a common default the product data does not list: rotation must know it
                _remember(access, candidates[index]["username"], candidates[index]["password"], notes)
            if not device.fingerprint_id:
                _identify(driver, candidates[index], res, notes)
            guess_second_accounts(driver, candidates, budget, res, access, notes, candidates[index])
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


def _stored(access, notes):
    try:
        return access.stored_credentials()
    except Exception as exc:  # noqa: BLE001 - a store we cannot read means an uncredentialed check
        notes.append("credentials: the credential store could not be read (%s); checked without it" % exc)
        return []


def _account_status(results):
    """One account's factory passwords re-checked: open when one was accepted, closed when
    every one was refused, not re-checked when one could not be tried."""
    if "accepted" in results:
        return "open"
    if "not re-checked" in results or "refused" not in results:
        return "not re-checked"
    return "closed"


def recheck_with_stored(device, driver, name, candidates, stored, budget, notes):
    """The credentialed re-check (a credentialed vulnerability scan's way): log in with the
    stored credentials, read the lockout setting with one that works, then try every factory
    credential the evidence knows of. A refused factory password proves its account closed;
    after each refusal the stored credential of that account logs in again, so the device's
    failure counter goes back to zero. What the budget does not allow stays "not re-checked".

    None when nothing is stored or no stored credential is accepted (the caller then checks
    as without credentials)."""
    if not stored:
        return None
    proven, working = {}, None
    for user, password in stored:
        ok = budget.attempt(driver.login, user, password, "current")
        if ok is None:
            break
        if ok:
            proven[user] = password
            working = working or {"username": user, "password": password, "source": "stored"}
    if working is None:
        notes.append(
            "credentials: no stored credential was accepted (%d tried); checked as without credentials"
            % len(stored)
        )
        return None
    res = {
        "protocol": name,
        "credentialed": True,
        # refused common guesses say nothing of an account whose default nobody published
        "guessed_only": not any(c.get("documented", True) for c in candidates),
    }
    _read_lockout(device, driver, working, res, notes, budget)
    shell = SHELL_SERVICES.get(name)
    per_user, accepted, tried, skipped, guesses = {}, [], 0, 0, 0
    for user in device_says_default(driver, proven, notes):
        per_user.setdefault(user, []).append("accepted")
        accepted.append({"username": user, "source": "the device itself reports isDefaultPassword=true"})
    for cand in candidates:
        user = cand["username"]
        known = cand.get("documented", True)
        if not known and keeps_last_failure(budget):
            continue  # a refused guess proves nothing: the last failure stays for rotation's proof
        if shell and cand.get("service") not in (None, shell):
            if known:
                per_user.setdefault(user, []).append("not re-checked")  # a password of another interface
                skipped += 1
            continue
        ok = budget.attempt(driver.login, user, cand["password"], "default" if known else "guess")
        if ok is None:
            if known:
                per_user.setdefault(user, []).append("not re-checked")
                skipped += 1
            continue
        tried += 1
        if ok:
            per_user.setdefault(user, []).append("accepted")
            accepted.append({"username": user, "source": cand.get("source") or "vendor default"})
        elif known:
            per_user.setdefault(user, []).append("refused")
        else:
            # a guess for an account no evidence knows: refused proves nothing, and an
            # account that was never known to exist is no account left open
            guesses += 1
        if not ok and user in proven:
            budget.attempt(driver.login, user, proven[user], "current")
    res.update(
        {
            "accepted": accepted[0] if accepted else None,
            "accepted_all": accepted,
            "tried": tried,
            "skipped": skipped,
            "guesses_refused": guesses,
            "accounts": {user: _account_status(r) for user, r in per_user.items()},
            "not_rechecked": sorted(u for u, r in per_user.items() if _account_status(r) == "not re-checked"),
            "stored_accepted": sorted(proven),
            "budget": budget.report(),
        }
    )
    if skipped:
        notes.append(
            "credentials: %d factory credential(s) not re-checked (login budget, or a password of "
            "another interface)" % skipped
        )
    return res


def _login_accounts(driver, cred, notes):
    """The accounts that can log in, as the device lists them (a shell's /etc/passwd), or
    None when its driver cannot ask."""
    lister = getattr(driver, "login_accounts", None)
    if lister is None:
        return None
    try:
        names = lister(cred["username"], cred["password"])
    except Exception as exc:  # noqa: BLE001 - the list is a bonus; the guesses fall back to the usual ones
        notes.append("credentials: could not list the device's accounts: %s" % hostile.text(exc, 200))
        return None
    if not names or cred["username"] not in names:
        return None  # a list without the account we are logged in as is no evidence
    return [hostile.text(n, 32) for n in names]


def account_guesses(candidates, existing):
    """The common defaults to guess once logged in, in order. Without the device's account
    list: the second accounts many products ship (``SECOND_ACCOUNT_GUESSES``) whose names no
    candidate had. With it (a shell listed its /etc/passwd): only accounts that exist, each
    with every common default known for its name (Mirai's list: a gateway's ``root/admin``),
    second accounts first."""
    from ansible_collections.iotguard.hardening.plugins.module_utils.discovery import fingerprints

    named = {c["username"] for c in candidates}
    if existing is None:
        return [g for g in fingerprints.SECOND_ACCOUNT_GUESSES if g["username"] not in named]
    order = [g["username"] for g in fingerprints.SECOND_ACCOUNT_GUESSES]
    users = sorted(existing, key=lambda u: order.index(u) if u in order else len(order))
    return [c for user in users for c in fingerprints.COMMON_DEFAULTS if c["username"] == user]


def keeps_last_failure(budget):
    """True when a guess would spend the last failed login the budget allows: that one stays
    for rotation's proof that the old password is refused (a device the device itself says
    has no lockout keeps nothing back)."""
    lockout_off = budget.lockout.get("enabled") is False and budget.lockout.get("source") == "device"
    return not lockout_off and budget.remaining() <= 1


def guess_second_accounts(driver, candidates, budget, res, access, notes, cred=None):
    """Coverage (first, uncredentialed assessment): once a login proved the device answers,
    guess the common defaults of accounts the product data does not list
    (:func:`account_guesses`; the device's own account list when it gives one), within what
    the budget leaves. One that is accepted is a finding, and is kept in the store as a
    factory password of this device, so that rotation closes it and every later assessment
    re-checks it. A refused guess proves nothing and is not reported."""
    existing = _login_accounts(driver, cred, notes) if cred else None
    if existing is not None:
        res["device_accounts"] = existing
    found_users = {a["username"] for a in res.get("accepted_all") or []}
    if res.get("accepted"):
        found_users.add(res["accepted"]["username"])
    for guess in account_guesses(candidates, existing):
        user = guess["username"]
        if user in found_users:
            continue
        if keeps_last_failure(budget):
            break
        ok = budget.attempt(driver.login, user, guess["password"], "guess")
        if ok is None:
            break
        if not ok:
            continue
        found_users.add(user)
        found = {"username": user, "source": "common default, not documented for this product"}
        res.setdefault("accepted_all", [res["accepted"]] if res.get("accepted") else []).append(found)
        res["accepted"] = res.get("accepted") or found
        res.setdefault("accounts", {})[user] = "open"
        _remember(access, user, guess["password"], notes)
    res["budget"] = budget.report()


def _remember(access, user, password, notes):
    """Keep a common default the device accepted as a factory password of this device."""
    if access.store is None:
        return
    try:
        access.store.remember_factory(access.host, user, password, "accepted by the assessment")
    except Exception as exc:  # noqa: BLE001 - the finding stands; rotation then needs the account named
        notes.append("credentials: could not keep %r for rotation: %s" % (user, hostile.text(exc, 200)))


def _read_lockout(device, driver, cred, res, notes, budget):
    """After a login worked: whether failed logins lock the account, as the device tells
    (with that credential), or as the product's factory state implies. What the device
    says also sizes every later login budget for it."""
    if cred["source"] != "supplied" and device.fingerprint_id in LOCKOUT_OFF_AT_FACTORY:
        res["lockout_enabled"] = False
        res["lockout_evidence"] = "lockout is off at factory settings, and the factory password still works"
        return
    try:
        read = driver.lockout_policy(cred["username"], cred["password"])
    except Exception as exc:  # noqa: BLE001 - reading the setting is a bonus; the login result stands
        notes.append("lockout: could not read the setting: %s" % hostile.text(exc, 200))
        return
    if read is not None:
        budget.learn(read)
        res["lockout_enabled"] = bool(read["enabled"])
        res["lockout_evidence"] = hostile.text(read.get("evidence"), 200)
        if read.get("threshold"):
            res["lockout_threshold"] = read["threshold"]


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


#: community names safe to show in a report (the weak ones everybody knows)
KNOWN_COMMUNITIES = ("public", "private")


def snmp_communities(device, opts):
    """Every community to try, in order: the engineer's, then each one discovery recorded
    answering on this device (only the well-known names are recorded)."""
    out = [c for c in [opts.snmp_community, *opts.snmp_communities] if isinstance(c, str) and c]
    for svc in device.services.values():
        found = svc.extra.get("community")
        if svc.name == "snmp" and found in KNOWN_COMMUNITIES:
            out.append(found)
    return list(dict.fromkeys(out))


def probe_snmp(device, opts):
    """SNMPv2c GET of sysDescr.0 with each community until one is answered."""
    port = next((s.port for s in device.services.values() if s.name == "snmp"), 161)
    r = {"answered": False, "error": "no community to try"}
    tried = []
    for i, community in enumerate(snmp_communities(device, opts)):
        r = probes.snmp_get(device.address, community, port, timeout=opts.timeout)
        tried.append(community if community in KNOWN_COMMUNITIES else "configured #%d" % i)
        if r.get("answered"):
            r["community"] = tried[-1]
            break
    r["port"] = port
    r["tried"] = tried
    return r


#: a previous report bigger than this is not read for re-checks (the report's own bound)
MAX_PREVIOUS = 16 * 1024 * 1024


def previous_record(previous_doc, identity):
    """The device's earlier TCP ports and the rules found at each: ``{port: {"name", "rules"}}``,
    from the previous report (``previous_doc``: its JSON document, or None)."""
    devices = previous_doc.get("devices") if isinstance(previous_doc, dict) else None
    for dev in devices if isinstance(devices, list) else []:
        if not isinstance(dev, dict) or dev.get("identity") != identity:
            continue
        names = {
            s.get("port"): s.get("name")
            for s in dev.get("services") or []
            if isinstance(s, dict) and s.get("proto") == "tcp"
        }
        out = {port: {"name": name, "rules": []} for port, name in names.items() if _port(port)}
        for f in dev.get("findings") or []:
            loc = str((f or {}).get("location") or "")
            if loc.startswith("tcp/") and loc[4:].isdigit() and f.get("rule") in catalogue.BY_ID:
                port = int(loc[4:])
                rec = out.setdefault(port, {"name": names.get(port), "rules": []})
                rec["rules"].append(f["rule"])
        return out
    return {}


def _port(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 65536


#: rules judged from what the device's services said or listed in discovery (an OS string, a
#: web port without HTTPS), not from a port of their own: when a port the previous run saw
#: stays silent now, their absence proves nothing
SERVICE_EVIDENCE_RULES = ("IOTG-EOL", "IOTG-HTTP-NO-TLS")


def recheck_previous_ports(device, previous, opts, notes, obs):
    """Probe the ports the previous run saw (or found something on) and this run's discovery
    did not: a refusal proves the port closed (its findings are fixed), an answer brings the
    service back to be checked, silence (a firewall on the path) proves nothing: the rules found
    there, and the rules judged from what the services said (SERVICE_EVIDENCE_RULES), are
    returned as undecided, so the comparison keeps them not re-checked. The ports with findings
    go first."""
    undecided = []
    order = sorted(previous, key=lambda p: (not previous[p]["rules"], p))
    for port in order[:MAX_REACH_PORTS]:
        if ("tcp", port) in device.services:
            continue
        state = probes.tcp_state(device.address, port, opts.timeout)
        if state == "open":
            device.services[("tcp", port)] = Service(port, previous[port]["name"])
            notes.append(
                "tcp/%d: not in this run's discovery; answered the re-check of the previous finding" % port
            )
        elif state == "refused":
            obs.setdefault("refused", []).append("tcp/%d" % port)
        else:
            undecided.extend([*previous[port]["rules"], *SERVICE_EVIDENCE_RULES])
            obs.setdefault("silent", []).append("tcp/%d" % port)
            notes.append(
                "tcp/%d: the previous run %s; silent now (a firewall?): %s not re-checked"
                % (
                    port,
                    "found %s there" % ", ".join(sorted(set(previous[port]["rules"])))
                    if previous[port]["rules"]
                    else "saw it open",
                    ", ".join(sorted(set([*previous[port]["rules"], *SERVICE_EVIDENCE_RULES]))),
                )
            )
    if undecided:
        obs["silent_rules"] = sorted(set(undecided))
    return sorted(set(undecided))


def assess_device(name, hostvars, opts=None, ctx=None, driver_factory=None, access=None):
    opts = opts or Options()
    ctx = ctx or {}
    device = Device(name, hostvars)
    notes, obs = [], {}
    if ctx.get("assessed_from_vpn") == "auto":
        # the route decides, device by device: through a VPN link it is assessed from inside
        # the VPN, otherwise from outside it (an engagement's first run, before the tunnel)
        try:
            dev, inside = vantage.through_vpn(device.address, ctx.get("vpn_interfaces") or ())
        except vantage.NoRoute:
            # no route at all is no VPN either: the probes find the device unreachable
            dev, inside = None, False
            notes.append("vantage: this host has no route to %s" % device.address)
        ctx = dict(ctx, assessed_from_vpn=inside)
        if inside:
            obs["vpn_interface"] = dev
    elif ctx.get("assessed_from_vpn"):
        # the claim is read from the kernel before any probe: a device routed past the VPN
        # would make every "answers only through the VPN" in the report untrue
        obs["vpn_interface"] = vantage.require_vpn(device.address, ctx.get("vpn_interfaces") or ())
    access = access or resolve(name, hostvars, ledger=opts.ledger)
    result = {
        "device": device.summary(),
        "findings": [],
        "assessed": True,
        "errors": [],
        "notes": notes,
        "observations": obs,
    }

    # the ports of the previous run's findings that this run's discovery did not see
    undecided = recheck_previous_ports(
        device, previous_record(ctx.get("previous"), device.identity()), opts, notes, obs
    )
    # the services a check judges by their port go first: each is tried again now, so a
    # finding stands on what the device runs today, not on discovery's list
    tcp = sorted(
        (s for s in device.services.values() if s.proto == "tcp"),
        key=lambda s: (s.name not in RECHECKED_SERVICES, s.port),
    )[:MAX_REACH_PORTS]
    state = {s.port: probes.tcp_state(device.address, s.port, opts.timeout) for s in tcp}
    answered = [s for s in tcp if state[s.port] == "open"]
    if tcp and not answered:
        result["assessed"] = False
        tried = ", ".join("tcp/%d" % s.port for s in tcp)
        if all(v == "refused" for v in state.values()):
            result["errors"].append(
                "unreachable: every port discovery saw on %s now refuses the connection (%s): the device "
                "closed them, or it is gone and something else holds its address; run discovery again"
                % (device.address, tried)
            )
        else:
            result["errors"].append(
                "unreachable: no port of %s answered within %.0fs (tried %s); check that the device is on "
                "and routable from the controller, or remove it from the inventory"
                % (device.address, opts.timeout, tried)
            )
        return result
    obs["answered"] = ["tcp/%d" % s.port for s in answered]
    # only a refusal proves a port closed; a silent port keeps what discovery saw
    refused = [s.port for s in tcp if state[s.port] == "refused"]
    if refused and answered:
        device.closed(refused)
        obs["refused"] = obs.get("refused", []) + ["tcp/%d" % p for p in refused]
        result["device"] = device.summary()

    if "management" in opts.probes:
        upnp_ports = device.upnp_ports()
        management = [s for s in answered if s.name in MGMT_TCP and s.port not in upnp_ports]
        obs["management_reachable"] = ["%s tcp/%d" % (s.name, s.port) for s in management]
        if ctx.get("assessed_from_vpn"):
            # the answers above came through the VPN; what answers outside it is the probe's
            view = vantage.outside_view(
                ctx.get("outside_reach"), [s.port for s in answered], [s.port for s in management]
            )
            if view is not None:
                obs["outside"] = view
    if "credentials" in opts.probes:
        res = probe_credentials(
            device, opts, hostvars, driver_factory or _access_driver_factory(access), notes, access
        )
        if res is not None:
            if "lockout_enabled" in res:
                obs["lockout_enabled"] = res.pop("lockout_enabled")
                obs["lockout_evidence"] = res.pop("lockout_evidence")
                if "lockout_threshold" in res:
                    obs["lockout_threshold"] = res.pop("lockout_threshold")
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
        obs["snmp"] = probe_snmp(device, opts)
    if not device.services and obs.get("credentials") is None and not (obs.get("snmp") or {}).get("answered"):
        # nothing of the device answered: no port in discovery, no login, no SNMP. A finding of
        # an earlier run must not read as fixed because a firewall on the path now drops the
        # assessment (the device is still there: the switch's tables or the inventory name it)
        result["assessed"] = False
        result["errors"].append(
            "unreachable: nothing on %s answered in this run (discovery saw no open port, no login or "
            "SNMP reached it), so nothing was checked: a firewall between the controller and the device "
            "drops the connections (assess from a vantage its zone admits, e.g. through the VPN), or the "
            "device is off" % device.address
        )
        return result
    result["findings"] = checks.evaluate(device, obs, ctx)
    if obs.get("refused") and not any(f["rule"] == "IOTG-EOL" for f in result["findings"]):
        # a closed port took its answer (the OS string) with it: the system is the same
        undecided.append("IOTG-EOL")
    result["unknown"] = sorted(set(checks.unknown_rules(device, obs, ctx)) | set(undecided))
    return result
