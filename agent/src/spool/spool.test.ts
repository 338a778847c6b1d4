import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MARKER_FILE } from './memoryMarker.js';
import { decodeSegment, encodeSegment } from './segment.js';
import { Spool, type SpoolEntry } from './spool.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'spool-'));
  dirs.push(d);
  return d;
};

/** Record i of VM k: 100-byte value whose first bytes say who and which. */
const rec = (vm: string, i: number): SpoolEntry => {
  const value = Buffer.alloc(100);
  value.write(`${vm}:${i}`);
  return { key: vm, value };
};
const ids = (es: readonly SpoolEntry[]): string[] => es.map((e) => e.value.toString('utf8').replace(/\0+$/, ''));

/** Drains the spool completely, `n` per batch. */
function drain(s: Spool, n = 7): string[] {
  const out: string[] = [];
  for (;;) {
    const b = s.peek(n, 1 << 20);
    if (b.length === 0) return out;
    out.push(...ids(b));
    s.commit();
  }
}

describe('segment codec', () => {
  it('round-trips, and a truncated tail keeps the complete records', () => {
    const es = [rec('a', 1), { key: 'ü', value: Buffer.alloc(0) }, rec('b', 2)];
    const buf = encodeSegment(es);
    expect(decodeSegment(buf)).toEqual({ entries: es, truncated: false });
    const cut = decodeSegment(buf.subarray(0, buf.length - 3));
    expect(cut.truncated).toBe(true);
    expect(ids(cut.entries)).toEqual(ids(es.slice(0, 2)));
  });
});

