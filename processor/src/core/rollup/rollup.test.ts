/** Rollup rows from hand-built samples: counters across resets, gaps and missing values; gauges; histograms; 1 min → coarser merge. */
import { describe, expect, it } from 'vitest';
import { ProcessorConfig } from '#schemas/config/processor.js';
import type { Rollup } from '#schemas/outputs.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, sampleRec, series, snapshotRec, stat, statsResult, tap } from '#test/support/records.js';

const cfg = ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000, 30_000] } });

function rows(values: number[], times?: number[]): Rollup[] {
  const core = createCore(cfg);
  const state = initialState();
  const recs = values.map((v, i) => sampleRec(times?.[i] ?? 1000 * (i + 1), { blockDevices: [], net: [tap(v)] }));
  const out = core.step(state, recs).outputs.rollups;
  return [...out, ...core.flush(state).rollups].filter((r) => r.series === 'net.tap0.rx.bytes');
}

describe('counter rollups', () => {
  it('sums increases per window, across a reset (the new value counts), with mean and peak rates', () => {
    // t = 1..9 s in window [0,10): 0 10 20 30 5 15 25 35 45 → increases 10+10+10, reset +5, +10+10+10+10 = 75
    const r = rows(series('0+10x3 5+10x4'));
    const w10 = r.filter((x) => x.resolutionMs === 10_000);
    expect(w10).toHaveLength(1);
    expect(w10[0]).toMatchObject({ windowStart: 0, count: 9, increase: 75, resets: 1, peakRate: 10 });
    expect(w10[0]!.meanRate).toBeCloseTo(75 / 8, 9); // increase over the 8 s of rate intervals (as Prometheus' rate over a reset)
  });

  it('excludes gap intervals and missing values from increase and time', () => {
    // 1 s: 0, 2 s: 10, 7 s: 60 (gap: excluded), 8 s: _ (missing), 9 s: 80 (first sight again), 10 s… next window
    const r = rows([0, 10, 60, -1, 80], [1000, 2000, 7000, 8000, 9000]).filter((x) => x.resolutionMs === 10_000);
    expect(r[0]).toMatchObject({ increase: 10, resets: 0, peakRate: 10 });
    expect(r[0]!.meanRate).toBeCloseTo(10 / 3, 9); // the block's rate intervals (1→2, 7→8, 8→9 s): time is kept per block, not per slot
  });

  it('closes windows as samples move on, and merges the finest into coarser ones', () => {
    const times = Array.from({ length: 25 }, (_, i) => 1000 * (i + 1)); // 1..25 s
    const r = rows(
      times.map((_, i) => 100 * i),
      times,
    );
    expect(r.filter((x) => x.resolutionMs === 10_000).map((x) => [x.windowStart, x.count, x.increase])).toEqual([
      [0, 9, 800],
      [10_000, 10, 1000],
      [20_000, 6, 600],
    ]);
    expect(r.filter((x) => x.resolutionMs === 30_000).map((x) => [x.windowStart, x.count, x.increase, x.peakRate])).toEqual([[0, 25, 2400, 100]]);
  });

  it('a new QEMU instance counts the first value as increase from 0', () => {
    const core = createCore(cfg);
    const state = initialState();
    const vm2 = { ...VM, instanceId: 'i2' };
    const recs = [
      sampleRec(1000, { blockDevices: [], net: [tap(100)] }),
      sampleRec(2000, { blockDevices: [], net: [tap(150)] }),
      sampleRec(3000, { blockDevices: [], net: [tap(30)] }, vm2),
      sampleRec(4000, { blockDevices: [], net: [tap(40)] }, vm2),
    ];
    core.step(state, recs);
    const r = core.flush(state).rollups.find((x) => x.series === 'net.tap0.rx.bytes' && x.resolutionMs === 10_000)!;
    expect(r).toMatchObject({ increase: 50 + 30 + 10, resets: 1 });
  });
});

describe('gauge and histogram rollups', () => {
  const snap = {
    hash: 'h',
    schemas: [
      { provider: 'kvm', target: 'vm', stats: [stat('pages', 'instant'), stat('hist', 'log2-histogram', { unit: 'seconds', base: 10, exponent: -9 })] },
    ],
  };
  it('gauges: count, min, max, avg, last; histograms: merged bucket deltas and quantiles', () => {
    const core = createCore(cfg);
    const state = initialState();
    const at = (s: number, pages: number, hist: number[]) =>
      sampleRec(s * 1000, { blockDevices: [], stats: { schemaHash: 'h', results: [statsResult('vm', [pages, 4, ...hist])] } });
    core.step(state, [snapshotRec(0, snap), at(1, 5, [0, 0, 0, 0]), at(2, 9, [0, 2, 0, 0]), at(3, 1, [0, 2, 3, 0]), at(4, 5, [1, 2, 3, 0])]);
    const out = core.flush(state).rollups.filter((r) => r.resolutionMs === 10_000);
    expect(out.find((r) => r.series === 'vm.pages')).toMatchObject({ type: 'gauge', count: 4, min: 5 - 4, max: 9, avg: 5, last: 5 });
    const h = out.find((r) => r.series === 'vm.hist')!;
    expect(h).toMatchObject({ type: 'histogram', buckets: [1, 2, 3, 0], unit: 'seconds' });
    expect(h.p50! / 1e-9).toBeCloseTo(2, 9); // rank 3 of 6: the end of bucket [1,2)
  });
});

describe('a resolution added to the config', () => {
  it('a state stepped under fewer resolutions goes on under more (a checkpoint from before 1 d was a default)', () => {
    const before = createCore(ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000] } }));
    const after = createCore(ProcessorConfig.parse({ rollup: { resolutionsMs: [10_000, 30_000] } }));
    const state = initialState();
    const rec = (t: number, v: number) => sampleRec(t, { blockDevices: [], net: [tap(v)] });
    before.step(state, [rec(1000, 0), rec(2000, 10)]);
    const out = [...after.step(state, [rec(3000, 20), rec(4000, 30)]).outputs.rollups, ...after.flush(state).rollups];
    const tap30 = out.filter((x) => x.series === 'net.tap0.rx.bytes' && x.resolutionMs === 30_000);
    expect(tap30.map((x) => [x.windowStart, x.increase])).toEqual([[0, 30]]);
  });
});
