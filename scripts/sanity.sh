#!/usr/bin/env bash
# ansible-test sanity on the collection, locally (no containers): ansible-test needs the
# collection at .../ansible_collections/iotguard/hardening, so the files git knows about
# (tracked, and new ones not ignored) are copied to such a tree under .build first.
# Extra arguments go to ansible-test (e.g. --test pylint).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$top/.build/sanity/ansible_collections/iotguard/hardening
rm -rf "$dest"; mkdir -p "$dest"
cd "$top"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | rsync -a --from0 --files-from=- . "$dest/"
cd "$dest"
py=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec ansible-test sanity --color no --venv --python "$py" "$@"
