"""Prints what `make demo` achieved, from the reports it wrote: the client's risk before
and after, what the rotation did, and where the reports are. Reads only the reports (which
hold no secrets)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def main(client_dir: str) -> int:
    base = Path(client_dir)
    after = json.loads((base / "latest" / "report.json").read_text())
    change = after.get("diff") or {}
    if not change:
        print(f"demo: {base}/latest/report.json has no comparison with an earlier run", file=sys.stderr)
        return 1
    before = change["fixed"] + change["unchanged"] + change["not_rechecked"]
    fixed_rules = Counter(f["rule"] for f in change["fixed"])
    print(f"client {after['client']}: {after['summary']['devices']} devices")
    print(
        f"  risk score before: {change['previous_score']}  after: {after['client_score']['score']}"
        f" ({after['client_score']['band']})"
    )
    print(
        f"  findings before: {len(before)}  after: {after['summary']['findings']}"
        f"  fixed: {len(change['fixed'])}  new: {len(change['new'])}"
    )
    status = after["summary"]["by_status"]
    print("  register: " + ", ".join(f"{n} {s}" for s, n in status.items()))
    for a in after.get("actions", [])[:3]:
        print(f"  next action ({a['owner']}, -{a['points']} points): {a['action']}")
    for rule, n in sorted(fixed_rules.items()):
        print(f"    fixed {n:3d} x {rule}")
    remaining = Counter(f["rule"] for f in change["unchanged"] + change["new"])
    for rule, n in sorted(remaining.items()):
        print(f"    still {n:3d} x {rule}")
    rotation = base / "credential-rotation.json"
    if rotation.exists():
        print(f"  credential rotation: {json.loads(rotation.read_text()).get('counts')}")
    print("reports:")
    for name in ("report.pdf", "report.html", "report.png", "report.json", "findings.csv", "findings.sarif"):
        path = base / "latest" / name
        if path.exists() or (base / name).exists():
            print(f"  {path if path.exists() else base / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
