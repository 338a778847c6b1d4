#!/usr/bin/env bash
# Starts S3Proxy on 127.0.0.1 with an ephemeral port, a filesystem backend under
# $QMPIPE_RUN_DIR/s3/data and SigV4 (or V2) auth with freshly generated credentials, and
# waits until ListBuckets works. Prints S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
# S3_REGION and S3_PID lines on stdout. Jars come from infra/deps.sh (Maven Central).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=s3proxy

version="$(sed -n 's:.*<s3proxy.version>\(.*\)</s3proxy.version>.*:\1:p' "$here/pom.xml")"
[[ -f "$S3PROXY_LIB/s3proxy-$version.jar" ]] || die "S3Proxy jars missing in $S3PROXY_LIB (run: bash infra/deps.sh jars)"
command -v java >/dev/null || die "java not found (install a JDK 17+)"

dir="$QMPIPE_RUN_DIR/s3"
pidfile="$dir/s3proxy.pid"
if [[ -f "$pidfile" ]] && pid_matches "$(cat "$pidfile")" "$dir/s3proxy.conf"; then
  die "already running (pid $(cat "$pidfile")); stop it with infra/s3/stop.sh"
fi
rm -rf "$dir" && mkdir -p "$dir/data" "$QMPIPE_LOG_DIR"
port="$(free_port)"
access_key="qmpipe-$(random_hex 6)"
secret_key="$(random_hex 20)"
endpoint="http://127.0.0.1:$port"

cat >"$dir/s3proxy.conf" <<PROPS
s3proxy.endpoint=$endpoint
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$access_key
s3proxy.credential=$secret_key
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$dir/data
jclouds.identity=$access_key
jclouds.credential=$secret_key
PROPS
chmod 600 "$dir/s3proxy.conf"

t0="$(now)"
jopts=( $(jvm_opts 256m) -Dlogback.configurationFile="$here/logback.xml" )
pid="$(start_bg s3proxy "$QMPIPE_LOG_DIR/s3proxy.log" java "${jopts[@]}" -cp "$S3PROXY_LIB/*" org.gaul.s3proxy.Main --properties "$dir/s3proxy.conf")"
echo "$pid" >"$pidfile"
if ! QMPIPE_WAIT_PID="$pid" node --no-warnings "$here/wait.mjs" "$endpoint" "$access_key" "$secret_key" "${QMPIPE_S3_TIMEOUT:-60}"; then
  pid_matches "$pid" "$dir/s3proxy.conf" || log "S3Proxy exited; last log lines:"$'\n'"$(tail -5 "$QMPIPE_LOG_DIR/s3proxy.log")"
  die "S3Proxy not ready at $endpoint (log $QMPIPE_LOG_DIR/s3proxy.log)"
fi
log "ready at $endpoint in $(elapsed "$t0")s (pid $pid)"
printf 'S3_ENDPOINT=%s\nS3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\nS3_REGION=us-east-1\nS3_FORCE_PATH_STYLE=true\nS3_PID=%s\n' \
  "$endpoint" "$access_key" "$secret_key" "$pid"
