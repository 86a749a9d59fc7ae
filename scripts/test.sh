#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, build, typecheck, test.
# Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
source "$(dirname "$0")/pnpm.sh"
cd "$REPO_ROOT"
pnpm install --frozen-lockfile
pnpm run build
pnpm run typecheck
mkdir -p .cache
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest.json "$@" || status=$?
# One plain summary line that any CI can read.
node -e '
  const r = require("./.cache/vitest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
