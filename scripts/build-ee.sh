#!/usr/bin/env bash
# Builds the execution environment (execution-environment.yml) with ansible-builder and
# podman as localhost/iotguard-ee:<hash>, the hash of everything that goes into it (the EE
# file, the Python pins, the collection's content, the base image); an image with that
# hash already present is reused. Prints the image name on the last line.
# Offline: the wheelhouse is filled on this host with `pip download`, the collection is
# built from the checkout and installed as the last layer (a change to it rebuilds that
# layer only; podman's layer cache keeps the rest).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/containers/containers.conf}
base=$(sed -n 's/^ *name: *\(localhost\/[^ ]*\)$/\1/p' execution-environment.yml | head -n 1)
base_id=$(podman image inspect --format '{{.Id}}' "$base" 2>/dev/null) || {
  echo "build-ee: the base image $base is missing (make image)" >&2; exit 1; }
hash=$( { echo "$base_id"; cat "$0" execution-environment.yml requirements/run.txt;
  find galaxy.yml meta plugins roles playbooks -type f -not -name '*.pyc' | LC_ALL=C sort | xargs cat; } \
  | sha256sum | cut -c1-16)
image=localhost/iotguard-ee:$hash
if podman image exists "$image"; then
  echo "build-ee: $image is current" >&2
  echo "$image"
  exit 0
fi
start=$(date +%s)
work=.build/ee
wheels=.cache/ee-wheels
rm -rf "$work"
mkdir -p "$work/dist" "$wheels"
# The wheelhouse is kept between builds: what it already holds needs no index.
want=(-r requirements/run.txt ansible-runner==2.4.3 bindep pyyaml packaging dumb-init==1.2.5 pip setuptools wheel)
fill() { python -m pip download --quiet --disable-pip-version-check --only-binary :all: -d "$wheels" "$@" "${want[@]}" \
  2> >(grep -v '^WARNING: Location' >&2); }
fill --no-index --find-links "$wheels" 2>/dev/null || {
  echo "build-ee: filling the wheelhouse $wheels (pip download)" >&2; fill; }
ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
ansible-galaxy collection install --force --no-deps -p "$work/collections" "$work"/dist/iotguard-hardening-*.tar.gz >/dev/null
echo "build-ee: ansible-builder build -> $image" >&2
ansible-builder build --file execution-environment.yml --context "$work/context" --tag "$image" \
  --container-runtime podman --verbosity 1 >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2; exit 1; }
echo "build-ee: built $image in $(( $(date +%s) - start ))s" >&2
echo "$image"
