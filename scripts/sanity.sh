#!/usr/bin/env bash
# ansible-test sanity on the collection, locally (no containers): ansible-test needs the
# collection at .../ansible_collections/iotguard/hardening, so the files git knows about
# (tracked, and new ones not ignored) are copied to such a tree first. The tree lies
# outside the checkout: inside it, ansible-test would take the checkout's git for its own.
# Extra arguments go to ansible-test (e.g. --test pylint).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/iotguard-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
dest=$work/ansible_collections/iotguard/hardening
mkdir -p "$dest"
cd "$top"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | rsync -a --from0 --files-from=- . "$dest/"
# ansible-test installs its own pinned sanity requirements (pylint, voluptuous, ...) into
# the Python it runs with: give it a virtualenv of its own so they never disturb .venv.
venv=$top/.build/sanity-venv
core=$(grep -E '^ansible-core==' "$top/requirements/run.txt")
if [ "$(cat "$venv/.core" 2>/dev/null)" != "$core" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "$core" -r "$top/requirements/run.txt"
  echo "$core" > "$venv/.core"
fi
# ansible-test bootstraps pip in each of its virtualenvs with a script it downloads from a
# site outside the package index; provide our own stand-in at the cached path it looks at.
pipv=$(grep -oE "pip='[0-9.]+'" "$venv"/lib/python*/site-packages/ansible_test/_internal/python_requirements.py | head -n1 | grep -oE '[0-9.]+')
mkdir -p ~/.ansible/test/cache
install -m 0644 "$top/scripts/pip_bootstrap.py" ~/.ansible/test/cache/get_pip_"${pipv//./_}".py
cd "$dest"
py=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --color no --requirements --python "$py" "$@"
