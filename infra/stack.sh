# shellcheck shell=bash
# Source-able start/stop of the local stack (Kafka + S3Proxy) for stack-*.sh, demo.sh and
# the vitest global setup. Connection details go to $STACK_ENV (.run/stack.env):
#   KAFKA_BROKERS  S3_ENDPOINT  S3_ACCESS_KEY  S3_SECRET_KEY  S3_REGION  S3_FORCE_PATH_STYLE
#   KAFKA_PID  S3_PID  KAFKA_START_SECONDS  S3_START_SECONDS  QMPIPE_RUN_DIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# stack_up: starts Kafka and S3Proxy in parallel; on any failure stops both and returns 1.
stack_up() {
  local QMPIPE_COMPONENT=stack t0 kafka_out s3_out kpid spid krc=0 src=0 kt st
  mkdir -p "$QMPIPE_RUN_DIR" "$QMPIPE_LOG_DIR"
  if [[ -f "$STACK_ENV" ]]; then
    stack_status >/dev/null 2>&1 && { log "already up ($STACK_ENV); run stack-down.sh first"; return 1; }
    log "clearing a stale $STACK_ENV"
    stack_down
  fi
  t0="$(now)"
  kafka_out="$(mktemp)" s3_out="$(mktemp)"
  { local s; s="$(now)"; bash "$QMPIPE_ROOT/infra/kafka/start.sh" >"$kafka_out" && echo "KAFKA_START_SECONDS=$(elapsed "$s")" >>"$kafka_out"; } &
  kpid=$!
  { local s; s="$(now)"; bash "$QMPIPE_ROOT/infra/s3/start.sh" >"$s3_out" && echo "S3_START_SECONDS=$(elapsed "$s")" >>"$s3_out"; } &
  spid=$!
  wait "$kpid" || krc=$?
  wait "$spid" || src=$?
  if ((krc || src)); then
    rm -f "$kafka_out" "$s3_out"
    stack_down
    log "failed to start:$( ((krc)) && echo ' kafka')$( ((src)) && echo ' s3proxy') (logs in $QMPIPE_LOG_DIR)"
    return 1
  fi
  { cat "$kafka_out" "$s3_out"; echo "QMPIPE_RUN_DIR=$QMPIPE_RUN_DIR"; } | write_private "$STACK_ENV"
  rm -f "$kafka_out" "$s3_out"
  kt="$(sed -n 's/^KAFKA_START_SECONDS=//p' "$STACK_ENV")"
  st="$(sed -n 's/^S3_START_SECONDS=//p' "$STACK_ENV")"
  log "up in $(elapsed "$t0")s (kafka ${kt}s, s3proxy ${st}s); connection details in $STACK_ENV"
}

stack_down() {
  local QMPIPE_COMPONENT=stack
  bash "$QMPIPE_ROOT/infra/kafka/stop.sh" || true
  bash "$QMPIPE_ROOT/infra/s3/stop.sh" || true
  rm -f "$STACK_ENV"
}

# stack_status: prints each component's state; returns 1 unless both answer.
stack_status() {
  local QMPIPE_COMPONENT=stack rc=0
  [[ -f "$STACK_ENV" ]] || { log "down (no $STACK_ENV)"; return 1; }
  load_env "$STACK_ENV"
  if QMPIPE_WAIT_PID="$KAFKA_PID" node "$QMPIPE_ROOT/infra/kafka/wait.mjs" "$KAFKA_BROKERS" 5; then
    log "kafka    up   $KAFKA_BROKERS (pid $KAFKA_PID)"
  else
    log "kafka    DOWN $KAFKA_BROKERS (pid $KAFKA_PID)"; rc=1
  fi
  if QMPIPE_WAIT_PID="$S3_PID" node --no-warnings "$QMPIPE_ROOT/infra/s3/wait.mjs" "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY" 5; then
    log "s3proxy  up   $S3_ENDPOINT (pid $S3_PID)"
  else
    log "s3proxy  DOWN $S3_ENDPOINT (pid $S3_PID)"; rc=1
  fi
  return "$rc"
}
