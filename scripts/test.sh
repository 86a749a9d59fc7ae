#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install, build, typecheck, test.
set -euo pipefail
source "$(dirname "$0")/pnpm.sh"
cd "$REPO_ROOT"
pnpm install --frozen-lockfile
pnpm run build
pnpm run typecheck
pnpm run test "$@"
