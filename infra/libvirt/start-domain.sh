#!/usr/bin/env bash
# Starts one TRANSIENT libvirt domain (`virsh create`, nothing defined, no qemu:commandline)
# running the test guest of infra/qemu/build-guest.sh: the libvirt equivalent of
# infra/qemu/start-vm.sh. The libvirtd of infra/libvirt/start.sh must be running.
#
#   start-domain.sh --name NAME [--disk-mib 256] [--backing-mib 96] [--rate 4] [--seconds 0]
#                   [--delay 0] [--accel auto|kvm|tcg] [--memory-mib 160] [--vcpus 2]
#                   [--no-interface] [--no-boot-wait] [--boot-timeout 120]
#
# Disk: a thin qcow2 straight on a loop device, `<disk type='block'>` with
# error_policy='enospace' as target vda, so the guest pauses on ENOSPC like start-vm.sh's.
# Network: a tap `<interface type='ethernet'>` (vnetN, no bridge, no guest driver loaded) so
# the domain has interface stats. Writes $QMPIPE_RUN_DIR/libvirt/vm/NAME/{domain.xml,vm.env}
# and prints vm.env:
#   VM_NAME VM_UUID VM_PID VM_ACCEL VM_LOOP VM_BACKING_FILE VM_DISK_MIB VM_BACKING_MIB
#   VM_TAP VM_CONSOLE_LOG VM_DOMAIN_XML VM_BOOT_SECONDS
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=libvirt-vm

name="" disk_mib=256 backing_mib=96 rate=4 seconds=0 delay=0 accel=auto memory_mib=160 vcpus=2
iface=1 boot_wait=1 boot_timeout=120
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
    --vcpus) vcpus="$2"; shift 2 ;;
    --no-interface) iface=0; shift ;;
    --no-boot-wait) boot_wait=0; shift ;;
    --boot-timeout) boot_timeout="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "$name" =~ ^[A-Za-z0-9_-]{1,40}$ ]] || die "--name must be 1-40 of [A-Za-z0-9_-]"
QMPIPE_COMPONENT="libvirt-vm $name"
uri=qemu:///system
virsh -c "$uri" version >/dev/null 2>&1 || die "libvirtd not answering (run infra/libvirt/start.sh)"

vmdir="$QMPIPE_RUN_DIR/libvirt/vm/$name"
[[ -e "$vmdir/vm.env" ]] && die "$vmdir/vm.env exists: stop that domain first (infra/libvirt/stop-domain.sh $name)"
virsh -c "$uri" domuuid "$name" >/dev/null 2>&1 && die "libvirt already has a domain named $name"
mkdir -p "$vmdir" "$QMPIPE_LOG_DIR"
console_log="$QMPIPE_LOG_DIR/libvirt-vm-$name.console.log"
backing="$vmdir/backing.img"
uuid="$(cat /proc/sys/kernel/random/uuid)"
rm -f "$console_log"

import_vars "$(bash "$here/../qemu/build-guest.sh")" GUEST_KERNEL GUEST_INITRD GUEST_KVER
resolved_accel="$(bash "$here/../qemu/probe-kvm.sh" "$accel")"
t0="$(now)"

# On any failure below, undo what was set up: our domain, our loop device, our files.
ok=0 loop="" created=0
undo() {
  ((ok)) && return 0
  ((created)) && virsh -c "$uri" destroy "$uuid" >/dev/null 2>&1
  [[ -n "$loop" ]] && { sleep 0.2; losetup -d "$loop" 2>/dev/null || true; }
  rm -rf "$vmdir"
}
trap undo EXIT

truncate -s "${backing_mib}M" "$backing"
loop="$(losetup --find --show "$backing")" || die "losetup failed (this domain needs a loop device)"
qemu-img create -q -f qcow2 "$loop" "${disk_mib}M"

if [[ "$resolved_accel" == kvm ]]; then
  domtype=kvm cpu="<cpu mode='host-passthrough'><feature policy='disable' name='arch-capabilities'/></cpu>"
else
  domtype=qemu cpu="<cpu mode='maximum'/>"
fi
interface=""
((iface)) && interface="
    <interface type='ethernet'>
      <model type='virtio'/>
      <rom enabled='no'/>
    </interface>"
cat >"$vmdir/domain.xml" <<XML
<domain type='$domtype'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>$memory_mib</memory>
  <vcpu>$vcpus</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_KERNEL</kernel>
    <initrd>$GUEST_INITRD</initrd>
    <cmdline>console=ttyS0 panic=1 loglevel=4 qmpipe.rate=$rate qmpipe.seconds=$seconds qmpipe.delay=$delay</cmdline>
  </os>
  $cpu
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='block' device='disk'>
      <driver name='qemu' type='qcow2' error_policy='enospace'/>
      <source dev='$loop'/>
      <target dev='vda' bus='virtio'/>
    </disk>$interface
    <serial type='file'>
      <source path='$console_log'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
    <memballoon model='virtio'>
      <stats period='1'/>
    </memballoon>
  </devices>
</domain>
XML
virsh -c "$uri" create "$vmdir/domain.xml" >"$vmdir/virsh-create.log" 2>&1 ||
  die "virsh create failed: $(tr '\n' ' ' <"$vmdir/virsh-create.log")"
created=1
pid="$(cat "/run/libvirt/qemu/$name.pid" 2>/dev/null || true)"
tap="$(virsh -c "$uri" domiflist "$name" 2>/dev/null | awk '$2 == "ethernet" { print $1; exit }')"

write_env() {
  cat >"$vmdir/vm.env" <<EOF
VM_NAME=$name
VM_UUID=$uuid
VM_PID=$pid
VM_ACCEL=$resolved_accel
VM_LOOP=$loop
VM_BACKING_FILE=$backing
VM_DISK_MIB=$disk_mib
VM_BACKING_MIB=$backing_mib
VM_TAP=$tap
VM_CONSOLE_LOG=$console_log
VM_DOMAIN_XML=$vmdir/domain.xml
VM_BOOT_SECONDS=${1:-}
EOF
}
write_env ""

boot_s=""
if ((boot_wait)); then
  deadline=$((SECONDS + boot_timeout))
  until grep -q '^qmpipe-guest: ready' "$console_log" 2>/dev/null; do
    [[ "$(virsh -c "$uri" domstate "$uuid" 2>/dev/null)" == running* ]] ||
      die "domain left the running state during boot: $(virsh -c "$uri" domstate --reason "$uuid" 2>&1)"
    ((SECONDS < deadline)) || die "guest did not boot within ${boot_timeout}s ($resolved_accel); see $console_log"
    sleep 0.2
  done
  boot_s="$(elapsed "$t0")"
  log "booted ($resolved_accel) in ${boot_s}s: $(grep -m1 '^qmpipe-guest: ready' "$console_log" | tr -d '\r')"
else
  log "created ($resolved_accel) in $(elapsed "$t0")s; not waiting for the guest to boot"
fi
write_env "$boot_s"
ok=1
cat "$vmdir/vm.env"
