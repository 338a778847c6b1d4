#!/usr/bin/env bash
# Starts Debian's prometheus-libvirt-exporter (0.2.0) on a free loopback port, against the
# libvirtd of infra/libvirt/start.sh, and waits until /metrics answers. The peer of the
# agent in `npm run bench -- fleet-cost`. Installs the package (infra/deps.sh exporter) when
# missing. Writes $QMPIPE_RUN_DIR/exporter/{exporter.pid,exporter.env} and prints exporter.env:
#   EXPORTER_URL (http://127.0.0.1:PORT/metrics) EXPORTER_PID EXPORTER_LISTEN
# Stop it with infra/exporter/stop.sh (only the recorded pid, checked against its command line).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=exporter

command -v prometheus-libvirt-exporter >/dev/null || bash "$here/../deps.sh" exporter
command -v prometheus-libvirt-exporter >/dev/null || die "prometheus-libvirt-exporter missing after infra/deps.sh exporter"
dir="$QMPIPE_RUN_DIR/exporter"
mkdir -p "$dir" "$QMPIPE_LOG_DIR"
if [[ -f "$dir/exporter.env" ]]; then
  source "$dir/exporter.env"
  pid_matches "$EXPORTER_PID" "--web.listen-address=$EXPORTER_LISTEN" && die "already running (pid $EXPORTER_PID); stop it with infra/exporter/stop.sh"
fi
listen="127.0.0.1:$(free_port)"
pid="$(start_bg prometheus-libvirt-exporter "$QMPIPE_LOG_DIR/exporter.log" \
  prometheus-libvirt-exporter "--web.listen-address=$listen" --libvirt.uri=qemu:///system)"
echo "$pid" >"$dir/exporter.pid"
url="http://$listen/metrics"
deadline=$((SECONDS + ${QMPIPE_EXPORTER_TIMEOUT:-15}))
until node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url"; do
  pid_matches "$pid" "--web.listen-address=$listen" || die "exporter exited: $(tail -3 "$QMPIPE_LOG_DIR/exporter.log")"
  ((SECONDS < deadline)) || die "exporter not answering on $url (log $QMPIPE_LOG_DIR/exporter.log)"
  sleep 0.1
done
printf 'EXPORTER_URL=%s\nEXPORTER_PID=%s\nEXPORTER_LISTEN=%s\n' "$url" "$pid" "$listen" | tee "$dir/exporter.env"
