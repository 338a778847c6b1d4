/**
 * Part 1 of the scale-out bench: n instances, each in its own CPU cgroup at the same
 * quota, consume the same backlog from its start as a fresh group. Throughput is counted
 * over a steady window only: it opens once the group is stable with all n members each
 * holding partitions and each member has committed on one of them since (past its
 * take-over), and closes after `windowMs`, or earlier when a partition reaches
 * the end of the backlog (its owner would idle). Values come from the committed offsets
 * (the records between them and the values they carry), polled every 250 ms; the rate is
 * the least-squares slope of values over time, as commits come in steps (up to
 * `maxBatchMessages` records each).
 */
import type kafkajs from 'kafkajs';
import { cpuGroups } from './cgroup.js';
import { pollGroup, stableWith, type GroupView } from './groupView.js';
import { cpuSeconds, type Instance, loadAvg, type RawTopic, replayedValues, runConfig, startInstance, takeOvers, valuesBetween } from './scaleOutLoad.js';
import type { BenchStack } from './stack.js';

export interface SteadyRun {
  valuesPerS: number;
  windowS: number;
  /** CPU cores each instance used in the window (≈ the quota when it binds). */
  coresUsed: number[];
  loadAvg: number;
  /** Values replayed silently by take-overs logged before the window opened, and while it was open (work done twice). */
  replayedBefore: number;
  replayedInWindow: number;
  /** The window closed early: a partition reached the end of the backlog. */
  backlogShort: boolean;
}

export async function steadyThroughput(
  s: BenchStack,
  admin: kafkajs.Admin,
  t: RawTopic,
  n: number,
  quotaCores: number | null,
  windowMs: number,
): Promise<SteadyRun> {
  const runId = `${t.id}-n${n}-${Date.now()}`;
  const cfg = { ...runConfig(s, t, runId), log: { level: 'info' } };
  const owned = takeOvers();
  const groups = quotaCores === null ? null : cpuGroups(n, quotaCores, `n${n}-`);
  if (groups && 'unavailable' in groups) throw new Error(`benchmark: ${groups.unavailable}`);
  const instances: Instance[] = [];
  try {
    for (let i = 0; i < n; i++) instances.push(startInstance(cfg, `i${i}`, groups?.groups.groups[i], owned.onLine));
    const failed = Promise.race(instances.map((x) => x.child.exited));
    const g = { groupId: cfg.kafka.groupId, topic: t.raw, partitions: t.partitions };
    const ids = instances.map((x) => x.clientId);
    const ends = t.prefix.map((p) => p.length - 1);
    const stable = await pollGroup(admin, g, (v) => stableWith(v, ids), `${n} instances hold partitions`, { timeoutMs: 180_000, failed });
    // Every member past its take-over: it has committed on one of its partitions since.
    const holdings = [...stable.members!.values()];
    const allCommitted = (v: GroupView) => holdings.every((ps) => ps.some((p) => v.committed[p]! > stable.committed[p]!));
    const v0 = await pollGroup(admin, g, allCommitted, 'every instance commits after the join', { timeoutMs: 180_000, failed });
    const cpu0 = instances.map((x) => cpuSeconds(x.child.pid) ?? NaN);
    const load0 = loadAvg();
    let rebalanced = false;
    const samples: Array<[number, number]> = [];
    const v1 = await pollGroup(
      admin,
      g,
      (v) => {
        rebalanced ||= !stableWith(v, ids);
        samples.push([(v.at - v0.at) / 1000, valuesBetween(t, v0.committed, v.committed)]);
        return v.at - v0.at >= windowMs || v.committed.some((c, p) => c >= ends[p]!);
      },
      'the window',
      { timeoutMs: windowMs + 60_000, everyMs: 250, failed },
    );
    if (rebalanced) process.stderr.write(`# scale-out n${n}: the group rebalanced during the window\n`);
    const windowS = (v1.at - v0.at) / 1000;
    const backlogShort = v1.at - v0.at < windowMs;
    if (backlogShort) process.stderr.write(`# scale-out n${n}: a partition reached the end of the backlog after ${windowS.toFixed(1)} s\n`);
    return {
      valuesPerS: slope([[0, 0], ...samples]),
      windowS,
      coresUsed: instances.map((x, i) => ((cpuSeconds(x.child.pid) ?? NaN) - cpu0[i]!) / windowS),
      loadAvg: (load0 + loadAvg()) / 2,
      backlogShort,
      replayedBefore: owned.seen.filter((o) => o.at < v0.at).reduce((a, o) => a + replayedValues(t, o), 0),
      replayedInWindow: owned.seen.filter((o) => o.at >= v0.at).reduce((a, o) => a + replayedValues(t, o), 0),
    };
  } finally {
    await Promise.all(instances.map((x) => x.child.kill()));
    if (groups && 'groups' in groups) await groups.groups.remove();
  }
}

/** Least-squares slope of y over x. */
export function slope(xy: ReadonlyArray<readonly [number, number]>): number {
  const n = xy.length;
  const mx = xy.reduce((a, [x]) => a + x, 0) / n;
  const my = xy.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of xy) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return num / den;
}
