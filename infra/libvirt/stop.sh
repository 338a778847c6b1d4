#!/usr/bin/env bash
# Stops the libvirtd and virtlogd that infra/libvirt/start.sh started (only their recorded
# pids, and only when start.sh marked them as ours); a daemon that was already running
# before start.sh is left alone. libvirtd is also left running while it still has active
# domains (other users of the machine's one libvirtd), unless --force is given.
# The qemu.conf block stays (start.sh rewrites it idempotently).
#   stop.sh [--force]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=libvirt
force=0
[[ "${1:-}" == --force ]] && force=1
dir="$QMPIPE_RUN_DIR/libvirt"
[[ -d "$dir" ]] || { log "not started from this run dir ($dir)"; exit 0; }

# stop_daemon NAME: TERM our recorded pid (its command line names our config file).
stop_daemon() {
  local name="$1"
  [[ -f "$dir/$name.pid" ]] || return 0
  if [[ "$(cat "$dir/$name.owned" 2>/dev/null)" != 1 ]]; then
    log "$name (pid $(cat "$dir/$name.pid")) was not started by start.sh; leaving it"
    rm -f "$dir/$name.pid" "$dir/$name.owned"
    return 0
  fi
  stop_pidfile "$dir/$name.pid" "$dir/$name.conf" 20
  rm -f "$dir/$name.owned"
  log "stopped $name"
}

if [[ "$(cat "$dir/libvirtd.owned" 2>/dev/null)" == 1 ]] && ((!force)); then
  active="$(virsh -c qemu:///system list --name 2>/dev/null | sed '/^$/d' || true)"
  if [[ -n "$active" ]]; then
    log "libvirtd still has active domains ($(tr '\n' ' ' <<<"$active")); leaving it running (use --force)"
    exit 0
  fi
fi
stop_daemon libvirtd
stop_daemon virtlogd
rm -f "$dir/libvirt.env"
