/**
 * A block count no record could hold is refused before avsc allocates or loops
 * (bounds.ts): hand-made hostile values, on the reader's own schema and through a
 * resolver for another writer version.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { hugeArrayCount, hugeMapCount } from '#test/support/hostile.js';
import { device, sampleRec } from '#test/support/records.js';
import { type SchemaError, SingleObjectCodec, fingerprintOf, loadSchema } from './avro.js';
import { decodeRaw, encodeRaw } from './raw.js';

function refusal(decode: () => unknown): { code: string; message: string; ms: number; heapMb: number } {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  try {
    decode();
  } catch (err) {
    const e = err as SchemaError;
    return { code: e.code, message: e.message, ms: performance.now() - t0, heapMb: (process.memoryUsage().heapUsed - heap0) / 2 ** 20 };
  }
  throw new Error('decoded');
}

describe('Avro block counts are checked against the bytes left', () => {
  it.each([
    ['an array', hugeArrayCount],
    ['a map', hugeMapCount],
  ])('%s announcing 200,000 items in a few bytes: AVRO_BAD_COUNT at once, nothing allocated', (_what, make) => {
    const value = make(200_000);
    expect(value.length).toBeLessThan(1_000);
    const r = refusal(() => decodeRaw(value));
    expect(r.code).toBe('AVRO_BAD_COUNT');
    expect(r.message).toMatch(/200000 items with \d+ bytes left/);
    expect(r.ms).toBeLessThan(50);
    expect(r.heapMb).toBeLessThan(8);
  });

  it.each([1e9, 2 ** 40])('a count of %d: AVRO_BAD_COUNT (avsc would allocate and loop that many times)', (count) => {
    expect(refusal(() => decodeRaw(hugeArrayCount(count))).code).toBe('AVRO_BAD_COUNT');
    expect(refusal(() => decodeRaw(hugeMapCount(count))).code).toBe('AVRO_BAD_COUNT');
  });

  it('an older writer whose field the reader skips: the skipped array is bounded too', () => {
    const raw = loadSchema('raw').schema({ exportAttrs: true }) as { fields: unknown[] };
    const writer = avro.Type.forSchema({
      ...raw,
      fields: [...raw.fields, { name: 'history', type: { type: 'array', items: 'long' }, default: [] }],
    } as avro.Schema);
    const reader = new SingleObjectCodec(loadSchema('raw'));
    reader.addWriter(writer);
    const base = { ...encodeRawFields(), history: [] as number[] };
    const body = (history: number[]) => Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintOf(writer), writer.toBuffer({ ...base, history })]);
    expect(reader.decode(body([1, 2, 3]))).toMatchObject({ seq: 1 });
    const empty = body([]);
    // The writer's last field is `history`: its count is the last byte, 0 when empty.
    const hostile = Buffer.concat([empty.subarray(0, empty.length - 1), avro.Type.forSchema('long').toBuffer(1e9)]);
    expect(refusal(() => reader.decode(hostile)).code).toBe('AVRO_BAD_COUNT');
  });

  it('a map key __proto__ is refused', () => {
    const withKey = encodeRaw({ ...sampleRec(1_000, { blockDevices: [device({ extra: { ['__proto__']: 1 } })] }), seq: 1 });
    expect(withKey.includes(Buffer.from('__proto__'))).toBe(true);
    expect(refusal(() => decodeRaw(withKey)).code).toBe('AVRO_BAD_COUNT');
  });
});

/** A raw record in the writer's wire shape (union branch by full name). */
function encodeRawFields(): Record<string, unknown> {
  const r = { ...sampleRec(1_000), seq: 1 };
  return { vm: r.vm, seq: r.seq, runId: null, t: r.t, body: { 'qmpipe.raw.Sample': r.body.value } };
}
