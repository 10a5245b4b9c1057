#!/usr/bin/env bash
# make demo: one run of playbooks/site.yml on the simulated clinic behind its gateway
# (tests/lab/sites/clinic-routed.yml), end to end: discover, assess (before), rotate every
# factory password, segment the devices onto their zones' VLANs with the gateway firewall
# between them, harden the devices (rate limits on the gateway for those that cannot lock
# out), lockout, VPN (where the site has one), assess again (after), then the reports and a
# one-screen summary.
# The client's folder is inventories/lab/clinic with inventories/lab/clinic-routed over it,
# under $IOTGUARD_DEMO_DIR (default .build/demo): rotated credentials (vault-encrypted),
# switch backups and reports land there; the vault password is beside it, random, 0600,
# never printed. The playbooks run in the engineer's namespace of the site (lab-clinic-out);
# the gateway is a container in the gateway's namespace (lab-clinic-gw).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
site=clinic
lab_site=clinic-routed
image=${IMAGE:-localhost/iotguard-base:bookworm}
gateway=iotguard-demo-clinic-gw
demo=${IOTGUARD_DEMO_DIR:-.build/demo}
client=$demo/$site
reports=$client/reports/$site

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$demo"
mkdir -p "$demo"
chmod 0700 "$demo"
cp -r "inventories/lab/$site" "$client"
cp -r "inventories/lab/$lab_site/." "$client/"
rm -f "$client/README.md"
umask 077
python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$demo/vault-pass"
umask 022

# IOTGUARD_DEMO_KEEP_SITE=1 leaves the site and its gateway up after a successful run (a test
# runs site.yml again on them); stop them with the two commands of cleanup()
cleanup() {
  if [[ $? -eq 0 && ${IOTGUARD_DEMO_KEEP_SITE:-0} == 1 ]]; then
    echo "site $lab_site and gateway $gateway left up (IOTGUARD_DEMO_KEEP_SITE=1)"
    return
  fi
  podman rm -f -t 0 "$gateway" >/dev/null 2>&1 || true
  tests/lab/lab down "$lab_site" >/dev/null 2>&1 || true
}
step "Bringing up the simulated client site '$site' behind its gateway (tests/lab/sites/$lab_site.yml)"
podman rm -f -t 0 "$gateway" >/dev/null 2>&1 || true
tests/lab/lab up "$lab_site" --fresh
trap cleanup EXIT
# the client's gateway: a container that shares the gateway's namespace (it routes every VLAN);
# the image's own command makes its SSH host keys and runs sshd, as on a real gateway
podman run -d --rm --name "$gateway" --network "ns:/run/netns/lab-$site-gw" --cap-add NET_ADMIN \
  "$image" >/dev/null

step "playbooks/site.yml: discover, assess, rotate, segment, harden, lockout, VPN, assess again"
# progress: every task's name as it starts, and every change or failure (ok/skipped hidden)
# (nsenter, not `ip netns exec`: that one remounts /sys and podman then misses its cgroups)
ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
  nsenter --net="/run/netns/lab-$site-out" ansible-playbook -i "$client" playbooks/site.yml --vault-password-file "$demo/vault-pass" \
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
