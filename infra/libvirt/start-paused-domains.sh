#!/usr/bin/env bash
# Starts COUNT transient libvirt domains, PAUSED (`virsh create --paused`: QEMU is up, its
# vCPUs never run), for measurements that need many libvirt-managed QEMUs at once (the
# fleet-cost bench). Each: 2 vCPUs (KVM when /dev/kvm opens read-write, so query-stats
# returns real KVM stats; the guest is never run, so nested KVM's boot hang does not
# matter), 64 MiB, one file-backed qcow2 as virtio vda, no network, and a SECOND QMP monitor
# added with <qemu:commandline> (-qmp unix:SOCKET,server=on,wait=off) for a QMP client
# beside libvirt's own monitor. libvirt marks such domains tainted (custom-argv); that is
# expected. The libvirtd of infra/libvirt/start.sh must be running.
#
#   start-paused-domains.sh --group NAME --count N [--first 0] [--vcpus 2] [--memory-mib 64]
#                           [--disk-mib 64] [--accel auto|kvm|tcg]
#
# Domains are named NAME-<i> for i in [first, first+count). Called again with a higher
# --first, it adds domains to the same group. Files: $QMPIPE_RUN_DIR/libvirt/groups/NAME/
# (domain XML and qcow2 per domain; QMP sockets under qmp/, or a short /tmp dir when the
# path is too long for a unix socket). Every domain is appended to domains.tsv as soon as
# libvirt has it (NAME UUID PID QMP_SOCKET), so stop-paused-domains.sh NAME removes all of
# them even after a failure half-way; on failure this script stops the domain it was
# creating and exits non-zero, leaving the earlier ones for stop-paused-domains.sh.
# Prints the new domains' rows of domains.tsv.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=libvirt-paused

group="" count=0 first=0 vcpus=2 memory_mib=64 disk_mib=64 accel=auto
while (($#)); do
  case "$1" in
    --group) group="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --first) first="$2"; shift 2 ;;
    --vcpus) vcpus="$2"; shift 2 ;;
    --memory-mib) memory_mib="$2"; shift 2 ;;
    --disk-mib) disk_mib="$2"; shift 2 ;;
    --accel) accel="$2"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[[ "$group" =~ ^[A-Za-z0-9_-]{1,30}$ ]] || die "--group must be 1-30 of [A-Za-z0-9_-]"
[[ "$count" =~ ^[0-9]+$ && "$first" =~ ^[0-9]+$ ]] || die "--count and --first must be numbers"
QMPIPE_COMPONENT="libvirt-paused $group"
uri=qemu:///system
virsh -c "$uri" version >/dev/null 2>&1 || die "libvirtd not answering (run infra/libvirt/start.sh)"
command -v qemu-img >/dev/null || die "qemu-img missing (infra/deps.sh libvirt)"

kvm_usable() { [[ -c /dev/kvm ]] && { exec 3<>/dev/kvm; } 2>/dev/null && exec 3>&-; }
case "$accel" in
  auto) if kvm_usable; then accel=kvm; else accel=tcg; fi ;;
  kvm) kvm_usable || die "/dev/kvm missing or not read-writable" ;;
  tcg) ;;
  *) die "--accel must be auto, kvm or tcg" ;;
esac
if [[ "$accel" == kvm ]]; then
  domtype=kvm cpu="<cpu mode='host-passthrough'><feature policy='disable' name='arch-capabilities'/></cpu>"
else
  domtype=qemu cpu="<cpu mode='maximum'/>"
fi

dir="$QMPIPE_RUN_DIR/libvirt/groups/$group"
mkdir -p "$dir"
qmp_dir="$dir/qmp"
# unix socket paths must stay under ~107 bytes.
if ((${#qmp_dir} + ${#group} + 12 > 100)); then
  qmp_dir="/tmp/qmpipe-$(printf '%s' "$dir" | sha256sum | cut -c1-10)"
fi
mkdir -p "$qmp_dir"
[[ -f "$dir/qmp-dir" ]] || printf '%s\n' "$qmp_dir" >"$dir/qmp-dir"
touch "$dir/domains.tsv"

t0="$(now)"
current="" created=0
undo() {
  [[ -n "$current" ]] || return 0
  ((created)) && virsh -c "$uri" destroy "$current" >/dev/null 2>&1
  return 0
}
trap undo EXIT

for ((i = first; i < first + count; i++)); do
  name="$group-$i"
  virsh -c "$uri" domuuid "$name" >/dev/null 2>&1 && die "libvirt already has a domain named $name"
  uuid="$(cat /proc/sys/kernel/random/uuid)"
  disk="$dir/$name.qcow2" sock="$qmp_dir/$name.qmp"
  rm -f "$sock"
  qemu-img create -q -f qcow2 "$disk" "${disk_mib}M"
  cat >"$dir/$name.xml" <<XML
<domain type='$domtype' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>$memory_mib</memory>
  <vcpu>$vcpus</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  $cpu
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-qmp'/>
    <qemu:arg value='unix:$sock,server=on,wait=off'/>
  </qemu:commandline>
</domain>
XML
  current="$uuid" created=0
  out="$(virsh -c "$uri" create --paused "$dir/$name.xml" 2>&1)" || die "virsh create $name failed: $out"
  created=1
  pid="$(cat "/run/libvirt/qemu/$name.pid" 2>/dev/null || true)"
  [[ -S "$sock" ]] || { sleep 0.2; [[ -S "$sock" ]]; } || die "$name: no QMP socket at $sock"
  printf '%s\t%s\t%s\t%s\n' "$name" "$uuid" "$pid" "$sock" | tee -a "$dir/domains.tsv"
  current=""
done
log "$count paused $accel domains up in $(elapsed "$t0")s (group $group, $(wc -l <"$dir/domains.tsv") in all)"
