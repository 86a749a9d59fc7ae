#!/usr/bin/env bash
# The whole test suite, from a fresh clone: the Debian packages it uses (installed as root, else
# the command to install them is printed and the tests that need them skip), install, build,
# typecheck, lint and format check, test. Extra arguments go to vitest (e.g. a file filter).
# Node 22, 24 and 26 (linux-x64) and an arm64 Node 22, fetched from the npm registry once into
# .cache, load the prebuilt binaries (the arm64 one under qemu-aarch64). In CI (CI=true) or with
# SDNODE_ALL_NODES=1 the whole suite also runs again under Node 22, 24 and 26, all but the
# real-systemd tests, whose daemons run on the container's /usr/bin/node.
set -euo pipefail
source "$(dirname "$0")/pnpm.sh"
cd "$REPO_ROOT"
scripts/system-packages.sh
pnpm install --frozen-lockfile
pnpm run build
pnpm run typecheck
pnpm run lint
mkdir -p .cache
rm -f .cache/vitest-*.json

status=0
SDNODE_TEST_NODES="$(scripts/other-nodes.sh || echo "test.sh: no Node 22/24/26; the tests that load them skip" >&2)"
SDNODE_TEST_ARM64_NODE="$(scripts/arm64-node.sh || echo "test.sh: no arm64 node; the test that loads it skips" >&2)"
export SDNODE_TEST_NODES SDNODE_TEST_ARM64_NODE
other_nodes=""
if [ "${CI:-}" = true ] || [ "${SDNODE_ALL_NODES:-}" = 1 ]; then other_nodes="$SDNODE_TEST_NODES"; fi

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
  const t = { passed: 0, failed: 0, skipped: 0, files: 0 };
  for (const f of fs.readdirSync(".cache").filter((f) => /^vitest-.*\.json$/.test(f))) {
    const r = JSON.parse(fs.readFileSync(`.cache/${f}`, "utf8"));
    t.passed += r.numPassedTests; t.failed += r.numFailedTests; t.skipped += r.numPendingTests + r.numTodoTests;
    // A file whose set-up failed reports its tests as skipped, not failed: count it apart.
    t.files += r.testResults.filter((file) => file.status === "failed" && !file.assertionResults.some((a) => a.status === "failed")).length;
  }
  const files = t.files ? `, ${t.files} test file${t.files === 1 ? "" : "s"} failed before their tests` : "";
  console.log(`tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped${files}`);
' || true
exit "$status"
