#!/usr/bin/env bash
# Vault password for this scenario: random, made once per run in Molecule's ephemeral directory.
set -euo pipefail
: "${MOLECULE_EPHEMERAL_DIRECTORY:?run this scenario through molecule}"
f=$MOLECULE_EPHEMERAL_DIRECTORY/vault-pass
if [ ! -s "$f" ]; then
  mkdir -p "$MOLECULE_EPHEMERAL_DIRECTORY"
  (umask 077 && head -c 32 /dev/urandom | base64 > "$f")
fi
cat "$f"
