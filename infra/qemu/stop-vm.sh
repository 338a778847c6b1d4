#!/usr/bin/env bash
# Stops a test VM started by start-vm.sh: kills only its recorded QEMU pid, detaches only
# its own loop device, and removes its run files (logs stay in $QMPIPE_LOG_DIR).
#   stop-vm.sh NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
name="${1:?usage: stop-vm.sh NAME}"
valid_name "$name" || die "not a VM name: '$name' (1-40 of [A-Za-z0-9_-])"
QMPIPE_COMPONENT="vm $name"
vmdir="$QMPIPE_RUN_DIR/vm/$name"
[[ -f "$vmdir/vm.env" ]] || { log "not running (no $vmdir/vm.env)"; rm -rf "$vmdir"; exit 0; }
load_env "$vmdir/vm.env"
# The operator socket path is unique to this VM and appears in QEMU's command line.
stop_pidfile "$vmdir/qemu.pid" "$VM_QMP_OPERATOR" 10
if [[ -n "${VM_LOOP:-}" ]]; then
  back="$(losetup -n -O BACK-FILE "$VM_LOOP" 2>/dev/null | sed 's/ *$//' || true)"
  if [[ "$back" == "$VM_BACKING_FILE" || "$back" == "$VM_BACKING_FILE (deleted)" ]]; then
    losetup -d "$VM_LOOP" || log "could not detach $VM_LOOP"
  else
    log "$VM_LOOP is no longer attached to $VM_BACKING_FILE; leaving it alone"
  fi
fi
rm -f "$VM_QMP_AGENT" "$VM_QMP_OPERATOR"
rm -rf "$vmdir"
log "stopped"
