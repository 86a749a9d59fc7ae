#!/usr/bin/env bash
# Mode 2, Accept=yes: systemd-socket-activate listens on LISTEN (default
# 127.0.0.1:$PORT, PORT default 3001), accepts each connection itself and starts
# one socket-service-accepted process per connection, with the connection as fd 3.
#   PORT=3001 ./scripts/launch-socket-service-accepted.sh
# Arguments go to the daemon. Builds the workspace first if it has not been built.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-built.sh" socket-service-accepted
exec systemd-socket-activate -a -l "${LISTEN:-127.0.0.1:${PORT:-3001}}" node "$main" "$@"
