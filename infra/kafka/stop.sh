#!/usr/bin/env bash
# Stops the broker started by start.sh (only its recorded pid) and deletes its storage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=kafka
dir="$QMPIPE_RUN_DIR/kafka"
if [[ -f "$dir/kafka.pid" ]]; then
  stop_pidfile "$dir/kafka.pid" "$dir/server.properties" 30
  log "stopped"
fi
rm -rf "$dir"
