/**
 * Why StatsValues carries values in snapshot order: Avro body bytes per stat scalar
 * (one uint64 carried; a histogram bucket counts as one) for the real query-stats
 * replies of test/fixtures/qmp/kvm-vcpu-stats.jsonl (vm 16 + 2 vCPUs × 47 stats,
 * 296 scalars a tick), encoded
 *   - in snapshot order (values: long[], names only in the once-per-instance snapshot), vs
 *   - as name/value pairs (every stat in `extra`: what we would send without a snapshot).
 * Also the CPU cost of both encodings and of building a Sample from a Tick.
 * Target (issue 3): < 2.5 B/scalar before compression.
 */
import { encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord, Sample } from '#schemas/types.js';
import { replayFile } from '#tools/transcript/replay.js';
import { buildSample, initialBuilderState } from '#agent/sample/buildSample.js';
import { encodeStats, type StatsReply } from '#agent/sample/stats.js';
import { indexSnapshot, toStatsSchemaSnapshot } from '#agent/sample/statsSchema.js';
import type { Tick } from '#agent/sample/tick.js';
import { cpuMs, emit, fixturePath, fixtureTicks, interleave, median } from './util.js';

const ticks = fixtureTicks('qmp', 'kvm-vcpu-stats.jsonl');
const index = indexSnapshot(toStatsSchemaSnapshot(ticks[0]!.replies['query-stats-schemas'])!);
const replies = (t: Tick): StatsReply[] => ['vm', 'vcpu'].map((target) => ({ target, reply: t.replies[`query-stats:${target}`] }));

function bytes(rec: RawRecord, sample: Sample): number {
  return encodeRaw({ ...rec, body: { kind: 'Sample', value: sample } }).length;
}

function measureBytes(): void {
  const recs = replayFile(fixturePath('qmp', 'kvm-vcpu-stats.jsonl')).records.filter((r) => r.body.kind === 'Sample');
  let ordered = 0;
  let named = 0;
  let scalars = 0;
  recs.forEach((rec, i) => {
    if (rec.body.kind !== 'Sample') return;
    const sample = rec.body.value;
    const none = bytes(rec, { ...sample, stats: null });
    ordered += bytes(rec, sample) - none;
    const pairs = encodeStats(null, replies(ticks[i]!)).stats;
    named += bytes(rec, { ...sample, stats: pairs }) - none;
    scalars += pairs!.results.reduce((n, r) => n + r.extra.reduce((m, e) => m + e.values.length, 0), 0);
  });
  emit('agent.stats.scalars_per_tick', scalars / recs.length, 'scalars');
  emit('agent.stats.ordered_bytes_per_scalar', ordered / scalars, 'B');
  emit('agent.stats.named_pairs_bytes_per_scalar', named / scalars, 'B');
  emit('agent.sample.kvm_record_bytes', median(recs.map((r) => encodeRaw(r).length)), 'B');
}

async function measureCpu(): Promise<void> {
  const ROUNDS = 15;
  const REPS = 50;
  const run = (idx: typeof index | null) =>
    cpuMs(() => {
      for (let k = 0; k < REPS; k++) for (const t of ticks) encodeStats(idx, replies(t));
    });
  const { subject, baseline } = await interleave(
    ROUNDS,
    () => run(index),
    () => run(null),
  );
  const perTick = (ms: number) => (ms * 1000) / (REPS * ticks.length);
  emit('agent.stats.encode_ordered_us_per_tick', perTick(median(subject)), 'us');
  emit('agent.stats.encode_named_pairs_us_per_tick', perTick(median(baseline)), 'us');
  const thin = fixtureTicks('qmp', 'thin-lv-enospc-commit.jsonl');
  const build = await cpuMs(() => {
    for (let k = 0; k < REPS; k++) {
      let s = initialBuilderState();
      for (const t of thin) s = buildSample(s, t).state;
    }
  });
  emit('agent.sample.build_us_per_tick', (build * 1000) / (REPS * thin.length), 'us');
}

measureBytes();
await measureCpu();
