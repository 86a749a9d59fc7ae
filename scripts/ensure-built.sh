# Sourced by the launch scripts with the daemon's package name: sets REPO_ROOT and
# main (the daemon's built entry point), building the workspace first if needed.
# A closed fd 0, 1 or 2 (`script 1>&- 2>&-`) is reopened on /dev/null: otherwise
# systemd-socket-activate's listening socket lands there instead of on fd 3, and it aborts.
for fd in 0 1 2; do
  [ -e "/proc/self/fd/$fd" ] || eval "exec $fd<>/dev/null"
done
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
main="$REPO_ROOT/packages/$1/dist/main.js"
if [ ! -f "$main" ] || [ ! -d "$REPO_ROOT/packages/activation/dist" ]; then
  source "$REPO_ROOT/scripts/pnpm.sh"
  (cd "$REPO_ROOT" && pnpm install --frozen-lockfile && pnpm run build) >&2
fi
