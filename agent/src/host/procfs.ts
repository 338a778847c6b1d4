/**
 * What names a QEMU process on this host, read from procfs (the agent runs on the
 * hypervisor, in the host's PID namespace):
 *
 *   /proc/<tid>/stat                 field 22 (starttime): clock ticks after boot when
 *                                    the thread started; a new QEMU has new vCPU threads
 *   /proc/sys/kernel/random/boot_id  changes with every boot (a tid and a start time
 *                                    can repeat after a reboot)
 *
 * A vCPU thread id comes from query-cpus-fast; /proc/<tid> resolves thread ids too.
 * Unreadable (no such thread, another PID namespace, no /proc) → undefined, never an
 * error: the instance id then falls back to the thread ids (sample/identity.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QemuProcess } from '../sample/identity.js';

/** Field 22 of a /proc/<pid>/stat line. The command name (field 2) may hold spaces and ')'. */
export function statStartTime(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After "pid (comm)": field 3 (state) is the first; starttime is field 22.
  const fields = stat.slice(close + 2).split(' ');
  const v = fields[22 - 3];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
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
