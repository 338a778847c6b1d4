import { describe, expect, it } from 'vitest';
import { BLOCK_COUNTERS, emptyBlockCounters, type BlockCounters } from '#schemas/blockCounters.js';
import { BLOCK_LAYOUT, BLOCK_SLOT, LATENCIES, blockValues } from './fixedLayouts.js';
import { CUMULATIVE, GAUGE } from './layout.js';

/** Each counter a distinct value: 100 + its row. */
function distinct(): BlockCounters {
  const c = emptyBlockCounters();
  BLOCK_COUNTERS.forEach((r, i) => (c[r.field] = 100 + i));
  return c;
}

const slotNamed = (series: string): number => BLOCK_LAYOUT.groups.find((g) => g.name === series)!.offset;

describe('BLOCK_LAYOUT', () => {
  it('has one slot per counter of the table, with its series name, kind and scale', () => {
    expect(BLOCK_LAYOUT.length).toBe(BLOCK_COUNTERS.length);
    expect(BLOCK_LAYOUT.groups.map((g) => [g.name, g.unit, g.scale])).toContainEqual(['rd.times', 'seconds', 1e-9]);
    expect(BLOCK_LAYOUT.groups.map((g) => [g.name, g.unit, g.scale])).toContainEqual(['wr.bytes', 'bytes', 1]);
    expect(BLOCK_LAYOUT.kinds[slotNamed('idle')]).toBe(GAUGE);
    expect(BLOCK_LAYOUT.kinds[slotNamed('wr.failed')]).toBe(CUMULATIVE);
  });

  it('blockValues puts each counter in the slot of its series (a null one = -1)', () => {
    const c = distinct();
    const values = blockValues(c);
    expect(values).toHaveLength(BLOCK_LAYOUT.length);
    for (const r of BLOCK_COUNTERS) expect(values[slotNamed(r.series)], r.series).toBe(c[r.field]);
    expect(blockValues({ ...c, idleTimeNs: null })[slotNamed('idle')]).toBe(-1);
  });

  it('reads latencies and io-errors from the slots of their counters', () => {
    const values = blockValues({ ...emptyBlockCounters(), rdOps: 2, rdTimeNs: 3, wrOps: 4, wrTimeNs: 5, flushOps: 6, flushTimeNs: 7, failedWrOps: 8 });
    expect(LATENCIES.map(([name, time, ops]) => [name, values[time], values[ops]])).toEqual([
      ['rd.latency', 3, 2],
      ['wr.latency', 5, 4],
      ['fl.latency', 7, 6],
    ]);
    expect(values[BLOCK_SLOT.failedWr]).toBe(8);
  });
});
