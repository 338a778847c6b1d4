/**
 * Issue 25 benchmark: does a second and a third `qmpipe processor` add throughput, and
 * what does a rebalance cost under load?
 *
 * 1. A raw topic of 24 partitions filled from the fleet before anything consumes; then 1,
 *    2 and 3 instances, each in its own CPU cgroup (v1 `cpu` controller) at the same quota,
 *    each run a fresh group from the topic's start. Steady-window throughput
 *    (bench/scaleOutThroughput.ts) and its ratios to one instance.
 * 2. Rebalance under load (bench/rebalanceCost.ts): 2 instances on a steady stream, a
 *    third joins, later one is killed with SIGKILL; recovery time, records replayed per
 *    moved partition, alerts against a run without the rebalances.
 *
 * The broker, S3Proxy and this process stay outside the groups. Where the cgroups are not
 * writable the bench says so and runs without quotas (the ratios then say little on 2 cores).
 * Knobs: QMPIPE_BENCH_SCALE_QUOTA (cores per instance, 0.3), QMPIPE_BENCH_SCALE_VMS (4800),
 * QMPIPE_BENCH_SCALE_TICKS (backlog ticks, 160), QMPIPE_BENCH_SCALE_WINDOW_S (20),
 * QMPIPE_BENCH_SCALE_PARTS (`throughput,rebalance`), and the stream's in rebalanceCost.ts.
 */
import type kafkajs from 'kafkajs';
import { cpuGroups } from './cgroup.js';
import { rebalanceCost } from './rebalanceCost.js';
import { createRawTopic, fillBacklog } from './scaleOutLoad.js';
import { steadyThroughput } from './scaleOutThroughput.js';
import { type BenchStack, withBenchKafka } from './stack.js';
import { emit } from './util.js';

const PARTITIONS = 24;
const QUOTA = Number(process.env.QMPIPE_BENCH_SCALE_QUOTA ?? 0.3);
const VMS = Number(process.env.QMPIPE_BENCH_SCALE_VMS ?? 4_800);
const TICKS = Number(process.env.QMPIPE_BENCH_SCALE_TICKS ?? 160);
const WINDOW_MS = Number(process.env.QMPIPE_BENCH_SCALE_WINDOW_S ?? 20) * 1000;
const PARTS = (process.env.QMPIPE_BENCH_SCALE_PARTS ?? 'throughput,rebalance').split(',');

/** The quota to run at, or null (said why) when no CPU cgroup can be made here. */
function quota(): number | null {
  const probe = cpuGroups(1, QUOTA, 'probe-');
  if ('unavailable' in probe) {
    process.stderr.write(`# scale-out: running WITHOUT CPU quotas: ${probe.unavailable}\n`);
    return null;
  }
  void probe.groups.remove();
  return QUOTA;
}

async function throughput(s: BenchStack, kafka: kafkajs.Kafka, q: number | null): Promise<void> {
  const t = await createRawTopic(s, kafka, `bench-so-${Date.now()}`, PARTITIONS);
  const t0 = performance.now();
  const records = await fillBacklog(kafka, t, VMS, TICKS);
  const values = t.prefix.reduce((sum, p) => sum + p[p.length - 1]!, 0);
  process.stderr.write(`# scale-out: backlog of ${records} records, ${values} values in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const rates: number[] = [];
    for (const n of [1, 2, 3]) {
      const r = await steadyThroughput(s, admin, t, n, q, WINDOW_MS);
      rates.push(r.valuesPerS);
      emit(`processor.scale_out.values_per_s.n${n}`, r.valuesPerS, 'values/s');
      emit(`processor.scale_out.window_s.n${n}`, r.windowS, 's');
      const cores = r.coresUsed.reduce((a, b) => a + b, 0);
      emit(`processor.scale_out.cores_per_instance.n${n}`, cores / n, 'cores');
      // Below the quota when the machine is busier than its cores: then this, not values/s, compares instances.
      emit(`processor.scale_out.values_per_cpu_s.n${n}`, r.valuesPerS / cores, 'values/CPU-s');
      emit(`processor.scale_out.loadavg_1m.n${n}`, r.loadAvg, 'load');
      emit(`processor.scale_out.replayed_values_before_window.n${n}`, r.replayedBefore, 'values');
      emit(`processor.scale_out.replayed_values_in_window.n${n}`, r.replayedInWindow, 'values');
    }
    emit('processor.scale_out.ratio_2_vs_1', rates[1]! / rates[0]!, 'ratio');
    emit('processor.scale_out.ratio_3_vs_1', rates[2]! / rates[0]!, 'ratio');
  } finally {
    await admin.disconnect();
  }
}

await withBenchKafka(async (s, kafka) => {
  const q = quota();
  emit('processor.scale_out.quota_cores', q ?? 0, q === null ? 'cores (no cgroups: unlimited)' : 'cores');
  emit('processor.scale_out.partitions', PARTITIONS, 'partitions');
  if (PARTS.includes('throughput')) await throughput(s, kafka, q);
  if (PARTS.includes('rebalance')) await rebalanceCost(s, kafka, q, PARTITIONS);
});
