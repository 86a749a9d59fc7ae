#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, build, typecheck, lint and format check, test.
# Extra arguments go to vitest (e.g. a file filter). In CI (CI=true) or with
# SDNODE_ALL_NODES=1 the suite runs again under Node 22 and 24 (fetched from the
# npm registry into .cache/nodes), all but the real-systemd tests, whose daemons
# run on the container's /usr/bin/node; and an arm64 Node loads the arm64
# prebuilt under qemu-aarch64.
set -euo pipefail
source "$(dirname "$0")/pnpm.sh"
cd "$REPO_ROOT"
pnpm install --frozen-lockfile
pnpm run build
pnpm run typecheck
pnpm run lint
mkdir -p .cache
rm -f .cache/vitest-*.json

status=0
other_nodes=""
if [ "${CI:-}" = true ] || [ "${SDNODE_ALL_NODES:-}" = 1 ]; then
  other_nodes="$(scripts/other-nodes.sh)"
  export SDNODE_TEST_NODES="$other_nodes"
  SDNODE_TEST_ARM64_NODE="$(scripts/arm64-node.sh)"
  export SDNODE_TEST_ARM64_NODE
fi

run_suite() { # label, vitest args…
  local label="$1"; shift
  echo "== tests on $label ($(node --version))"
  ./node_modules/.bin/vitest run --reporter=default --reporter=json \
    --outputFile.json=".cache/vitest-$label.json" "$@" || status=$?
}

run_suite node20 "$@"
IFS=: read -r -a nodes <<<"$other_nodes"
for node in "${nodes[@]}"; do
  [ -x "$node" ] || continue
  PATH="$(dirname "$node"):$PATH" run_suite "$(basename "$(dirname "$(dirname "$node")")")" --exclude 'test/systemd/**' "$@"
done

# One plain summary line that any CI can read.
node -e '
  const fs = require("node:fs");
  const t = { passed: 0, failed: 0, skipped: 0 };
  for (const f of fs.readdirSync(".cache").filter((f) => /^vitest-.*\.json$/.test(f))) {
    const r = JSON.parse(fs.readFileSync(`.cache/${f}`, "utf8"));
    t.passed += r.numPassedTests; t.failed += r.numFailedTests; t.skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
' || true
exit "$status"
