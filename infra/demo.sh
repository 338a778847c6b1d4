#!/usr/bin/env bash
# `npm run demo [-- --replay FILE.jsonl] [--seconds N] [--speed X] [--no-view]`:
# installs what is missing (Debian packages as root, node_modules, Kafka and S3Proxy jars,
# the test guest), builds dist/ when it is stale, starts the local stack (Kafka + S3Proxy)
# unless one is running (its readiness check uses the built kafkajs guards), then runs `qmpipe demo` (demo/): a test VM fills a thin
# qcow2 on a loop device while the agent, the processor and a live view run, the demo
# plays the operator, and at the end it lists the Parquet rollups on S3, queries them
# with DuckDB and writes an HTML report under .run/demo/<time>/.
# Every slow step prints a progress line. Ctrl-C (or an error) stops what this script
# started: `qmpipe demo` stops its VM, agent and processor; the stack is stopped here only
# if this script started it (an already running .run/stack.env stack is left running).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/stack.sh"
QMPIPE_COMPONENT=demo
cd "$QMPIPE_ROOT"

# The time the user's command started, for "time to first alert" (epoch ms).
QMPIPE_DEMO_T0_MS="$(date +%s%3N)"
export QMPIPE_DEMO_T0_MS
own_stack=0
ticker=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n "$ticker" ]] && { kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null; } || true
  ((own_stack)) && stack_down || true
  log "done (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# with_progress LABEL CMD...: runs CMD in the foreground (so Ctrl-C reaches it) and prints
# "LABEL… N s" every 5 s until it ends.
with_progress() {
  local label="$1" rc=0
  shift
  log "$label"
  (s=0; while sleep 5; do s=$((s + 5)); log "$label… ${s} s"; done) &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  ticker=""
  return "$rc"
}

# dist/ is stale when it lacks the demo or any source, schema or build config is newer.
dist_stale() {
  local out="$QMPIPE_ROOT/dist/demo/src/command.js"
  [[ -f "$out" ]] || return 0
  [[ -n "$(find common/src schemas agent/src processor/src alerts/src tools/src demo/src cli/src package.json tsconfig.json tsconfig.build.json \
    -newer "$out" \( -name '*.ts' -o -name '*.avsc' -o -name '*.json' \) -print -quit 2>/dev/null)" ]]
}

t0="$(now)"
with_progress "Debian packages (QEMU, qemu-img, kernel, busybox, JDK, Maven)" bash infra/deps.sh apt
with_progress "node_modules" bash infra/deps.sh node
with_progress "Kafka and S3Proxy jars (Maven Central, first run only)" bash infra/deps.sh jars
with_progress "test guest (host kernel + busybox initramfs)" bash infra/deps.sh guest
if [[ " $* " == *" --libvirt "* ]]; then
  with_progress "libvirt (libvirtd, the QEMU driver, virsh)" bash infra/deps.sh libvirt
fi

if dist_stale; then
  with_progress "building dist/ (tsc)" npm run --silent build
fi

if [[ -f "$STACK_ENV" ]] && stack_status >/dev/null 2>&1; then
  log "reusing the running stack ($STACK_ENV); it stays up afterwards"
else
  own_stack=1
  with_progress "starting Kafka and S3Proxy" stack_up
fi
load_env "$STACK_ENV" export
log "stack: kafka $KAFKA_BROKERS, s3 $S3_ENDPOINT"

log "ready in $(elapsed "$t0")s; starting the demo"

rc=0
NODE_NO_WARNINGS=1 node bin/qmpipe.mjs demo "$@" || rc=$?
exit "$rc"
