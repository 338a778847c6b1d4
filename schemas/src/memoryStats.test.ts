import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { recordFields } from '#test/support/avsc.js';
import { GUEST_MEMORY_STATS, MEMORY_STATS, emptyMemoryStats } from './memoryStats.js';

const raw: unknown = JSON.parse(readFileSync(new URL('../avro/raw.avsc', import.meta.url), 'utf8'));
const avroFields = recordFields(raw, 'MemoryStats') ?? [];

describe('the memory table', () => {
  it('agrees with raw.avsc MemoryStats both ways: each figure a nullable long defaulting to null', () => {
    expect(avroFields.map((f) => f.name)).toEqual(MEMORY_STATS.map((r) => r.field));
    for (const f of avroFields) expect([f.name, f.type, f.default]).toEqual([f.name, ['null', 'long'], null]);
  });

  it('names each figure once in every vocabulary', () => {
    for (const column of ['field', 'libvirt', 'qmp'] as const) {
      const names = MEMORY_STATS.map((r) => r[column]).filter((n) => n !== null);
      expect(new Set(names).size, column).toBe(names.length);
    }
  });

  it("reads the guest's figures from QEMU's guest-stats names", () => {
    expect(GUEST_MEMORY_STATS.map((r) => r.qmp)).toEqual([
      'stat-swap-in',
      'stat-swap-out',
      'stat-major-faults',
      'stat-minor-faults',
      'stat-free-memory',
      'stat-total-memory',
      'stat-available-memory',
      'stat-disk-caches',
      'stat-htlb-pgalloc',
      'stat-htlb-pgfail',
    ]);
  });

  it('starts every figure unknown (null), a new object each time', () => {
    const a = emptyMemoryStats();
    expect(Object.values(a).every((v) => v === null)).toBe(true);
    a.rssBytes = 1;
    expect(emptyMemoryStats().rssBytes).toBeNull();
  });
});
