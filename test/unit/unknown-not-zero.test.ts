/**
 * Unknown is not zero (issue #23, item 6): at the agent's default slow cadence a new image
 * (the live snapshot's top-format) is in the chain before the slow group has described it.
 * Its capacity is not known yet: the processor emits no capacity for it (no rate, no
 * point) until it is, and never a capacity of 0. A transcript recorded at that cadence
 * (thin_slow.py, 1 tick in 10) through the agent's sample building and the processor core.
 */
import { describe, expect, it } from 'vitest';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { createCore } from '#processor/core/step.js';
import { flushPartition, initialPartitionState, processBatch } from '#processor/partition/partitionStep.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { faultVariant } from '#test/support/faultVariants.js';

describe('a new image before the slow group reads it', () => {
  const { records } = transcriptRecords(faultVariant('thin_slow', 'thin-lv-enospc-commit.jsonl', 10));
  const env = { core: createCore(defaultProcessorConfig(), { emitRates: true, emitPoints: true }), decode: decodeRaw, allowedLatenessMs: 10_000 };
  const state = initialPartitionState('raw', 0);
  const messages = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
  const { outputs } = processBatch(state, messages, env);
  flushPartition(state, env);
  const capacity = outputs.rates.filter((r) => /^block\.vda\.\d+\.capacity$/.test(r.series));

  it('no capacity of 0 is emitted; the image’s real capacity once it is read', () => {
    expect(capacity.length).toBeGreaterThan(30);
    expect(capacity.filter((r) => r.value === 0)).toEqual([]);
    expect(new Set(capacity.map((r) => r.value))).toEqual(new Set([268435456]));
    const points = outputs.points.filter((p) => p.series.endsWith('.capacity'));
    expect(points.length).toBe(capacity.length);
    expect(points.filter((p) => p.value === 0)).toEqual([]);
  });

  it('the ticks between the snapshot and the next slow read carry no capacity for position 0', () => {
    const samples = records.filter((r) => r.body.kind === 'Sample');
    const unknown = samples.filter((r) => r.body.kind === 'Sample' && r.body.value.blockDevices[0]!.chain[0]!.capacity === null).map((r) => r.t);
    expect(unknown.length).toBeGreaterThan(0);
    for (const t of unknown) expect(capacity.filter((r) => r.t === t && r.series === 'block.vda.0.capacity')).toEqual([]);
  });
});
