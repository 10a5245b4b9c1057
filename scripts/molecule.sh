#!/usr/bin/env bash
# Runs Molecule scenarios with their full test sequence: the ones named, or every
# molecule/<scenario>/molecule.yml. A scenario that cannot start fails the run.
# MOLECULE_JOBS=N runs up to N scenarios at once (default 1): each scenario has its own
# containers, networks and subnets, so they do not meet; each one's output is printed
# whole when it ends, never interleaved. MOLECULE_FIRST="a b" starts those scenarios first
# (the longest ones, so that the others fill the second slot meanwhile).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/containers/containers.conf}
jobs=${MOLECULE_JOBS:-1}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "molecule: MOLECULE_JOBS must be a positive number, not '$jobs'" >&2; exit 2; }
if [ $# -gt 0 ] && [ -n "$1" ]; then
  scenarios=("$@")
else
  mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -rn1 basename | sort)
  scenarios=()
  for s in ${MOLECULE_FIRST:-}; do
    [[ " ${found[*]} " == *" $s "* ]] && scenarios+=("$s")
  done
  for s in "${found[@]}"; do
    [[ " ${scenarios[*]:-} " == *" $s "* ]] || scenarios+=("$s")
  done
fi
if [ ${#scenarios[@]} -eq 0 ]; then
  echo "molecule: no scenario found under molecule/" >&2
  exit 1
fi
logs=$top/.build/molecule-logs
mkdir -p "$logs"

run_one() {
  local s=$1 start rc
  start=$(date +%s)
  if [ "$jobs" -eq 1 ]; then
    echo "--> molecule scenario $s"
    molecule test -s "$s" 2>&1 | tee "$logs/$s.log"; rc=${PIPESTATUS[0]}
  else
    molecule test -s "$s" > "$logs/$s.log" 2>&1; rc=$?
    echo "--> molecule scenario $s"
    cat "$logs/$s.log"
  fi
  if [ $rc -eq 0 ]; then
    echo "<-- molecule scenario $s passed in $(( $(date +%s) - start ))s"
  else
    echo "<-- molecule scenario $s FAILED after $(( $(date +%s) - start ))s"
    echo "$s" >> "$logs/failed"
    python3 scripts/play_why.py "$logs/$s.log" > "$logs/$s.why" || true
  fi
}

: > "$logs/failed"
rm -f "$logs"/*.why
declare -a running=()
for s in "${scenarios[@]}"; do
  if [ ! -f "molecule/$s/molecule.yml" ]; then
    echo "molecule: no scenario molecule/$s" >&2
    echo "$s" >> "$logs/failed"
    continue
  fi
  if [ "$jobs" -eq 1 ]; then
    run_one "$s"
    continue
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$s" &
done
wait
mapfile -t failed < "$logs/failed"
if [ ${#failed[@]} -gt 0 ]; then
  # the task or test that failed each one (scripts/play_why.py), where the run's tail shows it
  for s in "${failed[@]}"; do
    [ -s "$logs/$s.why" ] || continue
    echo "why scenario $s failed:"
    sed "s/^/  why| /" "$logs/$s.why"
  done
  echo "molecule: failed scenarios: ${failed[*]}" >&2
  exit 1
fi
