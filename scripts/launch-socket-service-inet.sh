#!/usr/bin/env bash
# Mode 3, inetd: like Accept=yes, but each connection is the process's stdin and
# stdout (fds 0 and 1) instead of fd 3. systemd-socket-activate spells the option
# --inetd; a plain --inet works only as an abbreviation of it.
#   PORT=3002 ./scripts/launch-socket-service-inet.sh
# Arguments go to the daemon. Builds the workspace first if it has not been built.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
main="$REPO_ROOT/packages/socket-service-inet/dist/main.js"
if [ ! -f "$main" ] || [ ! -d "$REPO_ROOT/packages/activation/dist" ]; then
  source "$REPO_ROOT/scripts/pnpm.sh"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile && pnpm run build) >&2
fi
exec systemd-socket-activate -a --inetd -l "${LISTEN:-127.0.0.1:${PORT:-3002}}" node "$main" "$@"
