#!/usr/bin/env bash
# Stops the S3Proxy started by start.sh (only its recorded pid) and deletes its data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=s3proxy
dir="$QMPIPE_RUN_DIR/s3"
if [[ -f "$dir/s3proxy.pid" ]]; then
  stop_pidfile "$dir/s3proxy.pid" "$dir/s3proxy.conf" 20
  log "stopped"
fi
rm -rf "$dir"
