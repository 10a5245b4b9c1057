# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
"""One segmentation run over a site: one session per switch, held from gather to save.

For every switch: open one session (elevated), gather (running config as the backup, the
VLAN list and the MAC table). Then the plan over all switches at once (a MAC on two
access ports is only visible that way). Then, per switch, want vs have -> commands; in
check mode nothing is sent; otherwise the backup is written, the commands sent, the
config saved, and a failure part-way restores the backup's VLANs and ports. A switch
that fails is a per-switch result; the others go on.
"""

from __future__ import annotations

import time

from ansible_collections.iotguard.hardening.plugins.module_utils import netmiko_session as ns
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import SegmentationError
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import firewall as _fw
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import plan as _plan
from ansible_collections.iotguard.hardening.plugins.module_utils.segmentation import switch_config as sc


def _check_specs(specs):
    names = set()
    for i, spec in enumerate(specs or []):
        field = "switches[%d]" % i
        if not isinstance(spec, dict):
            raise SegmentationError(
                field, spec, "is not a mapping", "give name, platform, host, username, password"
            )
        sc.dialect_of(spec.get("platform"), field + ".platform")
        for key in ("name", "host", "username", "password"):
            if not spec.get(key):
                raise SegmentationError(field + "." + key, None, "is missing", "give the switch's %s" % key)
        if spec["name"] in names:
            raise SegmentationError(
                field + ".name", spec["name"], "names a switch twice", "give each switch once"
            )
        names.add(spec["name"])


def access_for(spec, timeout):
    return ns.SwitchAccess(
        spec["platform"],
        spec["host"],
        spec["username"],
        spec["password"],
        port=spec.get("port") or 22,
        secret=spec.get("secret"),
        timeout=spec.get("timeout") or timeout,
        session_log=spec.get("session_log"),
    )


def open_elevated(access, connect=None):
    session = (connect or ns.connect)(access)
    if not session.elevate():
        session.close()
        raise ns.AuthFailed("%s: the switch refused the enable secret; give the right secret" % access.host)
    return session


def _plan_view(spec, have):
    return {
        "uplinks": [sc.port_name(spec["platform"], p) for p in spec.get("uplinks") or ()],
        "vlans": {str(v["vlan_id"]): v["name"] for v in have["vlans"]},
        "ports": {
            **{p["name"]: {"mode": "access", "vlan": p["vlan"]} for p in have["access_ports"]},
            **{p: {"mode": "trunk", "vlan": None} for p in have["trunk_ports"]},
        },
        "macs": have["mac_table"],
    }


