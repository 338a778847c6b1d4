#!/usr/bin/env bash
# `npm run demo`: installs what is missing, starts the local stack (Kafka + S3Proxy), shows it
# is healthy, boots a test VM and shows its wr_bytes growing over QMP, then stops everything
# it started (also on Ctrl-C or an error). `--hold` (or QMPIPE_DEMO_HOLD=1) keeps it all
# running until Ctrl-C. An already running stack (.run/stack.env) is reused and left running.
# Later issues replace the middle part with the full pipeline (agent → Kafka → processor → S3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
QMPIPE_COMPONENT=demo
cd "$QMPIPE_ROOT"

hold="${QMPIPE_DEMO_HOLD:-0}"
[[ "${1:-}" == --hold ]] && hold=1
vm_name="demo-vm"
own_stack=0
own_vm=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((own_vm)) && bash infra/qemu/stop-vm.sh "$vm_name" || true
  ((own_stack)) && stack_down || true
  log "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wr_bytes of the VM's disk, from query-blockstats on its QMP socket.
wr_bytes() {
  node infra/qemu/qmp.mjs "$1" query-blockstats |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s).find(x=>String(x.qdev).includes("/vda/"));console.log(b?b.stats.wr_bytes:0)})'
}

t0="$(now)"
bash infra/deps.sh apt node jars guest

if [[ -f "$STACK_ENV" ]] && stack_status 2>/dev/null; then
  log "reusing the running stack ($STACK_ENV)"
else
  [[ -f "$STACK_ENV" ]] && stack_down
  own_stack=1
  stack_up
fi
stack_status
log "connection details ($STACK_ENV):"
grep -E '^(KAFKA_BROKERS|S3_ENDPOINT|S3_REGION)=' "$STACK_ENV" | sed 's/^/    /' >&2

[[ -f "$QMPIPE_RUN_DIR/vm/$vm_name/vm.env" ]] && bash infra/qemu/stop-vm.sh "$vm_name"
own_vm=1
bash infra/qemu/start-vm.sh --name "$vm_name" --rate 4 --seconds 600 --disk-mib 4096 --backing-mib 3072 >/dev/null
source "$QMPIPE_RUN_DIR/vm/$vm_name/vm.env"
log "VM $vm_name ($VM_ACCEL, disk on $VM_DISK_MODE ${VM_LOOP}) writes 4 MiB/s; QMP for the agent: $VM_QMP_AGENT"
for i in 1 2 3 4 5 6; do
  log "t=${i}s  wr_bytes=$(wr_bytes "$VM_QMP_OPERATOR")"
  sleep 1
done
log "everything up and healthy in $(elapsed "$t0")s"

if ((hold)); then
  log "holding; Ctrl-C stops the VM$( ((own_stack)) && echo ' and the stack')"
  while :; do sleep 5; log "wr_bytes=$(wr_bytes "$VM_QMP_OPERATOR")"; done
fi
