# shellcheck shell=bash
# Shared helpers for the infra/ scripts. Source it; it defines paths and functions only.
#
# Paths (override with the env var in brackets):
#   QMPIPE_ROOT      repo root
#   QMPIPE_CACHE     downloaded jars, built guest            [.cache]
#   QMPIPE_RUN_DIR   pid files, configs, data, sockets, logs [.run]
#   QMPIPE_LOG_DIR   component logs                          [$QMPIPE_RUN_DIR/logs]
# Everything listens on 127.0.0.1 on ports picked free at start-up.

QMPIPE_ROOT="${QMPIPE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
QMPIPE_CACHE="${QMPIPE_CACHE:-$QMPIPE_ROOT/.cache}"
QMPIPE_RUN_DIR="${QMPIPE_RUN_DIR:-$QMPIPE_ROOT/.run}"
QMPIPE_LOG_DIR="${QMPIPE_LOG_DIR:-$QMPIPE_RUN_DIR/logs}"
export QMPIPE_ROOT QMPIPE_CACHE QMPIPE_RUN_DIR QMPIPE_LOG_DIR

KAFKA_LIB="$QMPIPE_CACHE/kafka/lib"
S3PROXY_LIB="$QMPIPE_CACHE/s3proxy/lib"
STACK_ENV="$QMPIPE_RUN_DIR/stack.env"

log() { printf '[%s] %s\n' "${QMPIPE_COMPONENT:-infra}" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "${QMPIPE_COMPONENT:-infra}" "$*" >&2; exit 1; }

# Seconds since the epoch with milliseconds, for stage timings.
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# elapsed START -> "12.3" seconds since START.
elapsed() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# A TCP port that is free on 127.0.0.1 right now (the kernel picks it).
# N (default 1) distinct free loopback ports, space-separated: all are held open together,
# so none is handed out twice.
free_port() {
  node -e "
    const net = require('net');
    const ss = Array.from({ length: Number('${1:-1}') }, () => net.createServer());
    Promise.all(ss.map((s) => new Promise((r) => s.listen(0, '127.0.0.1', r)))).then(() => {
      process.stdout.write(ss.map((s) => s.address().port).join(' '));
      ss.forEach((s) => s.close());
    });"
}

random_hex() { od -An -N"${1:-16}" -tx1 /dev/urandom | tr -d ' \n'; }

# valid_name NAME: a VM name becomes a path segment under the run dir (rm -rf'd on stop):
# 1-40 of [A-Za-z0-9_-], so never '/', '.' or '..'.
valid_name() { [[ "$1" =~ ^[A-Za-z0-9_-]{1,40}$ ]]; }

# load_env FILE [export]: sets KEY to VALUE for each KEY=VALUE line of FILE (KEY of
# [A-Z][A-Z0-9_]*), read literally: nothing in the file runs, spaces and $(...) included.
# The env files (vm.env, stack.env) are data; they are never `source`d.
load_env() {
  local file="$1" mode="${2:-}" line
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || continue
    printf -v "${BASH_REMATCH[1]}" '%s' "${BASH_REMATCH[2]}"
    [[ "$mode" == export ]] && export "${BASH_REMATCH[1]}"
  done <"$file"
  return 0
}

# import_vars TEXT KEY...: like load_env for the KEY=VALUE lines of TEXT (a script's
# output, e.g. build-guest.sh), only for the KEYs named; instead of eval.
import_vars() {
  local text="$1" line key
  shift
  while IFS= read -r line; do
    [[ "$line" =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || continue
    for key in "$@"; do
      [[ "$key" == "${BASH_REMATCH[1]}" ]] && printf -v "$key" '%s' "${BASH_REMATCH[2]}"
    done
  done <<<"$text"
  return 0
}

# write_private FILE: stdin to FILE, readable by its owner only (stack.env holds passwords).
write_private() {
  (umask 077 && cat >"$1")
  chmod 600 "$1"
}

# short_socket_dir: for unix socket paths that must stay under ~107 bytes when the run
# dir's path is long: $dir/qmp under one random /tmp/qmpipe-XXXXXXXX per run dir (recorded
# in $QMPIPE_RUN_DIR/short-socket-dir), which must be our own 0700 directory: root QEMUs
# must not bind sockets in a path someone else could have planted.
short_socket_dir() {
  local rec="$QMPIPE_RUN_DIR/short-socket-dir" dir
  mkdir -p "$QMPIPE_RUN_DIR"
  if [[ -s "$rec" ]]; then
    dir="$(cat "$rec")"
    [[ -e "$dir" || -L "$dir" ]] || { mkdir -m 0700 "$dir" || die "cannot create $dir"; }
  else
    dir="$(mktemp -d /tmp/qmpipe-XXXXXXXX)"
    printf '%s\n' "$dir" >"$rec"
  fi
  [[ -d "$dir" && ! -L "$dir" && -O "$dir" ]] || die "$dir is not our own directory; not putting sockets there"
  chmod 700 "$dir"
  printf '%s' "$dir/qmp"
}

# True when PID is alive and its command line contains MARK (guards against pid reuse).
pid_matches() {
  local pid="$1" mark="$2"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

# stop_pidfile PIDFILE MARK [TIMEOUT_S]: TERM the recorded pid (only if it still is ours),
# KILL it after TIMEOUT_S, then remove the pid file.
stop_pidfile() {
  local pidfile="$1" mark="$2" timeout="${3:-20}" pid i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if pid_matches "$pid" "$mark"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      pid_matches "$pid" "$mark" || break
      sleep 0.1
    done
    if pid_matches "$pid" "$mark"; then
      log "pid $pid did not stop in ${timeout}s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# start_bg NAME LOGFILE CMD...: start CMD detached (own session, no inherited fds, so a
# caller such as vitest's spawnSync is not kept waiting) and print its pid.
start_bg() {
  local name="$1" logfile="$2"
  shift 2
  mkdir -p "$(dirname "$logfile")"
  [[ -s "$logfile" ]] && mv -f "$logfile" "$logfile.1"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  local pid=$!
  printf '%s' "$pid"
  log "started $name (pid $pid, log $logfile)"
}

# Extra JVM flags: a small heap and fast start-up (C1 only) suit a 2-core test machine.
jvm_opts() {
  printf '%s' "-Xms128m -Xmx${1:-512m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"
}
