#!/usr/bin/env bash
# stage.sh NAME COMMAND...: runs one stage of `make test`, prints its name, result and
# how long it took, and appends a line to .build/stages.txt for the summary.
set -uo pipefail
name=$1; shift
mkdir -p "$(dirname "$0")/../.build"
summary="$(dirname "$0")/../.build/stages.txt"
echo "==> stage $name: $*"
start=$(date +%s)
"$@"
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ]; then result=passed; else result="FAILED (exit $rc)"; fi
echo "<== stage $name $result in ${secs}s"
printf '%-12s %-18s %5ss\n' "$name" "$result" "$secs" >> "$summary"
exit $rc
