#!/usr/bin/env bash
# Runs the benchmarks under tests/bench/ (each prints its figures: ratios against a peer
# measured in the same run). Not part of `make test`. BENCH=<dir> runs one of them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export PYTHONPATH="$top/.build/collections:$top/tests/lab${PYTHONPATH:+:$PYTHONPATH}"
mapfile -t benches < <(find "tests/bench/${BENCH:-}" -name 'bench_*.py' | sort)
[ ${#benches[@]} -gt 0 ] || { echo "bench: no tests/bench/**/bench_*.py found" >&2; exit 1; }
for b in "${benches[@]}"; do
  echo "==> $b"
  python "$b"
done
