/**
 * Part 2 of the scale-out bench: what a rebalance costs under load. A steady stream (the
 * fleet, one tick per second) goes to a fresh 24-partition raw topic; 2 instances consume
 * it, each in its own CPU cgroup; after a warm-up longer than the checkpoint interval a
 * third joins, and later the first is killed with SIGKILL. For each event:
 *
 * - recovery: from the event until every partition has committed again after the group
 *   became stable with its new members (the kill waits out the session time-out first);
 *   the model's bound is 2 × `kafka.sessionTimeoutMs`. The join's includes the new
 *   instance's start-up under its quota; `pause` counts from the rebalance's start (the
 *   group first seen not stable) instead;
 * - records replayed silently by each new owner of a moved partition (the `partition owned`
 *   log line's `replaySilently`: checkpoint offset to committed offset); the model's bound
 *   is one checkpoint interval of the partition's records;
 * - once the stream is consumed, the alerts published equal those of one instance that
 *   read the same topic without any rebalance: none twice, none missing.
 *
 * Knobs: QMPIPE_BENCH_REBALANCE_VMS (4800 VMs in the stream), QMPIPE_BENCH_REBALANCE_TICKS (120).
 */
import type kafkajs from 'kafkajs';
import { cpuGroups } from './cgroup.js';
import { alertKeysOf, compareAlerts } from './alertsCompare.js';
import { fleetTicks } from './fleet.js';
import { pollGroup, stableWith, type GroupView } from './groupView.js';
import { append, createRawTopic, type Instance, loadAvg, type RawTopic, runConfig, startInstance, type TakeOver, takeOvers } from './scaleOutLoad.js';
import type { BenchStack } from './stack.js';
import { emit, median } from './util.js';

const VMS = Number(process.env.QMPIPE_BENCH_REBALANCE_VMS ?? 4_800);
const TICKS = Number(process.env.QMPIPE_BENCH_REBALANCE_TICKS ?? 120);
const TICK_MS = 1_000;
const SESSION_TIMEOUT_MS = 30_000;
const CHECKPOINT_INTERVAL_MS = 10_000;

/** The stream: one fleet tick per second, in four slices a quarter-second apart. Resolves when all is sent. */
async function stream(kafka: kafkajs.Kafka, t: RawTopic): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const start = performance.now();
    let k = 0;
    for (const tick of fleetTicks(VMS, TICKS)) {
      const q = Math.ceil(tick.length / 4);
      for (let i = 0; i < 4; i++) {
        const due = start + k * TICK_MS + (i * TICK_MS) / 4;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        await append(producer, t, tick.slice(i * q, (i + 1) * q));
      }
      k++;
    }
  } finally {
    await producer.disconnect();
  }
}

/** From `event` (performance.now()) until every partition commits after the group is stable with `ids`. */
async function recovery(admin: kafkajs.Admin, g: Parameters<typeof pollGroup>[1], ids: string[], event: number, failed: Promise<never>) {
  const timeoutMs = 3 * SESSION_TIMEOUT_MS;
  let rebalancing: number | null = null; // the first view with the group not stable: its rebalance began
  const onView = (v: GroupView) => {
    if (v.members === null) rebalancing ??= v.at;
  };
  const stable = await pollGroup(admin, g, (v) => stableWith(v, ids), `the group stable with ${ids.length}`, { timeoutMs, failed, onView });
  const done = await pollGroup(admin, g, (v) => v.committed.every((c, p) => c > stable.committed[p]!), 'every partition commits again', {
    timeoutMs,
    everyMs: 100,
    failed,
  });
  return { ms: done.at - event, pauseMs: done.at - (rebalancing ?? event), stable };
}

/** Partitions whose holder changed between two stable views. */
function movedPartitions(before: GroupView, after: GroupView): number[] {
  const holder = (v: GroupView) => {
    const h = new Map<number, string>();
    for (const [id, ps] of v.members ?? []) for (const p of ps) h.set(p, id);
    return h;
  };
  const [a, b] = [holder(before), holder(after)];
  return [...b].filter(([p, id]) => a.get(p) !== id).map(([p]) => p);
}

interface Event {
  name: string;
  ms: number;
  /** From the rebalance's start (the group seen not stable) until every partition commits again. */
  pauseMs: number;
  moved: number[];
  /** performance.now() of the event: take-overs logged since are its. */
  at: number;
}

/** An event's figures; `bound[p]`: partition p's records in one checkpoint interval of the stream (the model's replay bound). */
function emitEvent(e: Event, owned: readonly TakeOver[], bound: readonly number[]): void {
  const replays = owned.filter((o) => o.at >= e.at && e.moved.includes(o.partition));
  const n = replays.map((o) => o.committedOffset - o.checkpointOffset);
  emit(`processor.rebalance.${e.name}.recovery_ms`, e.ms, 'ms');
  emit(`processor.rebalance.${e.name}.pause_ms`, e.pauseMs, 'ms (rebalance start to every partition committing again)');
  emit(`processor.rebalance.${e.name}.moved_partitions`, e.moved.length, 'partitions');
  emit(`processor.rebalance.${e.name}.replayed_records_per_moved_partition_max`, n.length ? Math.max(...n) : 0, 'records');
  emit(`processor.rebalance.${e.name}.replayed_records_per_moved_partition_median`, n.length ? median(n) : 0, 'records');
  emit(
    `processor.rebalance.${e.name}.replayed_records_total`,
    n.reduce((a, b) => a + b, 0),
    'records',
  );
  const ratios = replays.map((o) => (o.committedOffset - o.checkpointOffset) / bound[o.partition]!);
  emit(`processor.rebalance.${e.name}.replayed_vs_checkpoint_interval_max`, ratios.length ? Math.max(...ratios) : 0, 'ratio (model: ≤ 1)');
}

