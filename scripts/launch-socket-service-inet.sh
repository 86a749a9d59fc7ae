#!/usr/bin/env bash
# Mode 3, inetd: like Accept=yes, but each connection is the process's stdin and
# stdout (fds 0 and 1) instead of fd 3. --inet, the spelling of the README and of
# most tutorials, works only as an abbreviation of systemd-socket-activate's --inetd.
#   PORT=3002 ./scripts/launch-socket-service-inet.sh
# Arguments go to the daemon. Builds the workspace first if it has not been built.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-built.sh" socket-service-inet
exec systemd-socket-activate -a --inet -l "${LISTEN:-127.0.0.1:${PORT:-3002}}" node "$main" "$@"
