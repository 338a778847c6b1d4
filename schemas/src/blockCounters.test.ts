import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordFields } from '#test/support/avsc.js';
import { BLOCK_COUNTERS, LIBVIRT_BLOCK_COUNTERS, emptyBlockCounters } from './blockCounters.js';

const raw: unknown = JSON.parse(readFileSync(new URL('../avro/raw.avsc', import.meta.url), 'utf8'));
const avroFields = recordFields(raw, 'BlockCounters') ?? [];

describe('the block counter table', () => {
  it('finds the BlockCounters record of raw.avsc', () => {
    expect(avroFields.length).toBeGreaterThan(0);
  });

  it('has each of its counters in raw.avsc with its type: long, or nullable long defaulting to null', () => {
    const byName = new Map(avroFields.map((f) => [f.name, f]));
    for (const r of BLOCK_COUNTERS) {
      const f = byName.get(r.field);
      expect(f, `${r.field} is not a field of raw.avsc BlockCounters`).toBeDefined();
      if (r.nullable) {
        expect(f!.type, r.field).toEqual(['null', 'long']);
        expect(f!.default, r.field).toBeNull();
      } else {
        expect(f!.type, r.field).toBe('long');
      }
    }
  });

  it('has every field of raw.avsc BlockCounters', () => {
    const inTable = new Set<string>(BLOCK_COUNTERS.map((r) => r.field));
    expect(avroFields.map((f) => f.name).filter((n) => !inTable.has(n))).toEqual([]);
  });

  it('names each counter once in every vocabulary', () => {
    for (const column of ['field', 'qmp', 'series', 'libvirt'] as const) {
      const names = BLOCK_COUNTERS.map((r) => r[column]).filter((n) => n !== null);
      expect(new Set(names).size, column).toBe(names.length);
    }
  });

  it('starts counters at 0 and nullable ones at null, a new object each time', () => {
    const a = emptyBlockCounters();
    expect(a).toMatchObject({ rdOps: 0, failedWrOps: 0, idleTimeNs: null });
    expect(Object.keys(a)).toEqual(BLOCK_COUNTERS.map((r) => r.field));
    a.rdOps = 5;
    expect(emptyBlockCounters().rdOps).toBe(0);
  });

  it('gives libvirt the rd/wr/fl counters virsh domstats prints, in its order', () => {
    expect(LIBVIRT_BLOCK_COUNTERS.map((r) => r.libvirt)).toEqual(['rd.reqs', 'rd.bytes', 'rd.times', 'wr.reqs', 'wr.bytes', 'wr.times', 'fl.reqs', 'fl.times']);
  });
});
