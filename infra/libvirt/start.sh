#!/usr/bin/env bash
# Starts the host's libvirtd (QEMU driver) and virtlogd for tests of the libvirt RPC client,
# and waits until `virsh -c qemu:///system version` answers. Idempotent: a libvirtd (or
# virtlogd) that is already running is reused and marked as not ours, so stop.sh leaves it
# alone; only daemons this script started are recorded as ours.
# Writes $QMPIPE_RUN_DIR/libvirt/libvirt.env and prints it:
#   LIBVIRT_URI LIBVIRT_SOCK LIBVIRTD_PID LIBVIRTD_OWNED (1|0) VIRTLOGD_PID VIRTLOGD_OWNED
#   LIBVIRT_START_SECONDS
# There is one privileged libvirtd per machine (/run/libvirt is fixed), so unlike Kafka it
# is not per run dir. Packages come from infra/deps.sh (step `libvirt`); the daemons run
# without systemd (`-d`), as root, with the settings this test setup needs written into a
# marked block of /etc/libvirt/qemu.conf: QEMU runs as root, no security driver, no cgroups
# (a container without systemd has no delegated cgroup tree).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=libvirt

[[ "$(id -u)" == 0 ]] || die "must run as root (the system libvirtd manages /run/libvirt)"
t0="$(now)"
if ! command -v libvirtd >/dev/null || ! command -v virtlogd >/dev/null || ! command -v virsh >/dev/null; then
  bash "$here/../deps.sh" libvirt
fi
command -v libvirtd >/dev/null || die "libvirtd missing after infra/deps.sh libvirt"

dir="$QMPIPE_RUN_DIR/libvirt"
mkdir -p "$dir" "$QMPIPE_LOG_DIR"
uri="qemu:///system"
sock="/run/libvirt/libvirt-sock"

# The user and groups Debian's build of the QEMU driver resolves at start-up (its compiled-in
# defaults, before qemu.conf is applied), even though QEMU then runs as root. Normally made
# by libvirt-daemon-system, which is not installed here.
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
  useradd -r -g libvirt-qemu -G kvm -d /var/lib/libvirt -s /usr/sbin/nologin -c "Libvirt Qemu" libvirt-qemu

# /etc/libvirt/qemu.conf: our block between markers, replaced on every run; any other
# active setting of the same keys is commented out (libvirt's conf parser takes the first).
conf=/etc/libvirt/qemu.conf
begin="# >>> qmpipe test settings (infra libvirt start.sh) >>>" end="# <<< qmpipe test settings <<<"
mkdir -p /etc/libvirt
touch "$conf"
block="$(printf '%s\n' "$begin" 'user = "root"' 'group = "root"' 'security_driver = "none"' \
  'cgroup_controllers = [ ]' "$end")"
if [[ "$(sed -n "/^$begin\$/,/^$end\$/p" "$conf")" != "$block" ]]; then
  sed -i -e "/^$begin\$/,/^$end\$/d" -e 's/^\(user\|group\|security_driver\|cgroup_controllers\)\b/# (qmpipe) &/' "$conf"
  printf '%s\n' "$block" >>"$conf"
  log "wrote the qmpipe block of $conf"
  # A running libvirtd read the old file: it keeps its settings until restarted.
fi

# running PIDFILE NAME: the pid in PIDFILE if that process is alive (not a zombie) and is NAME.
running() {
  local pid stat
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$2" ]] || return 1
  stat="$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null || echo Z)"
  [[ "$stat" != Z ]] && printf '%s' "$pid"
}

# ensure_daemon NAME SYSTEM_PIDFILE: reuse a running NAME or start one with our config
# (logs to $QMPIPE_LOG_DIR); records PID and OWNED in $dir/NAME.{pid,owned}.
ensure_daemon() {
  local name="$1" syspid="$2" pid cfg="$dir/$1.conf" i
  if pid="$(running "$syspid" "$name")"; then
    if [[ -f "$dir/$name.pid" && "$(cat "$dir/$name.pid")" == "$pid" ]]; then
      log "$name already running (pid $pid, started by this script)"
    else
      echo 0 >"$dir/$name.owned"
      log "$name already running (pid $pid, not ours: reused, stop.sh will leave it)"
    fi
    echo "$pid" >"$dir/$name.pid"
    return 0
  fi
  printf 'log_outputs = "3:file:%s"\n' "$QMPIPE_LOG_DIR/$name.log" >"$cfg"
  [[ -s "$QMPIPE_LOG_DIR/$name.log" ]] && mv -f "$QMPIPE_LOG_DIR/$name.log" "$QMPIPE_LOG_DIR/$name.log.1"
  # -d forks, detaches and writes the system pid file; stdio goes nowhere we wait on.
  "$name" -d -f "$cfg" </dev/null >>"$QMPIPE_LOG_DIR/$name.stderr.log" 2>&1 ||
    die "$name -d failed: $(tail -3 "$QMPIPE_LOG_DIR/$name.stderr.log")"
  for ((i = 0; i < 100; i++)); do
    pid="$(running "$syspid" "$name")" && break
    sleep 0.05
  done
  [[ -n "$pid" ]] || die "$name did not write $syspid; see $QMPIPE_LOG_DIR/$name.log"
  echo "$pid" >"$dir/$name.pid"
  echo 1 >"$dir/$name.owned"
  log "started $name (pid $pid, log $QMPIPE_LOG_DIR/$name.log)"
}

ensure_daemon virtlogd /run/virtlogd.pid
ensure_daemon libvirtd /run/libvirtd.pid

deadline=$((SECONDS + ${QMPIPE_LIBVIRT_TIMEOUT:-30}))
until out="$(virsh -c "$uri" version 2>&1)"; do
  running /run/libvirtd.pid libvirtd >/dev/null ||
    die "libvirtd exited: $(grep -m3 ' error : ' "$QMPIPE_LOG_DIR/libvirtd.log" | tail -3) (log $QMPIPE_LOG_DIR/libvirtd.log)"
  ((SECONDS < deadline)) || die "libvirtd not answering on $sock: $out (log $QMPIPE_LOG_DIR/libvirtd.log)"
  sleep 0.1
done
[[ -S "$sock" ]] || die "libvirtd answers but $sock is not a socket"
secs="$(elapsed "$t0")"
log "ready in ${secs}s: $(tr '\n' ' ' <<<"$out" | tr -s ' ')"
cat >"$dir/libvirt.env" <<EOF
LIBVIRT_URI=$uri
LIBVIRT_SOCK=$sock
LIBVIRTD_PID=$(cat "$dir/libvirtd.pid")
LIBVIRTD_OWNED=$(cat "$dir/libvirtd.owned")
VIRTLOGD_PID=$(cat "$dir/virtlogd.pid")
VIRTLOGD_OWNED=$(cat "$dir/virtlogd.owned")
LIBVIRT_START_SECONDS=$secs
EOF
cat "$dir/libvirt.env"
