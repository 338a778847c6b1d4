#!/usr/bin/env bash
# Starts a single-node Kafka broker (KRaft, combined broker+controller) on 127.0.0.1 with
# ephemeral ports and fresh storage under $QMPIPE_RUN_DIR/kafka, and waits until a
# kafkajs admin client can list topics. Prints `KAFKA_BROKERS=127.0.0.1:PORT` and
# `KAFKA_PID=...` on stdout. Jars come from infra/deps.sh (Maven Central).
# The same broker also has two secured listeners, for tests of the clients' TLS/SASL options
# (everything else, and inter-broker traffic, stays on PLAINTEXT):
#   SASL_SSL  server TLS + SASL SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN
#             (KAFKA_SASL_SSL_BROKERS, KAFKA_SCRAM_USER/_PASSWORD, KAFKA_PLAIN_USER/_PASSWORD)
#   SSL       mutual TLS, ssl.client.auth=required (KAFKA_SSL_BROKERS)
# A throwaway CA, server and client certificate (EC P-256, PEM) are made per run in
# KAFKA_TLS_DIR: ca.pem, client.pem + client.key (unencrypted PKCS#8), server-keystore.pem.
# Passwords are random per run; all of it also goes to $QMPIPE_RUN_DIR/kafka/security.env.
# Tuned for tests: replication factor 1 for the internal topics (so transactions work on one
# broker), few internal partitions, no initial rebalance delay, topics created explicitly.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=kafka

[[ -f "$KAFKA_LIB/kafka_2.13-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml").jar" ]] ||
  die "Kafka jars missing in $KAFKA_LIB (run: bash infra/deps.sh jars)"
command -v java >/dev/null || die "java not found (install a JDK 17+)"
command -v openssl >/dev/null || die "openssl not found (run: bash infra/deps.sh apt)"

dir="$QMPIPE_RUN_DIR/kafka"
pidfile="$dir/kafka.pid"
if [[ -f "$pidfile" ]] && pid_matches "$(cat "$pidfile")" "$dir/server.properties"; then
  die "already running (pid $(cat "$pidfile")); stop it with infra/kafka/stop.sh"
fi
rm -rf "$dir" && mkdir -p "$dir/data" "$QMPIPE_LOG_DIR"
read -r port cport sport tport <<<"$(free_port 4)" && [[ -n "$tport" ]] || die "could not pick free ports"
# A base64url id may start with '-', which kafka-storage's argument parser takes for an option
# (1 start in 64 failed so): like Kafka's own Uuid.randomUuid, draw again until it does not.
cluster_id="$(node -e "let id; do id = require('crypto').randomBytes(16).toString('base64url'); while (id.startsWith('-')); process.stdout.write(id)")"

# Test PKI for the secured listeners: CA → server cert (SAN 127.0.0.1, localhost) and a client
# cert for mutual TLS. EC P-256 keys make this take well under a second.
t_sec="$(now)"
tls="$dir/tls"
mkdir -p "$tls"
cat >"$tls/ext.cnf" <<'EXT'
[req]
distinguished_name=dn
[dn]
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[server]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
authorityKeyIdentifier=keyid
[client]
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
authorityKeyIdentifier=keyid
EXT
(
  umask 077
  cd "$tls"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config ext.cnf)
  openssl req -x509 "${ec[@]}" -extensions ca -keyout ca.key -out ca.pem -days 30 -subj /CN=qmpipe-test-ca
  for n in server client; do
    openssl req -new "${ec[@]}" -keyout "$n.key" -subj "/CN=qmpipe-test-$n" |
      openssl x509 -req -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ext.cnf -extensions "$n" -out "$n.pem"
  done
  # Kafka's PEM key store: the unencrypted PKCS#8 key and the chain in one file (no ssl.key.password).
  cat server.key server.pem ca.pem >server-keystore.pem
) >>"$QMPIPE_LOG_DIR/kafka-format.log" 2>&1 || die "test certificates: openssl failed; see $QMPIPE_LOG_DIR/kafka-format.log"
scram_user=qmpipe-scram scram_pw="$(random_hex 12)"
plain_user=qmpipe-plain plain_pw="$(random_hex 12)"
security="$(printf '%s\n' "KAFKA_SASL_SSL_BROKERS=127.0.0.1:$sport" "KAFKA_SSL_BROKERS=127.0.0.1:$tport" "KAFKA_TLS_DIR=$tls" \
  "KAFKA_SCRAM_USER=$scram_user" "KAFKA_SCRAM_PASSWORD=$scram_pw" "KAFKA_PLAIN_USER=$plain_user" "KAFKA_PLAIN_PASSWORD=$plain_pw")"
(umask 077 && printf '%s\n' "$security" >"$dir/security.env")

cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL_SSL://127.0.0.1:$sport,SSL://127.0.0.1:$tport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_SSL://127.0.0.1:$sport,SSL://127.0.0.1:$tport
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL
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
# Retention is enforced every second, not every 5 minutes after a 30 s delay, so what a
# production broker does to old-timestamped records within minutes happens within a test,
# every time (processor outputs once carried their event time as record timestamp: the
# broker rolled a segment at the first commit marker and deleted the first output records).
log.retention.check.interval.ms=1000
# Secured listeners (tests of the clients' TLS/SASL options). Both use the same server key
# store; the trust store (the test CA) checks client certificates on the SSL listener.
ssl.keystore.type=PEM
ssl.keystore.location=$tls/server-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$plain_user="$plain_pw";
PROPS
sec_s="$(elapsed "$t_sec")"

t0="$(now)"
jopts=( $(jvm_opts 512m) -Dlog4j.configuration="file:$here/log4j.properties" )
# SCRAM credentials live in the metadata log (KIP-900): added when the storage is formatted.
java "${jopts[@]}" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
  -t "$cluster_id" -c "$dir/server.properties" \
  --add-scram "SCRAM-SHA-512=[name=$scram_user,password=$scram_pw]" \
  --add-scram "SCRAM-SHA-256=[name=$scram_user,password=$scram_pw]" >>"$QMPIPE_LOG_DIR/kafka-format.log" 2>&1 ||
  die "storage format failed; see $QMPIPE_LOG_DIR/kafka-format.log"
pid="$(start_bg kafka "$QMPIPE_LOG_DIR/kafka.log" java "${jopts[@]}" -cp "$KAFKA_LIB/*" kafka.Kafka "$dir/server.properties")"
echo "$pid" >"$pidfile"
if ! QMPIPE_WAIT_PID="$pid" node "$here/wait.mjs" "127.0.0.1:$port" "${QMPIPE_KAFKA_TIMEOUT:-90}"; then
  pid_matches "$pid" "$dir/server.properties" || log "broker exited; last log lines:"$'\n'"$(tail -5 "$QMPIPE_LOG_DIR/kafka.log")"
  die "broker not ready on 127.0.0.1:$port (log $QMPIPE_LOG_DIR/kafka.log)"
fi
log "ready on 127.0.0.1:$port in $(elapsed "$t0")s (pid $pid); SASL_SSL on $sport, SSL (mutual TLS) on $tport, test certificates made in ${sec_s}s"
printf 'KAFKA_BROKERS=127.0.0.1:%s\nKAFKA_PID=%s\nKAFKA_CONTROLLER_PORT=%s\n' "$port" "$pid" "$cport"
printf '%s\n' "$security"
