#!/usr/bin/env bash
# Grows a test VM's loop device, as an LV extend + refresh would: the backing file is
# truncated to NEW_MIB and the loop device re-reads its size (`losetup -c`). The guest,
# if paused on ENOSPC, stays paused until someone sends QMP `cont`.
#   grow-disk.sh NAME NEW_MIB
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
name="${1:?usage: grow-disk.sh NAME NEW_MIB}"
new_mib="${2:?usage: grow-disk.sh NAME NEW_MIB}"
valid_name "$name" || die "not a VM name: '$name' (1-40 of [A-Za-z0-9_-])"
[[ "$new_mib" =~ ^[0-9]{1,7}$ ]] || die "NEW_MIB must be a number of MiB"
QMPIPE_COMPONENT="vm $name"
vmdir="$QMPIPE_RUN_DIR/vm/$name"
[[ -f "$vmdir/vm.env" ]] || die "no such VM ($vmdir/vm.env missing)"
load_env "$vmdir/vm.env"
[[ "$VM_DISK_MODE" == loop ]] || { log "file-backed disk grows by itself; nothing to do"; exit 0; }
((new_mib > VM_BACKING_MIB)) || die "new size ${new_mib} MiB must exceed ${VM_BACKING_MIB} MiB"
truncate -s "${new_mib}M" "$VM_BACKING_FILE"
losetup -c "$VM_LOOP"
sed -i "s/^VM_BACKING_MIB=.*/VM_BACKING_MIB=$new_mib/" "$vmdir/vm.env"
log "$VM_LOOP grown to ${new_mib} MiB ($(blockdev --getsize64 "$VM_LOOP") bytes)"
