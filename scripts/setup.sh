#!/usr/bin/env bash
# Idempotent set-up of a Debian 12 controller for development, tests and the demo:
# apt packages, the .venv toolchain, and the checkout linked as the collection
# iotguard.hardening. Safe to run again: each step is skipped when already done.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# 1. apt packages listed in requirements/apt.txt
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' requirements/apt.txt)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing apt packages: ${missing[*]}; run 'make setup' as root" >&2
    exit 1
  fi
  echo "setup: installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# 2. the Python toolchain in .venv, reinstalled when the pinned requirements change
py=${PYTHON:-python3}
stamp=.venv/.requirements.sha256
want=$(cat requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the Python toolchain into .venv"
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements/dev.txt
  echo "$want" > "$stamp"
fi

# 3. the checkout as ansible_collections.iotguard.hardening (for FQCNs and ansible-doc)
mkdir -p .build/collections/ansible_collections/iotguard
link=.build/collections/ansible_collections/iotguard/hardening
if [ "$(readlink "$link" 2>/dev/null)" != "../../../.." ]; then
  rm -rf "$link"
  ln -s ../../../.. "$link"
fi
