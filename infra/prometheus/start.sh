#!/usr/bin/env bash
# Starts Debian's Prometheus (/usr/bin/prometheus, package prometheus; 2.42 in Debian 12)
# as a remote-write receiver (--web.enable-remote-write-receiver: POST /api/v1/write) on
# 127.0.0.1 with an ephemeral port and its own TSDB under $QMPIPE_RUN_DIR/prometheus, and
# waits until /-/ready answers 200. Prints PROMETHEUS_URL and PROMETHEUS_PID lines on stdout.
#   QMPIPE_PROMETHEUS_BIN      binary              [/usr/bin/prometheus]
#   QMPIPE_PROMETHEUS_TIMEOUT  readiness timeout s [30]
#   QMPIPE_PROMETHEUS_PORT     port                [a free one] (to restart it on the same URL)
#   QMPIPE_PROMETHEUS_KEEP     1: keep the TSDB of an earlier start (a restart after an outage)
#   QMPIPE_PROMETHEUS_WEB_CONFIG  a --web.config.file (TLS, client certificates, basic auth);
#                              with tls_server_config the URL is https. The readiness check
#                              then authenticates with QMPIPE_READY_CA, QMPIPE_READY_CERT,
#                              QMPIPE_READY_KEY and QMPIPE_READY_BASIC (user:password), if set.
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
web=()
scheme=http
if [[ -n "${QMPIPE_PROMETHEUS_WEB_CONFIG:-}" ]]; then
  [[ -f "$QMPIPE_PROMETHEUS_WEB_CONFIG" ]] || die "QMPIPE_PROMETHEUS_WEB_CONFIG: $QMPIPE_PROMETHEUS_WEB_CONFIG not found"
  web=(--web.config.file="$QMPIPE_PROMETHEUS_WEB_CONFIG")
  grep -q '^tls_server_config:' "$QMPIPE_PROMETHEUS_WEB_CONFIG" && scheme=https
fi
url="$scheme://127.0.0.1:$port"
logfile="$QMPIPE_LOG_DIR/prometheus.log"

t0="$(now)"
pid="$(start_bg prometheus "$logfile" "$bin" \
  --config.file="$here/prometheus.yml" \
  --storage.tsdb.path="$dir/data" \
  --storage.tsdb.retention.time=1d \
  --web.listen-address="127.0.0.1:$port" \
  --web.external-url="$url" \
  --web.enable-remote-write-receiver \
  "${web[@]}" \
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
