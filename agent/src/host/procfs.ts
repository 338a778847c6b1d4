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
 *                                    (once per connection)
 *   /proc/<pid>/stat                 fields 14, 15 (utime, stime): the whole process's CPU
 *                                    time, every thread's, in clock ticks (USER_HZ); field
 *                                    24 (rss): its resident memory in pages, the sum VmRSS
 *                                    of /proc/<pid>/status prints in kB
 *   /proc/<pid>/task/<tid>/stat      fields 14, 15 of one vCPU thread
 *   /proc/self/auxv                  AT_PAGESZ: the page size (once)
 *
 * The per-tick files stay open between ticks (procFiles.ts). libvirt reads the same fields
 * for `vcpu.N.time` (virProcessGetStatInfo: utime + stime of the thread) and `balloon.rss`
 * (virProcessGetStatInfo: rss × page size), so those figures are libvirt's own.
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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QemuProcess } from '../sample/identity.js';
import type { ProcessStats, QemuThreads } from '../sample/tick.js';
import type { ProcFiles } from './procFiles.js';
import { statusTgid } from './taps.js';

/**
 * Field `n` (1-based, proc(5)) of a /proc/<pid>/stat line, n ≥ 3, when it is a decimal
 * integer. The command name (field 2) may hold spaces and ')', so fields count from the
 * last ')'. Scans in place (no split): a tick parses one line per vCPU thread.
 */
function statField(stat: string, n: number): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "pid (comm) ": field 3 (state) is the first.
  let start = close + 2;
  for (let f = 3; f < n; f++) {
    const space = stat.indexOf(' ', start);
    if (space < 0) return undefined;
    start = space + 1;
  }
  let value = 0;
  let end = start;
  for (; end < stat.length; end++) {
    const c = stat.charCodeAt(end);
    if (c === 32 || c === 10) break;
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
  }
  return end > start && end - start <= 15 ? value : undefined;
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

/** Field 24 of a /proc/<pid>/stat line: the resident set in pages (a kernel thread has 0). */
export function statRssPages(stat: string): number | undefined {
  return statField(stat, 24);
}

/** AT_PAGESZ (type 6) of an auxiliary vector (/proc/self/auxv: 64-bit little-endian type, value pairs). */
export function auxvPageSize(auxv: Buffer): number | undefined {
  for (let i = 0; i + 16 <= auxv.length; i += 16) {
    const type = auxv.readBigUInt64LE(i);
    if (type === 0n) return undefined;
    if (type === 6n) {
      const v = Number(auxv.readBigUInt64LE(i + 8));
      return v >= 1024 && (v & (v - 1)) === 0 ? v : undefined;
    }
  }
  return undefined;
}

let pageSize: number | null | undefined;
/** This host's page size in bytes (read once), null when /proc/self/auxv cannot be read. */
export function hostPageSize(): number | null {
  if (pageSize === undefined) {
    try {
      pageSize = auxvPageSize(readFileSync('/proc/self/auxv')) ?? null;
    } catch {
      pageSize = null;
    }
  }
  return pageSize;
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

function readText(root: string, path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'latin1');
  } catch {
    return undefined;
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
 * One reading of the process's CPU ticks, its RSS and each vCPU thread's ticks, through
 * the files held open in `files`. Undefined when the process's own stat cannot be read (it
 * exited, another PID namespace); a vCPU thread that cannot be read is left out; the RSS is
 * null when the page size is unknown.
 */
export function readProcessStats(threads: QemuThreads, files: ProcFiles, root = '/'): ProcessStats | undefined {
  const stat = files.read(join(root, `proc/${threads.pid}/stat`));
  if (stat === undefined) return undefined;
  const cpu = statCpuTicks(stat);
  if (!cpu) return undefined;
  const rssPages = statRssPages(stat);
  const page = hostPageSize();
  const vcpus: ProcessStats['vcpus'] = [];
  for (const v of threads.vcpus) {
    const t = files.read(join(root, `proc/${threads.pid}/task/${v.tid}/stat`));
    const ticks = t === undefined ? undefined : statCpuTicks(t);
    if (ticks) vcpus.push({ index: v.index, ticks: ticks.user + ticks.system });
  }
  const rssKb = rssPages === undefined || page === null ? null : (rssPages * page) / 1024;
  return { userTicks: cpu.user, systemTicks: cpu.system, rssKb, vcpus };
}
