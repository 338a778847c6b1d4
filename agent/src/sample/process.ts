/**
 * The QEMU process's procfs reading of one tick (tick.ts ProcessStats, host/procfs.ts) →
 * the Sample's CPU times, pure. Clock ticks are USER_HZ, 100 per second on every Linux
 * architecture the agent runs on (sysconf(_SC_CLK_TCK), which libvirt's
 * virProcessGetStatInfo divides by too): one tick is 10 000 µs.
 *
 * What is reported against libvirt's domstats names (host/procfs.ts has the detail):
 *   cpu.time, cpu.user, cpu.system  utime + stime, utime, stime of the whole QEMU process;
 *                                   libvirt reads its domain cgroup instead (ns, every
 *                                   process of the cgroup), so the figures are close but not
 *                                   equal; libvirt falls back to these when there is no cgroup
 *   vcpu.N.time                     utime + stime of vCPU N's thread: libvirt's own reading
 */
import type { CpuTimes } from '#schemas/types.js';
import type { ProcessStats } from './tick.js';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ). */
export const CLOCK_TICKS_PER_SECOND = 100;
const US_PER_TICK = 1_000_000 / CLOCK_TICKS_PER_SECOND;

/** The CPU times of a procfs reading; null without one. */
export function cpuOf(p: ProcessStats | undefined): CpuTimes | null {
  if (!p) return null;
  return {
    timeUs: (p.userTicks + p.systemTicks) * US_PER_TICK,
    userUs: p.userTicks * US_PER_TICK,
    systemUs: p.systemTicks * US_PER_TICK,
    vcpus: p.vcpus.map((v) => ({ index: v.index, timeUs: v.ticks * US_PER_TICK })),
  };
}
