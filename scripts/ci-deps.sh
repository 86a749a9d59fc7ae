#!/usr/bin/env bash
# System packages the build and the tests need (Debian). Idempotent; needs root.
set -euo pipefail
packages=(gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross libstdc++6-arm64-cross musl-tools qemu-user
  systemd-container netcat-openbsd python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ci-deps: missing ${missing[*]} and not root; install them first" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
