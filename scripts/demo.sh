#!/usr/bin/env bash
# The three ways of socket activation, one after the other, from a fresh clone:
# installs and builds if needed, starts each launch script on its own loopback
# port (PORT, PORT+1, PORT+2; PORT defaults to 3000), connects to each as a
# client, prints what came back, and stops everything it started.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${PORT:-3000}"
logs="$(mktemp -d)"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap cleanup EXIT

if [ ! -d "$REPO_ROOT/node_modules" ] || [ ! -d "$REPO_ROOT/packages/activation/dist" ] ||
  [ ! -f "$REPO_ROOT/packages/socket-service/dist/main.js" ] ||
  [ ! -f "$REPO_ROOT/packages/socket-service-accepted/dist/main.js" ] ||
  [ ! -f "$REPO_ROOT/packages/socket-service-inet/dist/main.js" ]; then
  echo "demo: installing and building (once)"
  source "$REPO_ROOT/scripts/pnpm.sh"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile && pnpm run build) >"$logs/build.log" 2>&1 ||
    { cat "$logs/build.log" >&2; echo "demo: build failed" >&2; exit 1; }
fi

# One connection as a client: nc when it is installed, else a few lines of node.
connect() {
  if command -v nc >/dev/null 2>&1; then
    nc 127.0.0.1 "$1" </dev/null
  else
    node -e 'require("net").connect(+process.argv[1], "127.0.0.1").on("error", (e) => { console.error(e.message); process.exitCode = 1; }).pipe(process.stdout)' "$1"
  fi
}

run() { # run NAME PORT
  local name="$1" port="$2" log="$logs/$1.log"
  PORT="$port" "$REPO_ROOT/scripts/launch-$name.sh" 2>"$log" &
  pids+=("$!")
  for _ in $(seq 1 100); do
    grep -q "^Listening on" "$log" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; echo "demo: launch-$name.sh failed" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "^Listening on" "$log" || { cat "$log" >&2; echo "demo: launch-$name.sh did not listen" >&2; exit 1; }
  printf '%-24s 127.0.0.1:%s -> %s\n' "$name" "$port" "$(connect "$port")"
}

run socket-service "$base"
run socket-service-accepted "$((base + 1))"
run socket-service-inet "$((base + 2))"