describe('Spool', () => {
  it('memory only: FIFO, and peek returns the same batch until commit', () => {
    const s = new Spool({ memoryBytes: 1 << 20, diskBytes: 0 });
    for (let i = 0; i < 10; i++) s.push(rec('a', i));
    const b1 = ids(s.peek(4, 1 << 20));
    s.push(rec('a', 10));
    expect(ids(s.peek(4, 1 << 20))).toEqual(b1); // a failed send retries the very same records
    s.commit();
    expect(drain(s)).toEqual(Array.from({ length: 7 }, (_, i) => `a:${i + 4}`));
    expect(s.records).toBe(0);
    expect(s.bytes).toBe(0);
  });

  it('commit(n) acknowledges the first n records of the batch; the rest stay in flight, in order', () => {
    const s = new Spool({ memoryBytes: 1 << 20, diskBytes: 0 });
    for (let i = 0; i < 6; i++) s.push(rec('a', i));
    expect(ids(s.peek(4, 1 << 20))).toEqual(['a:0', 'a:1', 'a:2', 'a:3']);
    s.commit(1);
    expect(ids(s.peek(4, 1 << 20))).toEqual(['a:1', 'a:2', 'a:3']); // still the same batch, minus the first
    s.commit(0);
    expect(s.records).toBe(5);
    s.commit(2);
    expect(ids(s.peek(4, 1 << 20))).toEqual(['a:3']);
    s.commit(1);
    expect(drain(s)).toEqual(['a:4', 'a:5']);
    expect(s.bytes).toBe(0);
  });

  it('respects maxBytes per batch but always makes progress', () => {
    const s = new Spool({ memoryBytes: 1 << 20, diskBytes: 0 });
    for (let i = 0; i < 5; i++) s.push(rec('a', i));
    expect(s.peek(100, 250)).toHaveLength(2); // 2 × 109 bytes
    s.commit();
    expect(s.peek(100, 10)).toHaveLength(1);
  });

  it('memory only past the bound: the oldest are dropped and counted', () => {
    const drops: number[] = [];
    const byVm = new Map<string, number>();
    const s = new Spool({
      memoryBytes: 1090,
      diskBytes: 0, // 10 records of 109 B
      onDrop: (n, _reason, byKey) => {
        drops.push(n);
        for (const [k, c] of byKey) byVm.set(k, (byVm.get(k) ?? 0) + c);
      },
    });
    for (let i = 0; i < 25; i++) s.push(rec(i % 5 === 0 ? 'b' : 'a', i));
    expect(s.dropped).toBe(15);
    expect(drops.reduce((a, b) => a + b)).toBe(15);
    expect(byVm).toEqual(
      new Map([
        ['b', 3],
        ['a', 12],
      ]),
    );
    expect(drain(s)).toEqual(Array.from({ length: 10 }, (_, i) => `${(i + 15) % 5 === 0 ? 'b' : 'a'}:${i + 15}`));
  });

  it('spills to disk segments and drains in push order across tiers (per-VM order kept)', () => {
    const dir = tmp();
    const s = new Spool({ memoryBytes: 1000, dir, diskBytes: 1 << 20 });
    const pushed: string[] = [];
    for (let i = 0; i < 200; i++) {
      const e = rec(i % 3 === 0 ? 'vm-a' : 'vm-b', i);
      s.push(e);
      pushed.push(ids([e])[0]!);
      if (i === 50) {
        // a batch goes in flight mid-outage and fails: it must stay first
        expect(ids(s.peek(5, 1 << 20))).toEqual(pushed.slice(0, 5));
      }
    }
    expect(readdirSync(dir).length).toBeGreaterThan(11);
    expect(s.tiers().disk.records).toBeGreaterThan(150);
    expect(s.records).toBe(200);
    expect(drain(s, 13)).toEqual(pushed);
    expect(readdirSync(dir)).toEqual([MARKER_FILE]); // no segment left
    expect(s.dropped).toBe(0);
  });

  it('past the disk bound the oldest segments are dropped and counted; the newest survive', () => {
    const dir = tmp();
    let keyed = 0;
    const s = new Spool({
      memoryBytes: 1090,
      dir,
      diskBytes: 5000,
      onDrop: (_n, reason, byKey) => (keyed += reason === 'disk-full' ? (byKey.get('a') ?? 0) : 0),
    });
    for (let i = 0; i < 100; i++) s.push(rec('a', i));
    const out = drain(s);
    expect(s.dropped + out.length).toBe(100);
    expect(keyed).toBe(s.dropped); // dropped segments were read to say whose records they were
    expect(s.dropped).toBeGreaterThan(0);
    expect(out.at(-1)).toBe('a:99');
    const nums = out.map((x) => Number(x.split(':')[1]));
    expect(nums).toEqual([...nums].sort((a, b) => a - b)); // still in order
  });

  it('persist() on shutdown, then a new Spool on the same dir resumes in order (in-flight batch first)', () => {
    const dir = tmp();
    const s1 = new Spool({ memoryBytes: 1000, dir, diskBytes: 1 << 20 });
    for (let i = 0; i < 30; i++) s1.push(rec('a', i));
    s1.peek(3, 1 << 20); // in flight, never acknowledged
    for (let i = 30; i < 35; i++) s1.push(rec('a', i));
    s1.persist();
    const s2 = new Spool({ memoryBytes: 1000, dir, diskBytes: 1 << 20 });
    expect(s2.records).toBe(35);
    s2.push(rec('a', 35));
    expect(drain(s2)).toEqual(Array.from({ length: 36 }, (_, i) => `a:${i}`));
  });

  it('a segment cut short by a crash yields its complete records and counts one loss', () => {
    const dir = tmp();
    const seg = encodeSegment([rec('a', 0), rec('a', 1), rec('a', 2)]);
    writeFileSync(join(dir, 'seg-0000001000000000.bin'), seg.subarray(0, seg.length - 10));
    writeFileSync(join(dir, 'seg-0000001000000001.bin.tmp'), 'half-written');
    const s = new Spool({ memoryBytes: 1000, dir, diskBytes: 1 << 20 });
    expect(s.dropped).toBe(1);
    expect(drain(s)).toEqual(['a:0', 'a:1']);
    expect(readdirSync(dir)).toEqual([MARKER_FILE]); // no segment left
  });
});
