#!/usr/bin/env bash
# Starts a single-node Kafka broker (KRaft, combined broker+controller) on 127.0.0.1 with
# ephemeral ports and fresh storage under $QMPIPE_RUN_DIR/kafka, and waits until a
# kafkajs admin client can list topics. Prints `KAFKA_BROKERS=127.0.0.1:PORT` and
# `KAFKA_PID=...` on stdout. Jars come from infra/deps.sh (Maven Central).
# Tuned for tests: replication factor 1 for the internal topics (so transactions work on one
# broker), few internal partitions, no initial rebalance delay, topics created explicitly.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=kafka

[[ -f "$KAFKA_LIB/kafka_2.13-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml").jar" ]] ||
  die "Kafka jars missing in $KAFKA_LIB (run: bash infra/deps.sh jars)"
command -v java >/dev/null || die "java not found (install a JDK 17+)"

dir="$QMPIPE_RUN_DIR/kafka"
pidfile="$dir/kafka.pid"
if [[ -f "$pidfile" ]] && pid_matches "$(cat "$pidfile")" "$dir/server.properties"; then
  die "already running (pid $(cat "$pidfile")); stop it with infra/kafka/stop.sh"
fi
rm -rf "$dir" && mkdir -p "$dir/data" "$QMPIPE_LOG_DIR"
port="$(free_port)"
cport="$(free_port)"
while [[ "$cport" == "$port" ]]; do cport="$(free_port)"; done
cluster_id="$(node -e "process.stdout.write(require('crypto').randomBytes(16).toString('base64url'))")"

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=16777216
PROPS

t0="$(now)"
jopts=( $(jvm_opts 512m) -Dlog4j.configuration="file:$here/log4j.properties" )
java "${jopts[@]}" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
  -t "$cluster_id" -c "$dir/server.properties" >>"$QMPIPE_LOG_DIR/kafka-format.log" 2>&1 ||
  die "storage format failed; see $QMPIPE_LOG_DIR/kafka-format.log"
pid="$(start_bg kafka "$QMPIPE_LOG_DIR/kafka.log" java "${jopts[@]}" -cp "$KAFKA_LIB/*" kafka.Kafka "$dir/server.properties")"
echo "$pid" >"$pidfile"
if ! QMPIPE_WAIT_PID="$pid" node "$here/wait.mjs" "127.0.0.1:$port" "${QMPIPE_KAFKA_TIMEOUT:-90}"; then
  pid_matches "$pid" "$dir/server.properties" || log "broker exited; last log lines:"$'\n'"$(tail -5 "$QMPIPE_LOG_DIR/kafka.log")"
  die "broker not ready on 127.0.0.1:$port (log $QMPIPE_LOG_DIR/kafka.log)"
fi
log "ready on 127.0.0.1:$port in $(elapsed "$t0")s (pid $pid)"
printf 'KAFKA_BROKERS=127.0.0.1:%s\nKAFKA_PID=%s\nKAFKA_CONTROLLER_PORT=%s\n' "$port" "$pid" "$cport"
