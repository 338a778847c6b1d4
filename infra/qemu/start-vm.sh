#!/usr/bin/env bash
# Starts one test VM: the guest from build-guest.sh writing to /dev/vda at a fixed rate,
# on a thin qcow2 created directly on a loop block device (like qcow2 on an LV), so the
# guest pauses with ENOSPC when the device fills up (werror=enospc) until grow-disk.sh + `cont`.
#
#   start-vm.sh --name NAME [--disk-mib 256] [--backing-mib 96] [--rate 4] [--seconds 0]
#               [--delay 0] [--accel auto|kvm|tcg] [--memory-mib 160] [--no-boot-wait]
#               [--boot-timeout 90] [--uuid UUID] [--no-balloon]
#
# The VM has a virtio-balloon (id balloon0) that asks the guest for its memory figures
# every second (guest-stats-polling-interval=1, what libvirt's <stats period='1'/> sets);
# --no-balloon leaves the device out.
# --disk-mib is the virtual size of the qcow2, --backing-mib the size of the loop device.
# --uuid gives the VM a fixed -uuid (default: a random one), e.g. to restart "the same" VM.
# --no-boot-wait returns once QMP answers (used for a KVM VM whose guest may not boot,
# which still serves query-stats). Writes $QMPIPE_RUN_DIR/vm/NAME/vm.env and prints it:
#   VM_NAME VM_UUID VM_PID VM_ACCEL VM_QMP_AGENT VM_QMP_OPERATOR VM_DISK_MODE (loop|file)
#   VM_LOOP VM_BACKING_FILE VM_DISK_MIB VM_BACKING_MIB VM_CONSOLE_LOG VM_QEMU_LOG VM_BOOT_SECONDS
# Two QMP sockets: a chardev socket serves one client at a time, so the agent gets
# $QMPIPE_QMP_DIR/NAME.qmp (one directory for discovery) and tests/operators get their own.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=vm

name="" disk_mib=256 backing_mib=96 rate=4 seconds=0 delay=0 accel=auto memory_mib=160
boot_wait=1 boot_timeout=90 uuid=""
balloon=(-device virtio-balloon-pci,id=balloon0,guest-stats-polling-interval=1)
while (($#)); do
  case "$1" in
    --name) name="$2"; shift 2 ;;
    --disk-mib) disk_mib="$2"; shift 2 ;;
    --backing-mib) backing_mib="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --delay) delay="$2"; shift 2 ;;
    --accel) accel="$2"; shift 2 ;;
    --memory-mib) memory_mib="$2"; shift 2 ;;
    --no-boot-wait) boot_wait=0; shift ;;
    --boot-timeout) boot_timeout="$2"; shift 2 ;;
    --uuid) uuid="$2"; shift 2 ;;
    --no-balloon) balloon=(); shift ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "$name" =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "--name must be 1-40 of [A-Za-z0-9_-]"
QMPIPE_COMPONENT="vm $name"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (install qemu-system-x86)"

