#!/usr/bin/env bash
# Mode 1, a listening socket passed in: systemd-socket-activate listens on LISTEN
# (default 127.0.0.1:$PORT, PORT default 3000) and, at the first connection, execs
# socket-service in its own place with the listening socket as fd 3.
#   PORT=3000 ./scripts/launch-socket-service.sh [--idle-timeout=SECONDS]
# Arguments go to the daemon. systemd-socket-activate rebuilds the environment, so
# the variables the daemon reads (IDLE_TIMEOUT, SOCKET_SERVICE_CONFIG, and NOTIFY_SOCKET and the watchdog's
# when this script is itself run as a service) are passed on with -E when set.
# Builds the workspace first if it has not been built.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ensure-built.sh" socket-service
pass=()
for name in IDLE_TIMEOUT SOCKET_SERVICE_CONFIG NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID; do
  if [ -n "${!name+set}" ]; then pass+=(-E "$name"); fi
done
exec systemd-socket-activate -l "${LISTEN:-127.0.0.1:${PORT:-3000}}" "${pass[@]}" node "$main" "$@"
