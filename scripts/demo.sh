#!/usr/bin/env bash
# make demo: one run of playbooks/site.yml on the simulated clinic (tests/lab), end to end:
# discover, assess (before), rotate every factory password, lockout and VPN (where the site
# has gateways), assess again (after), then the reports and a one-screen summary.
# The client's folder is a copy of inventories/lab/clinic under $IOTGUARD_DEMO_DIR
# (default .build/demo): rotated credentials (vault-encrypted) and reports land there; the
# vault password is beside it, random, 0600, never printed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
site=clinic
demo=${IOTGUARD_DEMO_DIR:-.build/demo}
client=$demo/$site
reports=$client/reports/$site

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo"
mkdir -p "$demo"
chmod 0700 "$demo"
cp -r "inventories/lab/$site" "$client"
umask 077
python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$demo/vault-pass"
umask 022

step "Bringing up the simulated client site '$site' (tests/lab)"
tests/lab/lab up "$site" --fresh
trap 'tests/lab/lab down "$site" >/dev/null 2>&1 || true' EXIT

step "playbooks/site.yml: discover, assess, rotate, lockout, VPN, assess again"
# progress: every task's name as it starts, and every change or failure (ok/skipped hidden)
ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
  ansible-playbook -i "$client" playbooks/site.yml --vault-password-file "$demo/vault-pass" \
  -e risk_assessment_screenshot=true -e risk_assessment_pdf=true

# the "before" report as the client saw it (the role's screenshot is the "after" one)
before=$(realpath "$(find "$reports" -mindepth 2 -maxdepth 2 -name report.html | sort | head -n 1)")
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1280,1800 \
  --screenshot="$reports/report-before.png" "file://$before" >/dev/null 2>&1
rm -rf "$profile"

step "Results"
python3 scripts/demo_summary.py "$reports"
