/**
 * What another process costs, read from /proc (Linux): CPU, context switches, RSS.
 *
 * - `statMs`: utime + stime of /proc/PID/stat, every thread the process ever had (the
 *   issue's measure). The kernel scales them to the precise run time, but prints them in
 *   clock ticks (10 ms): fine over a window of seconds at tens of ms/s, too coarse for idle.
 * - `runNs`: the sum of /proc/PID/task/TID/schedstat (ns on CPU) over the live threads:
 *   exact, for idle processes (a thread that exited during the window is missed).
 * - `mainSwitches` / `allSwitches`: voluntary + involuntary context switches of the main
 *   thread / of every live thread. Each voluntary one is a sleep, so a later wake-up.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on every Linux build that matters). */
const USER_HZ = 100;

export interface ProcSnapshot {
  at: number;
  /** CLOCK_MONOTONIC in µs: the clock of a V8 .cpuprofile's startTime. */
  monoUs: number;
  statMs: number;
  runNs: number;
  mainSwitches: number;
  allSwitches: number;
}

export interface ProcDelta {
  seconds: number;
  statMs: number;
  runMs: number;
  mainSwitches: number;
  allSwitches: number;
}

function statCpuMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ; // fields 14, 15
}

function switches(statusText: string): number {
  const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(statusText);
  const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(statusText);
  return Number(v?.[1] ?? 0) + Number(n?.[1] ?? 0);
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // a thread that exited between readdir and read
  }
}

export function snapshot(pid: number): ProcSnapshot {
  let runNs = 0;
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const sched = tryRead(`/proc/${pid}/task/${tid}/schedstat`);
    if (sched) runNs += Number(sched.split(' ')[0]);
    const status = tryRead(`/proc/${pid}/task/${tid}/status`);
    if (!status) continue;
    const n = switches(status);
    all += n;
    if (Number(tid) === pid) main = n;
  }
  return { at: performance.now(), monoUs: Number(process.hrtime.bigint() / 1000n), statMs: statCpuMs(pid), runNs, mainSwitches: main, allSwitches: all };
}

export function delta(a: ProcSnapshot, b: ProcSnapshot): ProcDelta {
  return {
    seconds: (b.at - a.at) / 1000,
    statMs: b.statMs - a.statMs,
    runMs: (b.runNs - a.runNs) / 1e6,
    mainSwitches: b.mainSwitches - a.mainSwitches,
    allSwitches: b.allSwitches - a.allSwitches,
  };
}

/** Snapshots of several processes at (nearly) the same moment. */
export function snapshots(pids: readonly number[]): ProcSnapshot[] {
  return pids.map(snapshot);
}

/** Resident set size in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** CPU ms of this process's children that have exited and been waited for (cutime + cstime). */
export function reapedChildrenCpuMs(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / USER_HZ; // fields 16, 17
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
