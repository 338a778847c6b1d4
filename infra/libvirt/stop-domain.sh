#!/usr/bin/env bash
# Stops a transient domain started by start-domain.sh: destroys only the domain with its
# recorded UUID (a transient domain disappears from libvirt when destroyed), detaches only
# its own loop device and removes its run files (the console log stays in $QMPIPE_LOG_DIR).
#   stop-domain.sh NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
name="${1:?usage: stop-domain.sh NAME}"
valid_name "$name" || die "not a domain name: '$name' (1-40 of [A-Za-z0-9_-])"
QMPIPE_COMPONENT="libvirt-vm $name"
vmdir="$QMPIPE_RUN_DIR/libvirt/vm/$name"
[[ -f "$vmdir/vm.env" ]] || { log "not running (no $vmdir/vm.env)"; rm -rf "$vmdir"; exit 0; }
load_env "$vmdir/vm.env"
if virsh -c qemu:///system domname "$VM_UUID" >/dev/null 2>&1; then
  virsh -c qemu:///system destroy "$VM_UUID" >/dev/null || log "virsh destroy $VM_UUID failed"
fi
if [[ -n "${VM_LOOP:-}" ]]; then
  back="$(losetup -n -O BACK-FILE "$VM_LOOP" 2>/dev/null | sed 's/ *$//' || true)"
  if [[ "$back" == "$VM_BACKING_FILE" || "$back" == "$VM_BACKING_FILE (deleted)" ]]; then
    for _ in 1 2 3 4 5; do losetup -d "$VM_LOOP" 2>/dev/null && break; sleep 0.2; done ||
      log "could not detach $VM_LOOP"
  else
    log "$VM_LOOP is no longer attached to $VM_BACKING_FILE; leaving it alone"
  fi
fi
rm -rf "$vmdir"
log "stopped"
