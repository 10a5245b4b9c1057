#!/usr/bin/env bash
# stage.sh NAME COMMAND...: runs one stage of `make test`, prints its name, result and
# how long it took, and appends a line to .build/stages.txt for the summary. Its output is
# kept in .build/stage-logs/NAME.log; when it fails, the lines that say why (failed tests,
# failed tasks, failed scenarios) go to .build/stage-logs/NAME.why, which the summary of
# `make test` prints last, where a reader of only the run's tail still sees them.
set -uo pipefail
name=$1; shift
mkdir -p "$(dirname "$0")/../.build"
summary="$(dirname "$0")/../.build/stages.txt"
echo "==> stage $name: $*"
logs="$(dirname "$0")/../.build/stage-logs"
mkdir -p "$logs"
rm -f "$logs/$name.why"
start=$(date +%s)
"$@" 2>&1 | tee "$logs/$name.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
  # pytest's summary lines (also inside Molecule's verifier box), Ansible's failed tasks,
  # the scripts' own verdicts; colour codes removed, each line cut at 200 characters
  # (a stage that said why itself, as the Molecule stage does per scenario with "  why| "
  # lines, is quoted from those lines alone)
  if grep -q '^  why| \|^why scenario ' "$logs/$name.log"; then
    grep -E '^  why\| |^why scenario |failed scenarios' "$logs/$name.log" | cut -c1-300 | tail -n 40 > "$logs/$name.why" || true
  else
    sed 's/\x1b\[[0-9;]*m//g' "$logs/$name.log" \
      | grep -E '(^|[│ ])(FAILED|ERROR)[ :]|::test_|fatal: \[|failed scenarios|[0-9]+ (failed|error)' \
      | grep -v 'failed=0' | cut -c1-200 | tail -n 15 > "$logs/$name.why" || true
  fi
fi
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then result=passed; else result="FAILED (exit $rc)"; fi
echo "<== stage $name $result in ${secs}s"
printf '%-12s %-18s %5ss\n' "$name" "$result" "$secs" >> "$summary"
exit $rc
