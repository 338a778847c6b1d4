#!/usr/bin/env bash
# Stops the exporter that infra/exporter/start.sh started (its recorded pid only).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=exporter
dir="$QMPIPE_RUN_DIR/exporter"
[[ -f "$dir/exporter.env" ]] || { log "not running (no $dir/exporter.env)"; exit 0; }
source "$dir/exporter.env"
stop_pidfile "$dir/exporter.pid" "--web.listen-address=$EXPORTER_LISTEN" 10
rm -f "$dir/exporter.env"
log "stopped"
