/**
 * Hostile bytes are dead letters, not an outage (issue #14 item 3): a seeded fuzz over
 * mutated real records (both QMP fixtures, encoded as the agent does) goes through the
 * partition step both runtimes share. Nothing throws, the heap stays bounded, and every
 * message either decodes (and the core takes it) or is a dead letter with a code and a
 * reason; the hand-made huge-count records among them are AVRO_BAD_COUNT, and
 * messages over the size cap RECORD_TOO_LARGE.
 */
import { describe, expect, it } from 'vitest';
import { createCore } from '#processor/core/step.js';
import { DEFAULT_MAX_RECORD_BYTES, initialPartitionState, type InputMessage, processBatch } from '#processor/partition/partitionStep.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { replayFile } from '#tools/transcript/replay.js';
import { fixturePath } from '../support/fixtures.js';
import { hugeArrayCount, hugeMapCount } from '../support/hostile.js';

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const originals = ['thin-lv-enospc-commit.jsonl', 'kvm-vcpu-stats.jsonl'].flatMap((f) => replayFile(fixturePath('qmp', f)).records.map(encodeRaw));

/** One mutation of a real record: flipped bytes, a huge varint written over the body, truncation, garbage appended, or a slice of another record. */
function mutate(rand: () => number): { value: Buffer; how: string } {
  const int = (n: number) => Math.floor(rand() * n);
  const v = Buffer.from(originals[int(originals.length)]!);
  const at = 10 + int(Math.max(1, v.length - 10)); // the body, after the single-object header
  switch (int(6)) {
    case 0:
      for (let i = 1 + int(4); i > 0; i--) v[10 + int(v.length - 10)]! ^= 1 << int(8);
      return { value: v, how: 'flip' };
    case 1: {
      const n = 1 + int(9); // up to 9 continuation bytes: counts and lengths up to 2^63
      for (let i = 0; i < n && at + i < v.length; i++) v[at + i] = i < n - 1 ? 0x80 | int(128) : int(128);
      return { value: v, how: 'varint' };
    }
    case 2:
      return { value: v.subarray(0, int(v.length)), how: 'truncate' };
    case 3:
      return { value: Buffer.concat([v, Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)))]), how: 'append' };
    case 4: {
      const other = originals[int(originals.length)]!;
      const from = int(other.length);
      return { value: Buffer.concat([v.subarray(0, at), other.subarray(from, from + 1 + int(200)), v.subarray(at)]), how: 'splice' };
    }
    default:
      v[int(10)]! ^= 1 << int(8); // the marker or the fingerprint
      return { value: v, how: 'header' };
  }
}

describe('hostile bytes through the partition step', () => {
  it('5,000 seeded mutations of real records and the huge-count records: no throw, bounded heap, each one decoded or dead-lettered with a reason', () => {
    const rand = prng(0x14);
    const messages: InputMessage[] = [];
    const hows: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const { value, how } =
        i % 1_000 === 500
          ? { value: i % 2000 === 500 ? hugeArrayCount() : hugeMapCount(), how: 'huge-count' }
          : i % 1_000 === 750
            ? { value: Buffer.concat([originals[0]!, Buffer.alloc(DEFAULT_MAX_RECORD_BYTES)]), how: 'too-large' }
            : mutate(rand);
      messages.push({ offset: i, timestamp: 0, key: null, value });
      hows.push(how);
    }
    let decoded = 0;
    const env = {
      core: createCore(defaultProcessorConfig(), { emitRates: true }),
      decode: (b: Buffer) => {
        const r = decodeRaw(b);
        decoded++;
        return r;
      },
      allowedLatenessMs: 10_000,
    };
    const state = initialPartitionState('raw', 0);
    const heap0 = process.memoryUsage().heapUsed;
    let peak = 0;
    const dead = new Map<number, { code: string; reason: string }>();
    for (let i = 0; i < messages.length; i += 250) {
      const { outputs } = processBatch(state, messages.slice(i, i + 250), env);
      for (const d of outputs.deadLetters) dead.set(d.offset, d);
      peak = Math.max(peak, process.memoryUsage().heapUsed - heap0);
    }
    expect(state.nextOffset).toBe(messages.length);
    // A decoded record whose (mutated) time the clocks refuse, or whose (mutated) uuid is none, is a dead letter too.
    const refused = [...dead.values()].filter((d) => d.code.startsWith('CLOCK_') || d.code === 'INVALID_ID').length;
    expect(decoded - refused + dead.size).toBe(messages.length);
    for (const d of dead.values()) {
      expect(d.code).toMatch(/^[A-Z_]+$/);
      expect(d.reason.length).toBeGreaterThan(0);
    }
    for (const [i, how] of hows.entries()) {
      if (how === 'huge-count') expect(dead.get(i)?.code, `message ${i}`).toBe('AVRO_BAD_COUNT');
      if (how === 'too-large') expect(dead.get(i)?.code, `message ${i}`).toBe('RECORD_TOO_LARGE');
    }
    expect(peak / 2 ** 20, 'heap growth (MB)').toBeLessThan(128);
    const byCode = new Map<string, number>();
    for (const d of dead.values()) byCode.set(d.code, (byCode.get(d.code) ?? 0) + 1);
    console.log(
      `[hostile-bytes] ${messages.length} messages: ${decoded} decoded, dead letters ${JSON.stringify(Object.fromEntries(byCode))}; heap growth ${(peak / 2 ** 20).toFixed(1)} MB`,
    );
  });
});
