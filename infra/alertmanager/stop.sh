#!/usr/bin/env bash
# Stops the Alertmanager started by start.sh (only its recorded pid) and deletes its storage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=alertmanager
dir="$QMPIPE_RUN_DIR/alertmanager"
if [[ -f "$dir/alertmanager.pid" ]]; then
  stop_pidfile "$dir/alertmanager.pid" "$dir/data" 10
  log "stopped"
fi
rm -rf "$dir"
