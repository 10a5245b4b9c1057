#!/usr/bin/env bash
# Builds the collection tarball, installs it into an empty collections path and proves
# that what was installed loads: every plugin's documentation and every role's argument
# spec through ansible-doc, from the installed copy, not from the checkout.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dist=.build/dist; clean=.build/installed
rm -rf "$dist" "$clean"; mkdir -p "$dist" "$clean"
ansible-galaxy collection build --force --output-path "$dist" . >/dev/null
tarball=$(ls "$dist"/iotguard-hardening-*.tar.gz)
echo "built $tarball ($(du -h "$tarball" | cut -f1))"

# Nothing meant to stay out of the build is in it.
if tar -tzf "$tarball" | grep -E '^(tests|molecule|inventories/lab|\.ci|\.venv|\.build|scripts|containers)/'; then
  echo "build-collection: the tarball holds files that build_ignore should keep out" >&2
  exit 1
fi

# Dependencies come from the ansible package on this controller (no Galaxy here).
export ANSIBLE_COLLECTIONS_PATH="$top/$clean"
ansible-galaxy collection install --force --no-deps -p "$clean" "$tarball" >/dev/null
installed="$top/$clean/ansible_collections/iotguard/hardening"
[ -f "$installed/MANIFEST.json" ] || { echo "build-collection: nothing installed at $installed" >&2; exit 1; }

checked=0
for kind in module inventory lookup filter action; do
  dir=$kind; [ "$kind" = module ] && dir=modules
  for f in "$installed"/plugins/"$dir"/*.py; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .py); [ "$name" = __init__ ] && continue
    [ "$kind" = action ] && continue  # action plugins are documented by their module
    out=$(ansible-doc -t "$kind" "iotguard.hardening.$name" 2>&1) || { echo "$out" >&2; exit 1; }
    grep -q "installed/ansible_collections/iotguard/hardening" <<<"$out" || {
      echo "build-collection: $kind $name did not load from the installed copy" >&2; exit 1; }
    checked=$((checked + 1))
  done
done
for role in "$installed"/roles/*/; do
  name=$(basename "$role")
  out=$(ansible-doc -t role "iotguard.hardening.$name" 2>&1) || { echo "$out" >&2; exit 1; }
  checked=$((checked + 1))
done
echo "installed into $clean; $checked plugins and roles load from the installed copy"
