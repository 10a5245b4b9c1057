"""One screen on what a site.yml run achieved for a client, read from the reports it wrote
(which hold no secrets): what was found, what was fixed and how it was proven, what remains
and why, and where the reports are.
    python3 scripts/demo_summary.py <report_dir>/<client>"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
# role -> the hosts its step runs on (discovery.json's step_hosts); the device roles run on
# every discovered device
STEP_HOSTS = {"lockout_policy": "gateways", "wireguard": "vpn", "openvpn": "vpn"}
PROOF = {
    "credential_rotation": "new password logged in, factory one refused, re-checked by the after-assessment",
}
# rule -> the device_hardening change that closes it, and what the after-assessment re-checked
HARDENED_BY = {
    "IOTG-NO-LOCKOUT": (("lockout",), "lockout setting read from the device"),
    "IOTG-CLEARTEXT-MGMT": (("services.telnet", "services.ftp"), "closed since discovery"),
    "IOTG-UPNP-IGD": (("services.upnp",), "answered on"),
    "IOTG-INTERNET-EXPOSED": (("port_mappings",), "answered on"),
    "IOTG-MQTT-NOAUTH": (("mqtt_auth",), "MQTT login without password"),
    "IOTG-SNMP-PUBLIC": (("snmp_community",), "SNMP community 'public'"),
    # an API left open: the account the engineer created on the screen, the stored login proven
    "IOTG-API-NOAUTH": ((), "logged in with the stored credential"),
}


def closed_by(finding, hardening, rechecks):
    """How one closed finding was closed and re-checked, in words (no secrets)."""
    fields, check = HARDENED_BY.get(finding["rule"], ((), None))
    row = hardening.get(finding["device"]) or {}
    made = [c for c in row.get("changes", []) if c["field"] in fields]
    if not made and fields == ("port_mappings",):  # removed on the router that mapped the device
        made = [
            c
            for r in hardening.values()
            for c in r.get("changes", [])
            if c["field"] == "port_mappings" and "> %s:" % finding["device"] in str(c["before"])
        ]
    if made:
        how = "device_hardening set " + ", ".join("%s (read back)" % c["field"] for c in made)
    elif finding["rule"] == "IOTG-DEFAULT-CREDS":
        how = "credential rotation: " + PROOF["credential_rotation"]
    elif finding["rule"] == "IOTG-API-NOAUTH":
        how = "credential rotation: account created on its screen with the pending password"
    elif finding["rule"] == "IOTG-MGMT-OUTSIDE-VPN":
        # segmentation's policy gives the management ports to the VPN's sessions alone
        how = "management only through the VPN (WireGuard, TOTP); re-checked: silent to the probe outside it"
    else:
        how = "closed"
    seen = [c for c in rechecks.get(finding["device"], []) if check and c.startswith(check)]
    return how + ("; re-checked: " + seen[0][:80] if seen else "")


def site_roles():
    """The roles site.yml runs: the `role:` entries of the playbooks it imports."""
    roles = set()
    site = TOP / "playbooks" / "site.yml"
    for line in site.read_text().splitlines():
        if "import_playbook:" in line:
            book = TOP / "playbooks" / line.split(":", 1)[1].strip()
            for entry in book.read_text().splitlines():
                if "role: iotguard.hardening." in entry:
                    roles.add(entry.split("iotguard.hardening.", 1)[1].strip())
                elif "iotguard.hardening.{{ iotguard_vpn_type" in entry:
                    # vpn.yml picks its role at run time: either VPN fixes what a VPN fixes
                    roles.update(("wireguard", "openvpn"))
    return roles


def why(rule, fixed_by, roles, step_hosts, rotation_reasons):
    reasons = []
    for role in fixed_by:
        if role == "credential_rotation" and rotation_reasons:
            reasons.append(f"{role}: " + "; ".join(sorted(rotation_reasons)))
            continue
        if role not in roles:
            reasons.append(f"{role}: step not in site.yml yet")
        elif STEP_HOSTS.get(role) and not step_hosts.get(STEP_HOSTS[role]):
            reasons.append(f"{role}: no '{STEP_HOSTS[role]}' host in this inventory")
        else:
            reasons.append(f"{role}: ran, could not fix it on these devices")
    return "; ".join(reasons) or f"no role fixes {rule}"


def main(client_dir: str) -> int:
    base = Path(client_dir)
    after = json.loads((base / "latest" / "report.json").read_text())
    change = after.get("diff")
    if not change:
        print(f"summary: {base}/latest/report.json has no comparison with an earlier run", file=sys.stderr)
        return 1
    discovery = (
        json.loads((base / "discovery.json").read_text()) if (base / "discovery.json").exists() else {}
    )
    rotation = (
        json.loads((base / "credential-rotation.json").read_text())
        if (base / "credential-rotation.json").exists()
        else {}
    )
    # a follow-up rotation (after the engineer's manual steps) replaces the summary; the demo
    # keeps the site.yml run's one beside it
    site_doc = base / "credential-rotation-site.json"
    site_rotation = json.loads(site_doc.read_text()) if site_doc.exists() else rotation
    hardening_doc = base / "device-hardening.json"
    hardening = (
        {r["host"]: r for r in json.loads(hardening_doc.read_text())["devices"]}
        if hardening_doc.exists()
        else {}
    )
    rechecks = {d.get("name"): (d.get("checks") or {}).get("checked", []) for d in after.get("devices", [])}
    roles = site_roles()
    classes = Counter(d["class"] for d in discovery.get("devices", []))
    before = change["fixed"] + change["unchanged"] + change["not_rechecked"]
    score = after["client_score"]

    print(f"client {after['client']}")
    print(
        f"FOUND    {after['summary']['devices']} devices: "
        + ", ".join(f"{c} {n}" for c, n in sorted(classes.items()))
    )
    print(
        f"         {len(before)} findings before;"
        f" risk score {change['previous_score']} -> {score['score']} ({score['band']})"
    )
    open_rows = [r for r in after.get("register", []) if r["status"] in ("open", "not re-checked")]
    top = [r for r in open_rows if r["risk"]["level"] == score["level"]]
    if top:
        # the highest open level decides the band: what holds it there, by rule and owner
        held = Counter("%s (%s)" % (r["rule"], r["owner"]) for r in top)
        print(
            f"         band '{score['band']}' held by: "
            + ", ".join(f"{n} x {k}" for k, n in sorted(held.items()))
        )
    counts = site_rotation.get("counts", {})
    print(f"FIXED    {len(change['fixed'])} findings, each re-checked by the after-assessment:")
    closed = []
    for f in change["fixed"]:
        closed.append(
            "%s %s: was: %s | %s"
            % (f["device"], f["rule"], f.get("evidence") or "", closed_by(f, hardening, rechecks))
        )
    # one line per rule and way it was closed (telnet and FTP switched off are two lines)
    ways = {}
    for f in change["fixed"]:
        text = closed_by(f, hardening, rechecks)
        ways.setdefault((f["rule"], text.split(";")[0]), []).append(text)
    for (rule, _way), texts in sorted(ways.items()):
        print(f"         {len(texts):3d} x {rule}: {texts[0][:90]}")
    (base / "closed-findings.txt").write_text("\n".join(closed) + "\n")
    # counted apart, never fixed: a control re-checked on the gateway, or a person's acceptance
    apart = [r for r in after.get("register", []) if r["status"] in ("compensated", "accepted")]
    if apart:
        print(f"COMPENSATED {len(apart)} findings, counted apart from the score (not fixed):")
        for (rule, how), n in sorted(
            Counter(
                (r["rule"], (r.get("status_reason") or r["status"]).split(";")[0][:72]) for r in apart
            ).items()
        ):
            print(f"         {n:3d} x {rule}: {how}")
    if counts:
        print(
            f"         credential rotation: {counts.get('rotated', 0)} account(s) rotated"
            f" ({PROOF['credential_rotation']}), {counts.get('failed', 0)} failed"
        )
    if site_rotation is not rotation:
        follow = rotation.get("counts", {})
        print(
            f"         follow-up: {follow.get('reconciled', 0)} password(s) typed on the device's own screen,"
            f" proven by logging in and made current; {follow.get('manual', 0)} manual step(s) left"
        )
    segmentation = (
        json.loads((base / "segmentation.json").read_text()) if (base / "segmentation.json").exists() else {}
    )
    if segmentation:
        seg = segmentation["summary"]
        zones = Counter(p["zone"] for p in segmentation["ports"])
        print(
            f"SEGMENTED {seg['ports']} device port(s) on their zone's VLAN"
            f" ({', '.join(f'{z} {n}' for z, n in sorted(zones.items()))}); {seg['moves']} moved this run,"
            f" {seg['verified_ports']} read back from the switch equal to the plan"
            f" ({seg['commands_sent']} config command(s) over {seg['sessions']} switch session(s));"
            f" {seg['unplaced']} device(s) not moved, {seg['left_alone_ports']} port(s) left alone"
        )
    vantage = (after.get("limits") or [""])[-1]
    if vantage.startswith("Assessed from inside the VPN"):
        # where the after-assessment stood: the engineer's session through the tunnel, and a
        # probe outside the VPN that tried every device's ports
        only = sum(1 for d in after.get("devices", []) if d.get("vpn_only"))
        print(
            f"VPN      the after-assessment ran through the tunnel (WireGuard, a session opened by a TOTP"
            f" code); {only} of {len(after.get('devices', []))} device(s) reachable only through the VPN,"
            " none of their ports answering the probe outside it"
        )
    status_of = {m: r["status"] for r in after.get("register", []) for m in r["members"]}
    unproven = [f for f in change["not_rechecked"] if status_of.get(f["key"]) == "not re-checked"]
    if unproven:
        print(
            f"UNPROVEN {len(unproven)} findings not re-checked"
            " (no login checked them, or the gateway's policy hides them from the engineer's"
            " address): not counted as fixed"
        )
    remaining = [f for f in change["unchanged"] + change["new"] if status_of.get(f["key"]) == "open"]
    fixed_by = {}
    for device in after["devices"]:
        for f in device["findings"]:
            fixed_by.setdefault(f["rule"], f.get("fixed_by") or [])
    sev = Counter(f["severity"] for f in remaining)
    print(
        f"REMAINS  {len(remaining)} findings ("
        + ", ".join(f"{s} {sev[s]}" for s in ("critical", "high", "medium", "low") if sev[s])
        + "):"
    )
    unrotated, statuses = {}, {}
    for row in rotation.get("devices", []):
        if row["status"] not in ("rotated", "compliant"):
            unrotated.setdefault(row["host"], set()).add(row["reason"])
            statuses.setdefault(row["host"], set()).add(row["status"])
    for rule, n in sorted(Counter(f["rule"] for f in remaining).items(), key=lambda kv: -kv[1]):
        devices = {f["device"] for f in remaining if f["rule"] == rule}
        rot = set().union(*(unrotated.get(d, set()) for d in devices))
        if rot and set().union(*(statuses.get(d, set()) for d in devices)) == {"not_managed"}:
            # no account to rotate (an API that asks for none): the step is the engineer's
            action = (after.get("rules", {}).get(rule) or {}).get("action", "")
            rot = {"nothing to rotate on the device; the engineer's step: " + action}
        reason = why(rule, fixed_by.get(rule, []), roles, discovery.get("step_hosts", {}), rot)
        if rule == "IOTG-MGMT-OUTSIDE-VPN" and vantage.startswith("Assessed from inside the VPN"):
            # the VPN ran: what still answers outside it is where the probe stands
            seen = sorted(f.get("evidence") or "" for f in remaining if f["rule"] == rule)
            reason = "the probe outside the VPN reaches them (%s)" % seen[0][:70]
        print(f"         {n:3d} x {rule}: {reason}")
    print("REPORTS")
    for name in (
        "latest/report.pdf",
        "latest/report.html",
        "report.png",
        "report-before.png",
        "latest/report.json",
        "latest/findings.csv",
        "latest/findings.sarif",
        "closed-findings.txt",
        "device-hardening.json",
    ):
        if (base / name).exists():
            print(f"         {base / name}")
    status = after["summary"].get("by_status", {})
    if status:
        print("REGISTER " + ", ".join(f"{n} {s}" for s, n in status.items()))
    for action in after.get("actions", [])[:1]:
        print(f"NEXT     ({action['owner']}, -{action['points']} points) {action['action']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
