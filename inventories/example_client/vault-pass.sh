#!/bin/sh
# Prints this client's vault password for ansible (--vault-id <client>@this script); the
# password is never in the repository. Where it comes from, first match wins:
#   IOTGUARD_VAULT_PASSWORD        the CI's secret store (a masked CI variable / secret)
#   IOTGUARD_VAULT_PASSWORD_FILE   a file only its owner can read
#   ~/.config/iotguard/<client>.vault-pass   (<client> = this folder's name), mode 0600
set -eu
client=$(basename "$(cd "$(dirname "$0")" && pwd)")
if [ -n "${IOTGUARD_VAULT_PASSWORD:-}" ]; then
    printf '%s\n' "$IOTGUARD_VAULT_PASSWORD"
    exit 0
fi
file=${IOTGUARD_VAULT_PASSWORD_FILE:-${HOME:-/root}/.config/iotguard/$client.vault-pass}
if [ ! -r "$file" ]; then
    echo "vault-pass.sh: no vault password for client '$client': set IOTGUARD_VAULT_PASSWORD or create $file (mode 0600)" >&2
    exit 1
fi
case $(stat -c %a "$file") in
    600|400) ;;
    *) echo "vault-pass.sh: $file is readable by others (mode $(stat -c %a "$file")): chmod 600 it" >&2; exit 1 ;;
esac
head -n 1 "$file"
