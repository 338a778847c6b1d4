/**
 * What names a QEMU process on this host, read from procfs (the agent runs on the
 * hypervisor, in the host's PID namespace):
 *
 *   /proc/<tid>/stat                 field 22 (starttime): clock ticks after boot when
 *                                    the thread started; a new QEMU has new vCPU threads
 *   /proc/sys/kernel/random/boot_id  changes with every boot (a tid and a start time
 *                                    can repeat after a reboot)
 *
 * and what the QEMU process costs, every tick (processStats):
 *
 *   /proc/<tid>/status               Tgid: the process (QEMU's pid) a vCPU thread belongs to
 *   /proc/<pid>/stat                 fields 14, 15 (utime, stime): the whole process's CPU
 *                                    time, every thread's, in clock ticks (USER_HZ)
 *   /proc/<pid>/task/<tid>/stat      the same fields of one vCPU thread
 *   /proc/<pid>/status               VmRSS (kB): the process's resident memory
 *
 * libvirt reads the same files for `vcpu.N.time` (virProcessGetStatInfo: utime + stime of
 * the thread) and `balloon.rss` (qemuGetProcessInfo), so those figures are libvirt's own.
 * Its `cpu.time`, `cpu.user` and `cpu.system` come from the domain's cgroup instead
 * (cpuacct.usage in ns, cpuacct.stat / cpu.stat user and system): that counts every
 * process in the cgroup (QEMU's helpers too) at nanosecond resolution, where the process's
 * utime + stime here count QEMU's threads only, in clock ticks of 10 ms. libvirt falls back
 * to this very /proc/<pid>/stat reading when a domain has no cgroup.
 *
 * A vCPU thread id comes from query-cpus-fast; /proc/<tid> resolves thread ids too.
 * Unreadable (no such thread, another PID namespace, no /proc) → undefined, never an
 * error: the instance id then falls back to the thread ids (sample/identity.ts).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { QemuProcess } from '../sample/identity.js';
import type { ProcessStats, QemuThreads } from '../sample/tick.js';
import { statusTgid } from './taps.js';

/** Field `n` (1-based, proc(5)) of a /proc/<pid>/stat line, n ≥ 3. The command name (field 2) may hold spaces and ')'. */
function statField(stat: string, n: number): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "pid (comm)": field 3 (state) is the first.
  const v = stat.slice(close + 2).split(' ')[n - 3];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n2 = Number(v);
  return Number.isSafeInteger(n2) ? n2 : undefined;
}

/** Field 22 of a /proc/<pid>/stat line: the start time, clock ticks after boot. */
export function statStartTime(stat: string): number | undefined {
  return statField(stat, 22);
}

/** Fields 14 and 15 of a /proc/<pid>/stat line: user and system CPU time in clock ticks. */
export function statCpuTicks(stat: string): { user: number; system: number } | undefined {
  const user = statField(stat, 14);
  const system = statField(stat, 15);
  return user === undefined || system === undefined ? undefined : { user, system };
}

/** `VmRSS:\t  123456 kB` of a /proc/<pid>/status text: the resident memory in KiB (a kernel thread has none). */
export function statusVmRssKb(status: string): number | undefined {
  const m = /^VmRSS:\s*(\d+) kB$/m.exec(status);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Reads the start time of the smallest thread id and the boot id under `root` (default '/'). */
export function readQemuProcess(threadIds: readonly number[], root = '/'): QemuProcess | undefined {
  const ids = threadIds.filter((t) => Number.isSafeInteger(t) && t > 0);
  if (ids.length === 0) return undefined;
  const threadId = Math.min(...ids);
  try {
    const startTime = statStartTime(readFileSync(join(root, 'proc', String(threadId), 'stat'), 'latin1'));
    const bootId = readFileSync(join(root, 'proc/sys/kernel/random/boot_id'), 'latin1').trim();
    if (startTime === undefined || !/^[0-9a-f-]{8,64}$/.test(bootId)) return undefined;
    return { threadId, startTime, bootId };
  } catch {
    return undefined;
  }
}

/**
 * One reused buffer for the per-tick reads: open, one read, close. readFileSync costs about
 * 7 µs of CPU per small /proc file (an fstat and a buffer per call) where this costs about
 * 3 µs (measured on this host, 5000 reads of /proc/<pid>/stat); a tick reads 2 + one per vCPU.
 * A file that fills the buffer is read again whole. Synchronous, so never shared mid-read.
 */
const scratch = Buffer.alloc(4096);

function readText(root: string, path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(join(root, path), 'r');
    const n = readSync(fd, scratch, 0, scratch.length, 0);
    return n < scratch.length ? scratch.toString('latin1', 0, n) : readFileSync(join(root, path), 'latin1');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The QEMU process of these vCPU threads (the Tgid of the smallest), with each vCPU's thread; undefined when unreadable. */
export function readQemuThreads(vcpus: ReadonlyArray<{ index: number; tid: number }>, root = '/'): QemuThreads | undefined {
  const ok = vcpus.filter((v) => Number.isSafeInteger(v.tid) && v.tid > 0 && Number.isSafeInteger(v.index) && v.index >= 0);
  if (ok.length === 0) return undefined;
  const first = ok.reduce((a, b) => (b.tid < a.tid ? b : a));
  const status = readText(root, `proc/${first.tid}/status`);
  const pid = status === undefined ? undefined : statusTgid(status);
  return pid === undefined || pid <= 0 ? undefined : { pid, vcpus: ok.map((v) => ({ index: v.index, tid: v.tid })) };
}

/**
 * One reading of the process's CPU ticks, its RSS and each vCPU thread's ticks. Undefined
 * when the process's own stat cannot be read (it exited, another PID namespace); a vCPU
 * thread that cannot be read is left out, an unreadable VmRSS is null.
 */
export function readProcessStats(threads: QemuThreads, root = '/'): ProcessStats | undefined {
  const stat = readText(root, `proc/${threads.pid}/stat`);
  const cpu = stat === undefined ? undefined : statCpuTicks(stat);
  if (!cpu) return undefined;
  const status = readText(root, `proc/${threads.pid}/status`);
  const rssKb = status === undefined ? undefined : statusVmRssKb(status);
  const vcpus: ProcessStats['vcpus'] = [];
  for (const v of threads.vcpus) {
    const t = readText(root, `proc/${threads.pid}/task/${v.tid}/stat`);
    const ticks = t === undefined ? undefined : statCpuTicks(t);
    if (ticks) vcpus.push({ index: v.index, ticks: ticks.user + ticks.system });
  }
  return { userTicks: cpu.user, systemTicks: cpu.system, rssKb: rssKb ?? null, vcpus };
}