export async function rebalanceCost(s: BenchStack, kafka: kafkajs.Kafka, quotaCores: number | null, partitions: number): Promise<void> {
  const t = await createRawTopic(s, kafka, `bench-rb-${Date.now()}`, partitions);
  const cfg = { ...runConfig(s, t, `${t.id}-live`), log: { level: 'info' } };
  const g = { groupId: cfg.kafka.groupId, topic: t.raw, partitions };
  const groups = quotaCores === null ? null : cpuGroups(3, quotaCores, 'rb-');
  if (groups && 'unavailable' in groups) throw new Error(`benchmark: ${groups.unavailable}`);
  const owned = takeOvers();
  const instances: Instance[] = [];
  const start = (i: number) => instances.push(startInstance(cfg, `i${i}`, groups?.groups.groups[i], owned.onLine));
  const admin = kafka.admin();
  await admin.connect();
  const load0 = loadAvg();
  try {
    const sent = stream(kafka, t);
    start(0);
    start(1);
    const failed = () => Promise.race([...instances.map((x) => x.child.exited), sent.then(() => new Promise<never>(() => {}))]);
    let killed = -1;
    const ids = () => instances.filter((_, i) => i !== killed).map((x) => x.clientId);
    await pollGroup(admin, g, (v) => stableWith(v, ids()), '2 instances hold partitions', { timeoutMs: 120_000, failed: failed() });
    await new Promise((r) => setTimeout(r, CHECKPOINT_INTERVAL_MS * 1.5)); // every partition has a checkpoint
    const before = await pollGroup(admin, g, (v) => stableWith(v, ids()), 'still 2', { timeoutMs: 10_000, failed: failed() });
    const joinAt = performance.now();
    start(2);
    const join = await recovery(admin, g, ids(), joinAt, failed());
    const events: Event[] = [{ name: 'join', ms: join.ms, pauseMs: join.pauseMs, moved: movedPartitions(before, join.stable), at: joinAt }];
    await new Promise((r) => setTimeout(r, CHECKPOINT_INTERVAL_MS * 1.5));
    const beforeKill = await pollGroup(admin, g, (v) => stableWith(v, ids()), 'still 3', { timeoutMs: 10_000, failed: failed() });
    const killAt = performance.now();
    killed = 0;
    await instances[0]!.child.kill();
    const kill = await recovery(admin, g, ids(), killAt, Promise.race(instances.slice(1).map((x) => x.child.exited)));
    events.push({ name: 'kill', ms: kill.ms, pauseMs: kill.pauseMs, moved: movedPartitions(beforeKill, kill.stable), at: killAt });
    emit('processor.rebalance.recovery_bound_ms', 2 * SESSION_TIMEOUT_MS, 'ms (2 × session time-out)');
    await sent;
    const ends = t.prefix.map((p) => p.length - 1);
    await pollGroup(admin, g, (v) => v.committed.every((c, p) => c >= ends[p]!), 'the stream consumed', {
      timeoutMs: 300_000,
      failed: Promise.race(instances.slice(1).map((x) => x.child.exited)),
    });
    const records = ends.reduce((a, b) => a + b, 0);
    const bound = ends.map((n) => ((n / TICKS) * CHECKPOINT_INTERVAL_MS) / TICK_MS);
    for (const e of events) emitEvent(e, owned.seen, bound);
    emit('processor.rebalance.model_replay_bound_records', median(bound), 'records (one checkpoint interval of a partition, median)');
    emit('processor.rebalance.stream_records_per_s', (records / TICKS) * (1000 / TICK_MS), 'records/s');
    await Promise.all(instances.map((x) => x.child.stop()));
    const reference = await referenceRun(s, admin, t, ends);
    const live = await alertKeysOf(s.brokers, cfg.kafka.alertsTopic);
    const c = compareAlerts(reference, live);
    emit('processor.rebalance.alerts_reference', c.reference, 'alerts');
    emit('processor.rebalance.alerts_duplicated', c.duplicated, 'alerts');
    emit('processor.rebalance.alerts_missing', c.missing, 'alerts');
    emit('processor.rebalance.alerts_extra', c.extra, 'alerts');
    emit('processor.rebalance.loadavg_1m', (load0 + loadAvg()) / 2, 'load');
  } finally {
    await Promise.all(instances.map((x) => x.child.kill()));
    await admin.disconnect();
    if (groups && 'groups' in groups) await groups.groups.remove();
  }
}

/** One instance, no quota, no rebalance, over the whole stream: the alerts it publishes. */
async function referenceRun(s: BenchStack, admin: kafkajs.Admin, t: RawTopic, ends: number[]) {
  const cfg = runConfig(s, t, `${t.id}-ref`);
  const ref = startInstance(cfg, 'ref', undefined);
  try {
    const g = { groupId: cfg.kafka.groupId, topic: t.raw, partitions: t.partitions };
    await pollGroup(admin, g, (v) => v.committed.every((c, p) => c >= ends[p]!), 'the reference run', { timeoutMs: 600_000, failed: ref.child.exited });
  } finally {
    await ref.child.stop();
  }
  return alertKeysOf(s.brokers, cfg.kafka.alertsTopic);
}
