/**
 * Every rollup window of the fixtures travels through the rollups topic's records
 * (chunks, Avro) and comes back as the window the partition step closed: the Parquet
 * object the writer puts has the key and the bytes a direct write had.
 */
import { describe, expect, it } from 'vitest';
import { createCore } from '#processor/core/step.js';
import { flushPartition, initialPartitionState, processBatch } from '#processor/partition/partitionStep.js';
import type { ClosedWindow } from '#processor/partition/rollupBuffer.js';
import { committable, emptyLane, feed, markStored } from '#processor/rollupWriter/assembly.js';
import { encodeRollupParquet } from '#processor/sinks/parquet.js';
import { rollupWindowMessages } from '#processor/sinks/rollupsTopic.js';
import { rollupWindowCodec } from '#schemas/codecs/rollupWindows.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { transcriptRecords } from '#tools/transcript/decoded.js';
import { fixturePath } from '../support/fixtures.js';

function fixtureWindows(name: string): ClosedWindow[] {
  const { records } = transcriptRecords(fixturePath('qmp', name));
  const env = { core: createCore(defaultProcessorConfig()), decode: decodeRaw, allowedLatenessMs: 10_000 };
  const state = initialPartitionState('raw', 0);
  const messages = records.map((r, i) => ({ offset: i, timestamp: r.t, key: null, value: encodeRaw(r) }));
  return [...processBatch(state, messages, env).outputs.windows, ...flushPartition(state, env)];
}

describe('rollup windows through the rollups topic', () => {
  for (const [name, limits] of [
    ['thin-lv-enospc-commit.jsonl', { maxRows: 2_000, maxBytes: 512 << 10 }],
    ['kvm-vcpu-stats.jsonl', { maxRows: 2_000, maxBytes: 512 << 10 }],
    ['kvm-vcpu-stats.jsonl', { maxRows: 7, maxBytes: 512 << 10 }],
    ['kvm-vcpu-stats.jsonl', { maxRows: 2_000, maxBytes: 4 << 10 }],
  ] as const) {
    it(`${name}, ≤ ${limits.maxRows} rows and ${limits.maxBytes} B a record: the same Parquet bytes, every record under its bound`, () => {
      const windows = fixtureWindows(name);
      expect(windows.length).toBeGreaterThanOrEqual(2);
      const messages = rollupWindowMessages(5, windows, limits);
      const lane = emptyLane();
      const got: Array<{ partition: number; window: ClosedWindow }> = [];
      messages.forEach((m, offset) => {
        expect(m.key).toBe('5');
        expect((m.value as Buffer).length).toBeLessThanOrEqual(limits.maxBytes);
        const rec = rollupWindowCodec().decode(m.value as Buffer);
        expect(rec.rows.length).toBeLessThanOrEqual(limits.maxRows);
        const { complete, dropped } = feed(lane, offset, rec);
        expect(dropped).toEqual([]);
        if (complete) {
          got.push(complete);
          markStored(lane, complete);
        }
      });
      if (limits.maxRows < 100 || limits.maxBytes < 100_000) expect(messages.length).toBeGreaterThan(windows.length);
      expect(got.map((g) => g.partition)).toEqual(windows.map(() => 5));
      expect(got.map((g) => g.window)).toEqual(windows);
      for (const [i, w] of windows.entries())
        expect(Buffer.from(encodeRollupParquet(got[i]!.window, 5)).equals(Buffer.from(encodeRollupParquet(w, 5)))).toBe(true);
      expect(committable(lane)).toBe(messages.length);
    });
  }
});
