#!/usr/bin/env bash
# The whole test suite: every stage runs even when an earlier one failed, so that one
# run shows every problem; the exit status is non-zero when any stage failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p .build; : > .build/stages.txt
start=$(date +%s)
failed=0
scripts/stage.sh lint scripts/lint.sh || failed=1
scripts/stage.sh sanity scripts/sanity.sh || failed=1
scripts/stage.sh unit scripts/pytest.sh tests/unit || failed=1
scripts/stage.sh image scripts/build-image.sh || failed=1
scripts/stage.sh integration scripts/pytest.sh tests/integration || failed=1
# two scenarios at a time (they wait on containers and timers more than they compute), the
# longest first
MOLECULE_JOBS=${MOLECULE_JOBS:-2} MOLECULE_FIRST=${MOLECULE_FIRST:-"wireguard openvpn segmentation device_hardening"} \
  scripts/stage.sh molecule scripts/molecule.sh || failed=1
scripts/stage.sh build scripts/build-collection.sh || failed=1
echo
echo "make test summary ($(( $(date +%s) - start ))s in all):"
cat .build/stages.txt
for why in .build/stage-logs/*.why; do
  [ -s "$why" ] || continue
  echo
  echo "why stage $(basename "$why" .why) failed (whole output: .build/stage-logs/):"
  cat "$why"
done
exit $failed
