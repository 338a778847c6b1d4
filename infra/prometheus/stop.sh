#!/usr/bin/env bash
# Stops the Prometheus started by start.sh (only its recorded pid).
#   QMPIPE_PROMETHEUS_KEEP  1: keep its TSDB (to start it again with the same data); else it is deleted
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=prometheus
dir="$QMPIPE_RUN_DIR/prometheus"
if [[ -f "$dir/prometheus.pid" ]]; then
  stop_pidfile "$dir/prometheus.pid" "$dir/data" 10
  log "stopped"
fi
[[ "${QMPIPE_PROMETHEUS_KEEP:-0}" == 1 ]] || rm -rf "$dir"