vmdir="$QMPIPE_RUN_DIR/vm/$name"
[[ -e "$vmdir/vm.env" ]] && die "$vmdir/vm.env exists: stop that VM first (infra/qemu/stop-vm.sh $name)"
mkdir -p "$vmdir" "$QMPIPE_LOG_DIR"
# unix socket paths must stay under ~107 bytes; fall back to a short /tmp dir if needed.
qmp_dir="${QMPIPE_QMP_DIR:-$QMPIPE_RUN_DIR/qmp}"
if ((${#qmp_dir} + ${#name} > 90)); then
  qmp_dir="$(short_socket_dir)"
  log "run dir path too long for unix sockets; using $qmp_dir"
fi
mkdir -p "$qmp_dir"
agent_sock="$qmp_dir/$name.qmp"
# Operator sockets live beside, not inside, the agent's discovery directory.
op_dir="$(dirname "$qmp_dir")/qmp-operator"
mkdir -p "$op_dir"
op_sock="$op_dir/$name.qmp"
console_log="$QMPIPE_LOG_DIR/vm-$name.console.log"
qemu_log="$QMPIPE_LOG_DIR/vm-$name.qemu.log"
pidfile="$vmdir/qemu.pid"
backing="$vmdir/backing.img"
if [[ -z "$uuid" ]]; then uuid="$(cat /proc/sys/kernel/random/uuid)"; fi
[[ "$uuid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || die "--uuid must be a lower-case UUID"
rm -f "$agent_sock" "$op_sock" "$console_log"

import_vars "$(bash "$here/build-guest.sh")" GUEST_KERNEL GUEST_INITRD GUEST_KVER
t0="$(now)"

# On any failure below, undo what was set up: our QEMU pid, our loop device, our files.
ok=0 loop="" pid=""
undo() {
  ((ok)) && return 0
  [[ -n "$pid" ]] && pid_matches "$pid" "$op_sock" && kill -KILL "$pid" 2>/dev/null
  [[ -n "$loop" ]] && { sleep 0.2; losetup -d "$loop" 2>/dev/null || true; }
  rm -f "$agent_sock" "$op_sock"
  rm -rf "$vmdir"
}
trap undo EXIT

# Disk: qcow2 straight on a loop device; without loop devices a sparse file-backed qcow2.
truncate -s "${backing_mib}M" "$backing"
if loop="$(losetup --find --show "$backing" 2>"$vmdir/losetup.err")"; then
  disk_mode=loop
  qemu-img create -q -f qcow2 "$loop" "${disk_mib}M"
  storage="driver=host_device,filename=$loop,node-name=lv0-storage"
else
  disk_mode=file
  log "loop devices unavailable ($(cat "$vmdir/losetup.err")); using a file-backed qcow2, so no ENOSPC pause"
  rm -f "$backing"
  qemu-img create -q -f qcow2 "$backing" "${disk_mib}M"
  storage="driver=file,filename=$backing,node-name=lv0-storage"
fi

resolved_accel="$(bash "$here/probe-kvm.sh" "$accel")"
case "$resolved_accel" in
  kvm) cpu="host,-arch-capabilities" ;;
  *) cpu="max" ;;
esac

qemu-system-x86_64 \
  -name "$name" -uuid "$uuid" \
  -nodefaults -no-user-config -display none -no-reboot \
  -accel "$resolved_accel" -cpu "$cpu" -m "$memory_mib" -smp 1 \
  -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
  -append "console=ttyS0 panic=1 loglevel=4 qmpipe.rate=$rate qmpipe.seconds=$seconds qmpipe.delay=$delay" \
  -serial "file:$console_log" \
  -qmp "unix:$agent_sock,server=on,wait=off" \
  -qmp "unix:$op_sock,server=on,wait=off" \
  -blockdev "$storage" \
  -blockdev driver=qcow2,file=lv0-storage,node-name=lv0-format \
  -device virtio-blk-pci,drive=lv0-format,id=vda,werror=enospc \
  "${balloon[@]}" \
  -daemonize -pidfile "$pidfile" >>"$qemu_log" 2>&1 ||
  die "qemu failed to start: $(tail -3 "$qemu_log")"
pid="$(cat "$pidfile")"

write_env() {
  cat >"$vmdir/vm.env" <<EOF
VM_NAME=$name
VM_UUID=$uuid
VM_PID=$pid
VM_ACCEL=$resolved_accel
VM_QMP_AGENT=$agent_sock
VM_QMP_OPERATOR=$op_sock
VM_DISK_MODE=$disk_mode
VM_LOOP=$loop
VM_BACKING_FILE=$backing
VM_DISK_MIB=$disk_mib
VM_BACKING_MIB=$backing_mib
VM_CONSOLE_LOG=$console_log
VM_QEMU_LOG=$qemu_log
VM_BOOT_SECONDS=${1:-}
EOF
}
write_env ""

node "$QMPIPE_ROOT/infra/qemu/qmp.mjs" "$op_sock" query-status --retry --timeout=15 >/dev/null ||
  die "QMP on $op_sock not answering (log $qemu_log)"
boot_s=""
if ((boot_wait)); then
  deadline=$((SECONDS + boot_timeout))
  until grep -q '^qmpipe-guest: ready' "$console_log" 2>/dev/null; do
    pid_matches "$pid" "$op_sock" || die "qemu (pid $pid) exited during boot; see $qemu_log and $console_log"
    ((SECONDS < deadline)) || die "guest did not boot within ${boot_timeout}s ($resolved_accel); see $console_log"
    sleep 0.1
  done
  boot_s="$(elapsed "$t0")"
  log "booted ($resolved_accel) in ${boot_s}s: $(grep -m1 '^qmpipe-guest: ready' "$console_log" | tr -d '\r')"
else
  log "QMP up ($resolved_accel) in $(elapsed "$t0")s; not waiting for the guest to boot"
fi
write_env "$boot_s"
ok=1
cat "$vmdir/vm.env"
