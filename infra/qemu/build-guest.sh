#!/usr/bin/env bash
# Builds the test guest: the host's Debian kernel plus a tiny initramfs (busybox-static,
# the virtio modules of that kernel, and infra/qemu/guest-init.sh as /init).
# Output, cached by kernel version and init script hash:
#   $QMPIPE_CACHE/guest/<kver>/{vmlinuz,initramfs.cpio.gz}
# Prints `GUEST_KERNEL=... GUEST_INITRD=...` lines on stdout.
# Needs packages linux-image-amd64 and busybox-static (infra/deps.sh installs them).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
QMPIPE_COMPONENT=guest

# Modules we need, in any order; dependencies are resolved from modules.dep.
WANTED=(virtio_pci virtio_blk virtio_balloon)

kernel_version() {
  local k v
  for k in $(ls -1v /boot/vmlinuz-* 2>/dev/null | tac); do
    v="${k#/boot/vmlinuz-}"
    [[ -f "/lib/modules/$v/modules.dep" ]] && { printf '%s' "$v"; return 0; }
  done
  die "no /boot/vmlinuz-<ver> with matching /lib/modules/<ver> (install linux-image-amd64)"
}

# Prints module paths (relative to /lib/modules/<kver>) in load order.
module_order() {
  local kver="$1" dep="/lib/modules/$1/modules.dep" m line path deps d
  local -a order=()
  local -A seen=()
  for m in "${WANTED[@]}"; do
    line="$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$dep" || true)"
    if [[ -z "$line" ]]; then
      # Built into the kernel (=y) is fine: nothing to load.
      grep -qE "/${m}\.ko" "/lib/modules/$kver/modules.builtin" 2>/dev/null || log "module $m not found; skipping"
      continue
    fi
    path="${line%%:*}"
    read -r -a deps <<<"${line#*:}"
    # modules.dep lists a module's dependencies so that the last must be loaded first.
    for ((d = ${#deps[@]} - 1; d >= 0; d--)); do
      [[ -n "${seen[${deps[d]}]:-}" ]] || { order+=("${deps[d]}"); seen[${deps[d]}]=1; }
    done
    [[ -n "${seen[$path]:-}" ]] || { order+=("$path"); seen[$path]=1; }
  done
  printf '%s\n' "${order[@]}"
}

main() {
  local kver busybox init_hash out stamp work p name
  kver="$(kernel_version)"
  busybox="$(command -v busybox || true)"
  [[ -x /bin/busybox ]] && busybox=/bin/busybox
  [[ -n "$busybox" ]] || die "busybox not found (install busybox-static)"
  file -L "$busybox" 2>/dev/null | grep -q 'dynamically' && die "$busybox is dynamically linked (install busybox-static)"
  init_hash="$(cat "$QMPIPE_ROOT/infra/qemu/guest-init.sh" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)"
  out="$QMPIPE_CACHE/guest/$kver"
  stamp="$out/.built-$init_hash"
  if [[ -f "$stamp" && -f "$out/vmlinuz" && -f "$out/initramfs.cpio.gz" ]]; then
    :  # cached
  else
    local t0; t0="$(now)"
    rm -rf "$out" && mkdir -p "$out"
    work="$(mktemp -d)"
    GUEST_WORK="$work"
    trap 'rm -rf "${GUEST_WORK:-}"' EXIT
    mkdir -p "$work"/{bin,dev,proc,sys,tmp,etc,lib/modules}
    cp "$busybox" "$work/bin/busybox"
    install -m 0755 "$QMPIPE_ROOT/infra/qemu/guest-init.sh" "$work/init"
    : >"$work/etc/modules.order"
    while read -r p; do
      [[ -n "$p" ]] || continue
      name="$(basename "$p")"; name="${name%%.ko*}"
      case "$p" in
        *.ko.xz) xz -dc "/lib/modules/$kver/$p" >"$work/lib/modules/$name.ko" ;;
        *.ko.zst) zstd -qdc "/lib/modules/$kver/$p" >"$work/lib/modules/$name.ko" ;;
        *.ko.gz) gzip -dc "/lib/modules/$kver/$p" >"$work/lib/modules/$name.ko" ;;
        *) cp "/lib/modules/$kver/$p" "$work/lib/modules/$name.ko" ;;
      esac
      echo "$name" >>"$work/etc/modules.order"
    done < <(module_order "$kver")
    (cd "$work" && find . -print0 | sort -z | "$busybox" cpio -o -H newc -0 2>/dev/null | gzip -9 >"$out/initramfs.cpio.gz")
    cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
    touch "$stamp"
    log "built guest for kernel $kver in $(elapsed "$t0")s (modules: $(tr '\n' ' ' <"$work/etc/modules.order"))"
  fi
  printf 'GUEST_KERNEL=%s\nGUEST_INITRD=%s\nGUEST_KVER=%s\n' "$out/vmlinuz" "$out/initramfs.cpio.gz" "$kver"
}

main "$@"
