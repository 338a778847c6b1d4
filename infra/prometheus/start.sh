#!/usr/bin/env bash
# Starts Debian's Prometheus (/usr/bin/prometheus, package prometheus; 2.42 in Debian 12)
# as a remote-write receiver (--web.enable-remote-write-receiver: POST /api/v1/write) on
# 127.0.0.1 with an ephemeral port and its own TSDB under $QMPIPE_RUN_DIR/prometheus, and
# waits until /-/ready answers 200. Prints PROMETHEUS_URL and PROMETHEUS_PID lines on stdout.
#   QMPIPE_PROMETHEUS_BIN      binary              [/usr/bin/prometheus]
#   QMPIPE_PROMETHEUS_TIMEOUT  readiness timeout s [30]
#   QMPIPE_PROMETHEUS_PORT     port                [a free one] (to restart it on the same URL)
#   QMPIPE_PROMETHEUS_KEEP     1: keep the TSDB of an earlier start (a restart after an outage)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh"
QMPIPE_COMPONENT=prometheus

bin="${QMPIPE_PROMETHEUS_BIN:-/usr/bin/prometheus}"
[[ -x "$bin" ]] || die "$bin not found (install Debian's prometheus: bash infra/deps.sh apt)"

dir="$QMPIPE_RUN_DIR/prometheus"
pidfile="$dir/prometheus.pid"
if [[ -f "$pidfile" ]] && pid_matches "$(cat "$pidfile")" "$dir/data"; then
  die "already running (pid $(cat "$pidfile")); stop it with infra/prometheus/stop.sh"
fi
[[ "${QMPIPE_PROMETHEUS_KEEP:-0}" == 1 ]] || rm -rf "$dir"
mkdir -p "$dir/data" "$QMPIPE_LOG_DIR"
port="${QMPIPE_PROMETHEUS_PORT:-$(free_port)}"
url="http://127.0.0.1:$port"
logfile="$QMPIPE_LOG_DIR/prometheus.log"

t0="$(now)"
pid="$(start_bg prometheus "$logfile" "$bin" \
  --config.file="$here/prometheus.yml" \
  --storage.tsdb.path="$dir/data" \
  --storage.tsdb.retention.time=1d \
  --web.listen-address="127.0.0.1:$port" \
  --web.external-url="$url" \
  --web.enable-remote-write-receiver \
  --log.level=info)"
echo "$pid" >"$pidfile"

# Poll /-/ready until 200, the timeout, or the process exiting (then fail at once).
if ! QMPIPE_WAIT_PID="$pid" node --no-warnings "$QMPIPE_ROOT/infra/httpReady.mjs" prometheus "$url/-/ready" "${QMPIPE_PROMETHEUS_TIMEOUT:-30}"; then
  pid_matches "$pid" "$dir/data" || log "Prometheus exited; last log lines:"$'\n'"$(tail -5 "$logfile")"
  stop_pidfile "$pidfile" "$dir/data" 5
  die "Prometheus not ready at $url (log $logfile)"
fi
log "ready at $url in $(elapsed "$t0")s (pid $pid; remote write: $url/api/v1/write)"
printf 'PROMETHEUS_URL=%s\nPROMETHEUS_PID=%s\n' "$url" "$pid"
