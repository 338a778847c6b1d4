import { describe, expect, it } from 'vitest';
import { EntryFifo } from './entryFifo.js';
import { entryBytes, type SpoolEntry } from './segment.js';

const entry = (i: number): SpoolEntry => ({ key: `vm-${i % 3}`, value: Buffer.alloc(10 + (i % 7), i) });

describe('EntryFifo', () => {
  it('takes in push order, up to the record and byte bounds, and keeps the byte total exact', () => {
    const q = new EntryFifo();
    const all = Array.from({ length: 3000 }, (_, i) => entry(i));
    for (const e of all) q.push(e);
    const out: SpoolEntry[] = [];
    // Past the compaction point (1024 taken, over half the array) and on to the end.
    while (q.length > 0) {
      const { batch, bytes } = q.take(100, 2000);
      expect(batch.length).toBeGreaterThan(0);
      expect(bytes).toBe(batch.reduce((n, e) => n + entryBytes(e), 0));
      out.push(...batch);
      expect(q.bytes).toBe(q.rest().reduce((n, e) => n + entryBytes(e), 0));
    }
    expect(out).toEqual(all);
    expect(q.bytes).toBe(0);
  });

  it('gives one entry even when it alone is over the byte bound', () => {
    const q = new EntryFifo();
    q.reset([{ key: 'a', value: Buffer.alloc(5000) }, entry(1)]);
    expect(q.take(10, 100).batch.map((e) => e.value.length)).toEqual([5000]);
    expect(q.length).toBe(1);
  });

  it('sheds the oldest entries down to a byte bound', () => {
    const q = new EntryFifo();
    const all = Array.from({ length: 50 }, (_, i) => entry(i));
    for (const e of all) q.push(e);
    const shed = q.shedTo(200);
    expect(q.bytes).toBeLessThanOrEqual(200);
    expect([...shed, ...q.rest()]).toEqual(all);
  });
});
