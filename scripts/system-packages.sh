#!/usr/bin/env bash
# Installs the Debian packages of scripts/system-packages.txt that are missing: as root directly
# (quiet, one apt-get update, nothing at all when everything is there); otherwise prints the one
# command that would install them. Either way it carries on: the tests that need a package that
# is still missing skip, naming it.
set -euo pipefail
missing=()
while read -r package probe; do
  case "$package" in '' | '#'*) continue ;; esac
  if [[ "$probe" == */* ]]; then [ -e "$probe" ] && continue; else command -v "$probe" >/dev/null && continue; fi
  missing+=("$package")
done <"$(dirname "${BASH_SOURCE[0]}")/system-packages.txt"
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-packages: the tests that need these skip; to run them: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# apt's chatter (debconf notes and the like) only when something failed.
if ! log="$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends "${missing[@]}" 2>&1)"; then
  echo "$log" >&2
  echo "system-packages: could not install ${missing[*]}; the tests that need them skip" >&2
fi
