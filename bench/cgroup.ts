/**
 * CPU cgroups (v1 `cpu` controller) for benchmark children: one group per process, each
 * with the same CFS quota, so a process gets the same share of a core however many run
 * beside it (as long as their sum stays under the machine's cores). Where the controller
 * is not mounted or not writable, `cpuGroups` says why and returns null: the caller runs
 * without quotas and says so in its output.
 */
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

export interface CpuGroup {
  path: string;
  /** Moves a process (all its threads: cgroup.procs, not tasks) into the group. */
  add(pid: number): void;
}

export interface CpuGroups {
  groups: CpuGroup[];
  /** Removes the groups; their processes must have exited (rmdir of a busy group fails, and is retried for a while). */
  remove(): Promise<void>;
}

/** `count` groups at `quotaCores` of a core each, named after this process; null (with why) when the controller is not writable. */
export function cpuGroups(count: number, quotaCores: number, name: string): { groups: CpuGroups } | { unavailable: string } {
  if (!existsSync(join(ROOT, 'cpu.cfs_quota_us'))) return { unavailable: `no cgroup v1 cpu controller at ${ROOT}` };
  const made: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const path = join(ROOT, `qmpipe-bench-${process.pid}-${name}${i}`);
      mkdirSync(path);
      made.push(path);
      writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(path, 'cpu.cfs_quota_us'), String(Math.round(quotaCores * PERIOD_US)));
    }
  } catch (err) {
    for (const p of made) rmdirQuietly(p);
    return { unavailable: `${ROOT} not writable: ${(err as Error).message}` };
  }
  return {
    groups: {
      groups: made.map((path) => ({ path, add: (pid) => writeFileSync(join(path, 'cgroup.procs'), String(pid)) })),
      async remove() {
        for (const p of made) {
          for (let attempt = 0; attempt < 50 && !rmdirQuietly(p); attempt++) await new Promise((r) => setTimeout(r, 100));
        }
      },
    },
  };
}

function rmdirQuietly(path: string): boolean {
  try {
    rmdirSync(path);
    return true;
  } catch {
    return !existsSync(path);
  }
}
