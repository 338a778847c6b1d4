#!/usr/bin/env bash
# Decides the accelerator for test VMs and prints it (kvm or tcg).
#   probe-kvm.sh [auto|kvm|tcg]
# auto: kvm only if /dev/kvm opens read-write AND the test guest actually boots under it.
# Nested KVM on some hosts starts QEMU fine but the Debian kernel hangs early in boot
# (seen: stuck in the decompressor, or `failed to set MSR 0x10a` with -cpu host), so the
# result of one trial boot is cached in $QMPIPE_CACHE/guest/ per host kernel, QEMU
# and guest kernel. kvm: kvm if /dev/kvm is usable (the guest may still not boot).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/../lib.sh"
QMPIPE_COMPONENT=kvm-probe
mode="${1:-auto}"

kvm_usable() { [[ -c /dev/kvm ]] && { exec 3<>/dev/kvm; } 2>/dev/null && exec 3>&-; }

case "$mode" in
  tcg) echo tcg; exit 0 ;;
  kvm) kvm_usable || die "/dev/kvm missing or not read-writable"; echo kvm; exit 0 ;;
  auto) ;;
  *) die "accel must be auto, kvm or tcg (got $mode)" ;;
esac
kvm_usable || { log "/dev/kvm not usable: using TCG"; echo tcg; exit 0; }

import_vars "$(bash "$here/build-guest.sh")" GUEST_KERNEL GUEST_INITRD GUEST_KVER
key="$(printf '%s|%s|%s' "$(uname -r)" "$(qemu-system-x86_64 --version | head -1)" "$GUEST_KVER" | sha256sum | cut -c1-12)"
cache="$QMPIPE_CACHE/guest/kvm-probe-$key"
if [[ ! -f "$cache" ]]; then
  timeout_s="${QMPIPE_KVM_PROBE_TIMEOUT:-15}"
  tmp="$(mktemp -d)"
  t0="$(now)"
  qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot -accel kvm \
    -cpu host,-arch-capabilities -m 160 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
    -append "console=ttyS0 panic=1 qmpipe.seconds=0" -serial "file:$tmp/console.log" \
    </dev/null >"$tmp/qemu.log" 2>&1 &
  qpid=$!
  result=hangs
  deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    grep -q '^qmpipe-guest: ready' "$tmp/console.log" 2>/dev/null && { result=boots; break; }
    kill -0 "$qpid" 2>/dev/null || { result="fails: $(tail -1 "$tmp/qemu.log")"; break; }
    sleep 0.2
  done
  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  rm -rf "$tmp"
  echo "$result" >"$cache"
  log "trial KVM boot: $result (after $(elapsed "$t0")s; cached in $cache)"
fi
if [[ "$(cat "$cache")" == boots ]]; then
  echo kvm
else
  log "KVM is present but the test guest does not boot under it ($(cat "$cache")): using TCG"
  echo tcg
fi