def run(specs, devices, policy, check_mode=False, backup_dir=None, timeout=30, firewall=False, connect=None):
    """The whole run; returns a JSON-safe result (see the module ``vlan_segment``)."""
    _check_specs(specs)
    policy = _plan.check_policy(policy)
    if not check_mode and not backup_dir:
        raise SegmentationError(
            "backup_dir", backup_dir, "is empty", "give a directory for running-config backups"
        )
    sessions = {}
    haves = {}
    results = {}
    made = []  # every session opened, also those a restore needed

    def counted(access):
        session = (connect or ns.connect)(access)
        made.append(session)
        return session

    clock = [time.monotonic()]
    timings = {}

    def lap(what):
        now = time.monotonic()
        timings[what] = round(now - clock[0], 3)
        clock[0] = now

    try:
        for spec in specs:
            name = spec["name"]
            try:
                session = open_elevated(access_for(spec, timeout), counted)
                sessions[name] = session
                haves[name], running = sc.gather(session, spec["platform"])
                results[name] = {"status": "ok", "commands": [], "backup": None, "running": running}
            except ns.SessionError as exc:
                results[name] = {"status": "failed", "error": str(exc), "commands": [], "backup": None}
        lap("gather")
        view = {s["name"]: _plan_view(s, haves[s["name"]]) for s in specs if s["name"] in haves}
        the_plan = _plan.plan(devices, view, policy)
        # checked before any switch changes: a bad firewall policy stops the run here
        contribution = _fw.contribution(the_plan, policy) if firewall else None
        lap("plan")
        by_name = {s["name"]: s for s in specs}
        diffs = []
        for name, have in haves.items():
            platform = by_name[name]["platform"]
            want = the_plan["switches"][name]
            cmds = sc.commands(platform, want, have, "merged")
            res = results[name]
            running = res.pop("running")
            res["commands"] = cmds
            if not cmds:
                res["status"] = "unchanged"
                continue
            after = sc.expected_after(platform, have, want, "merged")
            d = sc.diff(platform, have, after)
            diffs.append(
                {"before_header": name, "after_header": name, "before": d["before"], "after": d["after"]}
            )
            if check_mode:
                res["status"] = "would change"
                continue
            res["backup"] = sc.write_backup(backup_dir, "%s-%s" % (name, by_name[name]["host"]), running)
            spec = by_name[name]

            def reconnect(spec=spec):
                return open_elevated(access_for(spec, timeout), counted)

            try:
                sessions[name] = sc.apply(sessions[name], platform, cmds, have, res["backup"], reconnect)
                now, _running = sc.gather(sessions[name], platform)
                if not sc.same(now, after):
                    res["status"] = "failed"
                    res["error"] = (
                        "after the change the switch does not show the plan; backup %s" % res["backup"]
                    )
                else:
                    res["status"] = "changed"
            except sc.ChangeFailed as exc:
                res["status"] = "failed"
                res["error"] = str(exc)
                res["restored"] = exc.restored
                sessions.pop(name, None)
        for res in results.values():
            res.pop("running", None)
        lap("apply")
    finally:
        for session in made:
            session.close()
    sent = sum(len(s.config_sent) for s in made)
    out = {
        "plan": the_plan,
        "plan_text": _plan.render_text(the_plan),
        "switches": results,
        "sessions": len(made),
        "commands_sent": 0 if check_mode else sent,
        "changed": any(r["status"] in ("changed", "would change") for r in results.values()),
        "failed_switches": sorted(n for n, r in results.items() if r["status"] == "failed"),
        "diff": diffs,
        "firewall_contribution": contribution,
        "timings": timings,
    }
    return out


#: a switch whose state was read back equal to the plan (after the change, or already)
VERIFIED = ("changed", "unchanged")


def report_record(result):
    """What a run did, for the client's reports (no secret, no config text): each switch's
    outcome and whether it was read back equal to the plan, each device's port with its
    zone and VLAN before and after, and what was left where it is and why."""
    the_plan = result["plan"]
    switches = {
        name: {
            "status": r["status"],
            "commands": len(r.get("commands") or []),
            "read_back_equals_plan": r["status"] in VERIFIED,
            "error": r.get("error"),
            "restored": r.get("restored"),
        }
        for name, r in sorted(result["switches"].items())
    }
    keys = ("device", "zone", "switch", "port", "vlan_before", "vlan", "vlan_name", "action")
    ports = [{k: p.get(k) for k in keys} for p in the_plan["ports"]]
    for p in ports:
        p["verified"] = switches.get(p["switch"], {}).get("read_back_equals_plan", False)
    return {
        "schema": 1,
        "summary": dict(
            the_plan["summary"],
            commands_sent=result["commands_sent"],
            sessions=result["sessions"],
            switches=len(switches),
            verified_ports=sum(1 for p in ports if p["verified"]),
        ),
        "zones": [
            {"name": z["name"], "vlan": z["vlan"], "vlan_name": z["vlan_name"], "devices": z["devices"]}
            for z in the_plan["zones"]
        ],
        "switches": switches,
        "ports": ports,
        "left_alone": [{k: p[k] for k in ("switch", "port", "reason")} for p in the_plan["left_alone"]],
        "unplaced": [{"device": d["device"], "reason": d["reason"]} for d in the_plan["unplaced"]],
        # filled in by the role once the gateway's live table was read (compensation)
        "isolation": _fw.isolation_controls(the_plan, result.get("firewall_contribution"), ports),
    }
