#!/usr/bin/env bash
# Installs the three sdnode socket/service pairs from units/ and starts their sockets.
#
#   scripts/install-units.sh [--user] [--uninstall] [--no-start] [--repo DIR] [--node PATH] [--dest DIR]
#
#   --user       install for the user manager (~/.config/systemd/user, systemctl --user)
#                instead of the system manager (/etc/systemd/system, needs root)
#   --uninstall  stop the sockets and services and remove the installed unit files
#   --no-start   only write (or remove) the files: no systemctl call at all
#   --repo DIR   the built repository the services run from (default: this one)
#   --node PATH  the node binary (default: `command -v node`, resolved)
#   --dest DIR   where to write the unit files (default: see --user)
#
# The unit files carry two placeholders, @NODE@ and @REPO@, substituted here.
# The services run as a dynamic user with a private /tmp and with /home and /root
# hidden, so the repository (and node, when it lives there) is bound in read-only.
# Sockets (all on loopback): 127.0.0.1:7001 socket-service, :7002
# socket-service-accepted, :7003 socket-service-inet. Exit status non-zero on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
user=0 uninstall=0 start=1 repo="$here" node="" dest=""
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user=1 ;;
    --uninstall) uninstall=1 ;;
    --no-start) start=0 ;;
    --repo) repo="${2:?--repo needs a directory}"; shift ;;
    --repo=*) repo="${1#*=}" ;;
    --node) node="${2:?--node needs a path}"; shift ;;
    --node=*) node="${1#*=}" ;;
    --dest) dest="${2:?--dest needs a directory}"; shift ;;
    --dest=*) dest="${1#*=}" ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-units: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

units=(socket-service.socket socket-service.service
  socket-service-accepted.socket socket-service-accepted@.service
  socket-service-inet.socket socket-service-inet@.service)
sockets=(socket-service.socket socket-service-accepted.socket socket-service-inet.socket)
if [ "$user" = 1 ]; then
  systemctl=(systemctl --user)
  dest="${dest:-${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user}"
else
  systemctl=(systemctl)
  dest="${dest:-/etc/systemd/system}"
fi

if [ "$uninstall" = 1 ]; then
  if [ "$start" = 1 ]; then
    "${systemctl[@]}" disable --now "${sockets[@]}" 2>/dev/null || "${systemctl[@]}" stop "${sockets[@]}" || true
    "${systemctl[@]}" stop socket-service.service 'socket-service-accepted@*.service' 'socket-service-inet@*.service' || true
  fi
  for unit in "${units[@]}"; do rm -f "$dest/$unit"; done
  if [ "$start" = 1 ]; then "${systemctl[@]}" daemon-reload; fi
  echo "install-units: removed ${#units[@]} units from $dest"
  exit 0
fi

repo="$(cd "$repo" && pwd -P)"
if [ -z "$node" ]; then node="$(command -v node)" || { echo "install-units: node not found; use --node PATH" >&2; exit 1; }; fi
node="$(readlink -f "$node")"
[ -x "$node" ] || { echo "install-units: --node $node: expected an executable" >&2; exit 1; }
for pkg in socket-service socket-service-accepted socket-service-inet; do
  if [ ! -f "$repo/packages/$pkg/dist/main.js" ]; then
    echo "install-units: $repo/packages/$pkg/dist/main.js missing: build first (pnpm run build)" >&2
    if [ "$start" = 1 ]; then exit 1; fi
  fi
done
case "$repo" in *[[:space:]]*) echo "install-units: --repo '$repo': expected a path without spaces" >&2; exit 1 ;; esac

# node from a version manager lives under /root or /home, which the units hide: bind it in too.
extra_bind=""
case "$node" in /root/*|/home/*|/run/user/*|/tmp/*|/var/tmp/*) extra_bind="$(dirname "$(dirname "$node")")" ;; esac

mkdir -p "$dest"
for unit in "${units[@]}"; do
  sed -e "s|@NODE@|$node|g" -e "s|@REPO@|$repo|g" "$here/units/$unit" > "$dest/$unit.tmp"
  if [ -n "$extra_bind" ]; then
    sed -i "s|^BindReadOnlyPaths=.*|&\nBindReadOnlyPaths=$extra_bind|" "$dest/$unit.tmp"
  fi
  mv "$dest/$unit.tmp" "$dest/$unit"
done
echo "install-units: wrote ${#units[@]} units to $dest (node $node, repository $repo)"

if [ "$start" = 1 ]; then
  "${systemctl[@]}" daemon-reload
  "${systemctl[@]}" start "${sockets[@]}"
  echo "install-units: listening on 127.0.0.1:7001 (socket-service), :7002 (socket-service-accepted), :7003 (socket-service-inet)"
fi
