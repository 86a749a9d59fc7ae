#!/usr/bin/env bash
# Mode 2, Accept=yes: systemd-socket-activate listens on LISTEN (default
# 127.0.0.1:$PORT, PORT default 3001), accepts each connection itself and starts
# one socket-service-accepted process per connection, with the connection as fd 3.
#   PORT=3001 ./scripts/launch-socket-service-accepted.sh
# Arguments go to the daemon. Builds the workspace first if it has not been built.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
main="$REPO_ROOT/packages/socket-service-accepted/dist/main.js"
if [ ! -f "$main" ] || [ ! -d "$REPO_ROOT/packages/activation/dist" ]; then
  source "$REPO_ROOT/scripts/pnpm.sh"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile && pnpm run build) >&2
fi
exec systemd-socket-activate -a -l "${LISTEN:-127.0.0.1:${PORT:-3001}}" node "$main" "$@"
