#!/usr/bin/env bash
# Runs Molecule scenarios with their full test sequence: the one named, or every
# molecule/<scenario>/molecule.yml. A scenario that cannot start fails the run.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/containers/containers.conf}
if [ $# -gt 0 ] && [ -n "$1" ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -rn1 basename | sort)
fi
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule: no scenario found under molecule/" >&2
  exit 1
fi
failed=()
for s in "${scenarios[@]}"; do
  [ -f "molecule/$s/molecule.yml" ] || { echo "molecule: no scenario molecule/$s" >&2; failed+=("$s"); continue; }
  start=$(date +%s)
  echo "--> molecule scenario $s"
  if molecule test -s "$s"; then
    echo "<-- molecule scenario $s passed in $(( $(date +%s) - start ))s"
  else
    echo "<-- molecule scenario $s FAILED after $(( $(date +%s) - start ))s"
    failed+=("$s")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "molecule: failed scenarios: ${failed[*]}" >&2
  exit 1
fi
