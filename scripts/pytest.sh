#!/usr/bin/env bash
# pytest over the given test directories. A directory with no tests yet is reported,
# not hidden: pytest's "no tests collected" (exit 5) fails the stage.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -p no:cacheprovider "$@"
