#!/usr/bin/env bash
# Starts Debian's Alertmanager (/usr/bin/prometheus-alertmanager, package
# prometheus-alertmanager) on 127.0.0.1 with an ephemeral port, clustering off and its
# own storage under $QMPIPE_RUN_DIR/alertmanager, and waits until /-/ready answers 200.
# Prints ALERTMANAGER_URL and ALERTMANAGER_PID lines on stdout.
#   QMPIPE_ALERTMANAGER_BIN      binary              [/usr/bin/prometheus-alertmanager]
#   QMPIPE_ALERTMANAGER_TIMEOUT  readiness timeout s [30]
#   QMPIPE_ALERTMANAGER_PORT     port                [a free one] (e.g. to restart on the same URL)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh"
QMPIPE_COMPONENT=alertmanager

bin="${QMPIPE_ALERTMANAGER_BIN:-/usr/bin/prometheus-alertmanager}"
[[ -x "$bin" ]] || die "$bin not found (install Debian's prometheus-alertmanager: bash infra/deps.sh apt)"

dir="$QMPIPE_RUN_DIR/alertmanager"
pidfile="$dir/alertmanager.pid"
if [[ -f "$pidfile" ]] && pid_matches "$(cat "$pidfile")" "$dir/data"; then
  die "already running (pid $(cat "$pidfile")); stop it with infra/alertmanager/stop.sh"
fi
rm -rf "$dir" && mkdir -p "$dir/data" "$QMPIPE_LOG_DIR"
port="${QMPIPE_ALERTMANAGER_PORT:-$(free_port)}"
url="http://127.0.0.1:$port"
logfile="$QMPIPE_LOG_DIR/alertmanager.log"

t0="$(now)"
pid="$(start_bg alertmanager "$logfile" "$bin" \
  --config.file="$here/alertmanager.yml" \
  --storage.path="$dir/data" \
  --web.listen-address="127.0.0.1:$port" \
  --web.external-url="$url" \
  --cluster.listen-address= \
  --log.level=info)"
echo "$pid" >"$pidfile"

# Poll /-/ready until 200, the timeout, or the process exiting (then fail at once).
if ! QMPIPE_WAIT_PID="$pid" node --no-warnings "$QMPIPE_ROOT/infra/httpReady.mjs" alertmanager "$url/-/ready" "${QMPIPE_ALERTMANAGER_TIMEOUT:-30}"; then
  pid_matches "$pid" "$dir/data" || log "Alertmanager exited; last log lines:"$'\n'"$(tail -5 "$logfile")"
  stop_pidfile "$pidfile" "$dir/data" 5
  die "Alertmanager not ready at $url (log $logfile)"
fi
log "ready at $url in $(elapsed "$t0")s (pid $pid)"
printf 'ALERTMANAGER_URL=%s\nALERTMANAGER_PID=%s\n' "$url" "$pid"
