#!/usr/bin/env bash
# Builds localhost/iotguard-base:bookworm with debootstrap and `podman import` when it
# is missing or containers/base-image.packages (or this script) changed. No registry is
# needed: the image is made from Debian packages with the controller's own apt mirror.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
image=${IMAGE:-localhost/iotguard-base:bookworm}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$top/containers/containers.conf}

pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/containers/base-image.packages" | sort -u | paste -sd, -)
want=$(printf '%s\n' "$pkgs" | cat - "$0" | sha256sum | cut -c1-16)
have=$(podman image inspect --format '{{ index .Labels "org.iotguard.pkghash" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$want" ]; then
  echo "build-image: $image is current ($want)"
  exit 0
fi

# The controller's Debian mirror, as apt is configured, so that this works wherever apt does.
mirror=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/iotguard-rootfs.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
echo "build-image: debootstrap bookworm with: $pkgs"
start=$(date +%s)
debootstrap --variant=minbase --include="$pkgs" bookworm "$rootfs" ${mirror:+"$mirror"} >"$rootfs.log" 2>&1 || {
  tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# No host keys in the image: each container makes its own when it starts.
rm -f "$rootfs"/etc/ssh/ssh_host_*
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | podman import \
  --change "LABEL org.iotguard.pkghash=$want" \
  --change 'CMD ["/bin/sh", "-c", "ssh-keygen -A >/dev/null && mkdir -p /run/sshd && /usr/sbin/sshd && exec sleep infinity"]' \
  - "$image" >/dev/null
echo "build-image: built $image ($want) in $(( $(date +%s) - start ))s"
