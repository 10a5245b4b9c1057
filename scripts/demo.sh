#!/usr/bin/env bash
# make demo: one run of playbooks/site.yml on the simulated clinic behind its gateway
# (tests/lab/sites/clinic-routed.yml), end to end: discover, assess (before), rotate every
# factory password, segment the devices onto their zones' VLANs with the gateway firewall
# between them, harden the devices (rate limits on the gateway for those that cannot lock
# out), lockout, VPN (where the site has one), assess again (after); then the engineer's
# manual steps (a password typed on a thermostat's own screen) and the follow-up that proves
# them; then the reports and a one-screen summary.
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
# the engineer's controller as a WireGuard peer, and a staff PC for the assessment's probe
# outside the VPN (inventories/lab/clinic-routed/gateways.yml)
engineer=iotguard-demo-clinic-engineer
staff_pc=iotguard-demo-clinic-pc
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
  podman rm -f -t 0 "$gateway" "$engineer" "$staff_pc" >/dev/null 2>&1 || true
  tests/lab/lab down "$lab_site" >/dev/null 2>&1 || true
}
step "Bringing up the simulated client site '$site' behind its gateway (tests/lab/sites/$lab_site.yml)"
podman rm -f -t 0 "$gateway" "$engineer" "$staff_pc" >/dev/null 2>&1 || true
tests/lab/lab up "$lab_site" --fresh
trap cleanup EXIT
# what the lab planted, as it starts (its ground truth follows the devices as they are fixed):
# each device's name, MAC and weakness labels, no credential; test_demo holds the report to it
python3 - "${IOTLAB_STATE_ROOT:-$top/.build/lab}/$lab_site/ground-truth.json" > "$demo/planted.json" <<'EOF'
import json, sys
truth = json.load(open(sys.argv[1]))
keep = ("name", "mac", "class", "weaknesses")
print(json.dumps({"devices": [{k: d[k] for k in keep} for d in truth["devices"]]}, indent=1))
EOF
# the client's gateway: a container that shares the gateway's namespace (it routes every VLAN);
# the image's own command makes its SSH host keys and runs sshd, as on a real gateway; the tun
# device for its WireGuard hub (wireguard-go where the kernel has no WireGuard)
podman run -d --rm --name "$gateway" --network "ns:/run/netns/lab-$site-gw" --cap-add NET_ADMIN \
  --device /dev/net/tun "$image" >/dev/null
# the engineer's controller as the VPN's peer: a container in the namespace the playbooks run
# in, so that the tunnel it holds carries their traffic to the devices
podman run -d --rm --name "$engineer" --network "ns:/run/netns/lab-$site-out" --cap-add NET_ADMIN \
  --device /dev/net/tun "$image" sleep infinity >/dev/null
# a staff PC on the practice's PC VLAN (10; the gateway routes it to every device until its
# firewall is up): the assessment's probe outside the VPN
podman run -d --rm --name "$staff_pc" --network "ns:/run/netns/lab-$site-v10" "$image" sleep infinity >/dev/null
# the lab's stand-in for the engineer's authenticator app reads the enrolled secret with it
IOTGUARD_VAULT_PASSWORD_FILE=$(realpath "$demo/vault-pass")
export IOTGUARD_VAULT_PASSWORD_FILE

step "playbooks/site.yml: discover, assess, rotate, segment, VPN (and the engineer's session), harden, lockout, assess again"
# progress: every task's name as it starts, and every change or failure (ok/skipped hidden)
# (nsenter, not `ip netns exec`: that one remounts /sys and podman then misses its cgroups)
ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
  nsenter --net="/run/netns/lab-$site-out" ansible-playbook -i "$client" playbooks/site.yml --vault-password-file "$demo/vault-pass" \
  -e risk_assessment_screenshot=true -e risk_assessment_pdf=true

# the first report of the engagement: the "before" (its own directory, never `latest`)
first=$(find "$reports" -mindepth 2 -maxdepth 2 -name report.json | sort | head -n 1)

# What the run could not do through an API, the engineer does by hand: a Venstar thermostat's
# Local API password is set on its own screen (Menu > Settings > WiFi > Local API), and so is
# the account of the one whose API was left open (hvac-02, its account named in host_vars).
# The rotation left a generated password pending in the store for each and named the step
# (credential-rotation.json, cannot_rotate); the engineer reads it from the store and types it
# in (here the lab's `screen`, the password on standard input), and the follow-up proves it:
# rotate_credentials.yml logs in with it and makes it current; harden.yml does what a device
# it can now log in to needs (the open thermostat gets its rate limit at the gateway);
# assess.yml re-checks the site against the engagement's first report, so the client's
# report states all that was fixed.
manual=$(python3 - "$reports/credential-rotation.json" "$reports/latest/report.json" <<'EOF'
import json, re, sys
rotation, report = (json.load(open(p)) for p in sys.argv[1:3])
# where the device is now (segmentation moved it since the first report)
address = {d["name"]: d["address"] for d in report["devices"]}
for row in rotation["cannot_rotate"]:
    host, user = row["host"], row.get("user") or ""
    # names go into a lookup's arguments: inventory names and account names only
    if row["status"] == "manual" and host in address and re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", host + user):
        print(host, user, address[host])
EOF
)
if [[ -n $manual ]]; then
  step "The engineer at the device's own screen: the manual steps the rotation named, then the follow-up"
  # the site.yml run's rotation summary, kept: the follow-up's own summary replaces the file
  cp "$reports/credential-rotation.json" "$reports/credential-rotation-site.json"
  while read -r host user address; do
    pending=$(mktemp)
    ansible localhost -i localhost, -c local -e "ansible_python_interpreter=$(command -v python3)" \
      -m ansible.builtin.copy --vault-password-file "$demo/vault-pass" \
      -a "content={{ lookup('iotguard.hardening.credential', '$host', user='$user', field='pending', store_path='$client', errors='empty') }} dest=$pending mode=0600" \
      >/dev/null
    if [[ -s $pending ]]; then
      tests/lab/lab screen "$address" "$user" --site "$lab_site" < "$pending"
    else
      echo "$host: no password pending for $user (the report names the engineer's step)"
    fi
    rm -f "$pending"
  done <<< "$manual"
  ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
    nsenter --net="/run/netns/lab-$site-out" ansible-playbook -i "$client" playbooks/rotate_credentials.yml \
    --vault-password-file "$demo/vault-pass"
  ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
    nsenter --net="/run/netns/lab-$site-out" ansible-playbook -i "$client" playbooks/harden.yml \
    --vault-password-file "$demo/vault-pass"
  ANSIBLE_DISPLAY_OK_HOSTS=false ANSIBLE_DISPLAY_SKIPPED_HOSTS=false \
    nsenter --net="/run/netns/lab-$site-out" ansible-playbook -i "$client" playbooks/assess.yml \
    --vault-password-file "$demo/vault-pass" -e risk_assessment_screenshot=true -e risk_assessment_pdf=true \
    -e "risk_assessment_previous=$first"
fi

# the "before" report as the client saw it (the role's screenshot is the "after" one)
before=$(realpath "${first%.json}.html")
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$profile" --window-size=1280,1800 \
  --screenshot="$reports/report-before.png" "file://$before" >/dev/null 2>&1
rm -rf "$profile"

step "Results"
python3 scripts/demo_summary.py "$reports"
