#!/bin/busybox sh
# /init of the qmpipe test guest (busybox only). It loads the virtio modules, then writes
# sequentially to /dev/vda at a fixed rate, and idles. Kernel command line:
#   qmpipe.rate=<MiB/s>   default 4
#   qmpipe.seconds=<N>    how long to write; 0 = don't write      default 0
#   qmpipe.delay=<s>      wait before writing                     default 0
# Writes use O_DIRECT so every MiB reaches QEMU (and its wr_bytes counter) at once.
# Progress goes to the console (ttyS0) as `qmpipe-guest: ...` lines, which
# infra/qemu/start-vm.sh watches for readiness.
/bin/busybox mkdir -p /proc /sys /dev /bin /sbin /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

say() { echo "qmpipe-guest: $*" >/dev/console; }

for m in $(cat /etc/modules.order); do
  insmod "/lib/modules/$m.ko" || say "insmod $m failed"
done

rate=4
seconds=0
delay=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    qmpipe.rate=*) rate="${arg#qmpipe.rate=}" ;;
    qmpipe.seconds=*) seconds="${arg#qmpipe.seconds=}" ;;
    qmpipe.delay=*) delay="${arg#qmpipe.delay=}" ;;
  esac
done

i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -b /dev/vda ]; then
  say "ready vda_bytes=$(($(cat /sys/block/vda/size) * 512)) rate=$rate seconds=$seconds delay=$delay"
else
  say "ready no-vda rate=$rate seconds=$seconds delay=$delay"
  seconds=0
fi

[ "$delay" -gt 0 ] 2>/dev/null && sleep "$delay"

# One burst of $rate MiB per second, then sleep for the rest of that second.
off=0
s=0
while [ "$s" -lt "$seconds" ]; do
  t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
  dd if=/dev/zero of=/dev/vda bs=1M count="$rate" seek="$off" oflag=direct conv=notrunc status=none ||
    say "write error at ${off} MiB"
  off=$((off + rate))
  s=$((s + 1))
  say "wrote ${off} MiB"
  t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
  left=$((100 - (t1 - t0)))
  [ "$left" -gt 0 ] && sleep "$(printf '%d.%02d' $((left / 100)) $((left % 100)))"
done
say "done wrote=${off} MiB"
while :; do sleep 3600; done
