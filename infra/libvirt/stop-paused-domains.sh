#!/usr/bin/env bash
# Stops every domain start-paused-domains.sh recorded for a group: destroys each by its
# recorded UUID (transient domains then vanish from libvirt), removes the group's files and
# QMP sockets. Domains of other groups or users of the same libvirtd are left alone.
#   stop-paused-domains.sh NAME
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
group="${1:?usage: stop-paused-domains.sh GROUP}"
QMPIPE_COMPONENT="libvirt-paused $group"
dir="$QMPIPE_RUN_DIR/libvirt/groups/$group"
[[ -d "$dir" ]] || { log "no group $group (no $dir)"; exit 0; }
n=0
if [[ -f "$dir/domains.tsv" ]]; then
  while IFS=$'\t' read -r name uuid _pid _sock; do
    [[ -n "$uuid" ]] || continue
    if virsh -c qemu:///system domname "$uuid" >/dev/null 2>&1; then
      virsh -c qemu:///system destroy "$uuid" >/dev/null 2>&1 || log "virsh destroy $name ($uuid) failed"
      n=$((n + 1))
    fi
  done <"$dir/domains.tsv"
fi
qmp_dir="$(cat "$dir/qmp-dir" 2>/dev/null || true)"
[[ -n "$qmp_dir" && "$qmp_dir" != "$dir/qmp" && "$qmp_dir" == /tmp/qmpipe-* ]] && rm -rf "$qmp_dir"
rm -rf "$dir"
log "stopped $n domains"
