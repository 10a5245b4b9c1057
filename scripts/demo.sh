#!/usr/bin/env bash
# make demo: the story on the simulated clinic (tests/lab), end to end.
#   1. discover every device on the clinic's network and say what it is;
#   2. assess them: the "before" risk report (HTML + screenshot, JSON, CSV, SARIF);
#   3. rotate every factory-default password, prove each new one, store it vault-encrypted;
#   4. assess again: the "after" report, with the findings the rotation fixed, as the
#      client's PDF (reports/clinic/latest/report.pdf).
# Everything it writes lands in .build/demo (inventory, rotated credentials, vault
# password) and reports/clinic/ (the reports).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
site=clinic
demo=.build/demo
inv=$demo/inventory

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo" "reports/$site"
mkdir -p "$inv"
chmod 0700 "$demo"
cp inventories/lab/$site.iot_discovery.yml "$inv/"
# the clinic's own report data: branding and logo, policy, accepted risks (group_vars)
cp -r inventories/$site/group_vars "$inv/"
# The vault password of this demo's credential store: random, 0600, never printed.
umask 077
python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$demo/vault-pass"
umask 022

step "Bringing up the simulated client site '$site' (tests/lab)"
tests/lab/lab up "$site" --fresh
trap 'tests/lab/lab down "$site" >/dev/null 2>&1 || true' EXIT

step "1. Discovery: what is on the network"
ansible-inventory -i "$inv" --graph

step "2. Risk assessment before hardening"
ansible-playbook -i "$inv" playbooks/assess.yml -e risk_assessment_screenshot=true -e risk_assessment_pdf=true
cp -r "reports/$site" "$demo/report-before"

step "3. Credential rotation: replace every factory-default password"
ansible-playbook -i "$inv" playbooks/rotate_credentials.yml --vault-password-file "$demo/vault-pass"

step "4. Risk assessment after hardening"
ansible-playbook -i "$inv" playbooks/assess.yml --vault-password-file "$demo/vault-pass" \
  -e risk_assessment_screenshot=true -e risk_assessment_pdf=true

step "Results"
python3 scripts/demo_summary.py "reports/$site"
