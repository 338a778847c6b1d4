import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { StatsSchemaSnapshot } from '#schemas/types.js';
import { bucketQuantile, linearLower, log2Lower } from './histogram.js';
import { BUCKET, CUMULATIVE, GAUGE, PEAK, SKIP } from '../series/layout.js';
import { initialState } from '../state/state.js';
import { buildStatsLayout } from './statsLayout.js';
import { createCore } from '../step.js';
import { sampleRec, snapshotRec, stat, statsResult } from '#test/support/records.js';

const snap: StatsSchemaSnapshot = {
  hash: 'h1',
  schemas: [
    {
      provider: 'kvm',
      target: 'vcpu',
      stats: [
        stat('exits', 'cumulative'),
        stat('guest_mode', 'instant', { unit: 'boolean' }),
        stat('wait_hist', 'log2-histogram', { unit: 'seconds', base: 10, exponent: -9 }),
        stat('max_thing', 'peak'),
        stat('lin', 'linear-histogram', { bucketSize: 10 }),
        stat('future_kind', 'sampled-average'),
        stat('wait_ns', 'cumulative', { unit: 'seconds', base: 10, exponent: -9 }),
      ],
    },
  ],
};

describe('stats layouts from the snapshot', () => {
  it('maps types to slot kinds, histograms to a size slot plus buckets, scales by base^exponent', () => {
    const values = [5, 1, 4, 0, 1, 2, 3, 7, 3, 0, 0, 1, 42, 1000];
    const l = buildStatsLayout('h1|kvm|vcpu', snap.schemas[0]!.stats, values)!;
    expect(Array.from(l.kinds)).toEqual([CUMULATIVE, GAUGE, SKIP, BUCKET, BUCKET, BUCKET, BUCKET, PEAK, SKIP, BUCKET, BUCKET, BUCKET, GAUGE, CUMULATIVE]);
    expect(l.groups.map((g) => [g.name, g.type, g.offset, g.size, g.unit])).toEqual([
      ['exits', 'counter', 0, 1, 'count'],
      ['guest_mode', 'gauge', 1, 1, 'boolean'],
      ['wait_hist', 'histogram', 3, 4, 'seconds'],
      ['max_thing', 'gauge', 7, 1, 'count'],
      ['lin', 'histogram', 9, 3, 'count'],
      ['future_kind', 'gauge', 12, 1, 'count'],
      ['wait_ns', 'counter', 13, 1, 'seconds'],
    ]);
    expect(l.groups[2]!.scale).toBeCloseTo(1e-9, 20);
    expect(l.groups[2]!.lower).toEqual([0, 1, 2, 4]);
    expect(l.groups[4]!.lower).toEqual([0, 10, 20]);
    expect(l.seriesCount).toBe(12);
    expect(l.id).toBe('h1|kvm|vcpu|14:2,4,8,3');
  });

  it('a histogram missing from the reply is one -1 slot and gets its own layout', () => {
    const l = buildStatsLayout('k', snap.schemas[0]!.stats, [5, 1, -1, 7, 3, 0, 0, 1, 42, 1000])!;
    expect(l.groups.map((g) => g.name)).toEqual(['exits', 'guest_mode', 'max_thing', 'lin', 'future_kind', 'wait_ns']);
    expect(l.checks).toEqual([4, 3, 2, -1]);
  });

  it('rejects values that do not fit the descriptors', () => {
    expect(buildStatsLayout('k', snap.schemas[0]!.stats, [1, 2, 3])).toBeNull();
    expect(buildStatsLayout('k', snap.schemas[0]!.stats, [5, 1, 4, 0, 1, 2, 3, 7, 3, 0, 0, 1, 42, 1000, 9])).toBeNull();
  });
});

describe('histogram buckets (KVM api.rst)', () => {
  it('log2: [0,1), [1,2), [2,4), …, last open; linear uses bucket-size', () => {
    expect(log2Lower(5)).toEqual([0, 1, 2, 4, 8]);
    expect(linearLower(3, 16)).toEqual([0, 16, 32]);
  });
  it.each([
    [[4, 0, 0, 0], 0.5, 0.5],
    [[0, 2, 2, 0], 0.5, 2],
    [[0, 2, 2, 0], 0.99, 3.96],
    [[0, 0, 0, 5], 0.5, 4],
    [[0, 0, 0, 0], 0.5, null],
  ] as const)('quantile of %j at %d is %d', (counts, q, want) => {
    const v = bucketQuantile(log2Lower(4), counts, 0, q);
    if (want === null) expect(v).toBeNull();
    else expect(v).toBeCloseTo(want, 9);
  });
});

describe('KVM stats through the core', () => {
  it('rates counters, keeps gauges and peaks, reports histogram quantiles per interval, works for unknown types', () => {
    const core = createCore(defaultProcessorConfig(), { emitRates: true });
    const at = (t: number, exits: number, hist: number[], ns: number) =>
      sampleRec(t, {
        blockDevices: [],
        stats: { schemaHash: 'h1', results: [statsResult('vcpu', [exits, 1, 4, ...hist, 7, 3, 0, 0, 1, 42, ns], '/machine/unattached/device[2]')] },
      });
    const recs = [snapshotRec(0, snap), at(1000, 100, [0, 0, 0, 0], 0), at(2000, 300, [0, 2, 2, 0], 500_000_000), at(3000, 300, [0, 2, 2, 4], 500_000_000)];
    const out = core.step(initialState(), recs).outputs.rates;
    const at2 = Object.fromEntries(out.filter((r) => r.t === 2000).map((r) => [r.series, [r.value, r.unit]]));
    expect(at2['vcpu.0.exits']).toEqual([200, 'count/s']);
    expect(at2['vcpu.0.guest_mode']).toEqual([1, 'boolean']);
    expect(at2['vcpu.0.max_thing']).toEqual([7, 'count']);
    expect(at2['vcpu.0.future_kind']).toEqual([42, 'count']);
    expect(at2['vcpu.0.wait_ns']![0]).toBeCloseTo(0.5, 12);
    expect(at2['vcpu.0.wait_ns']![1]).toBe('seconds/s');
    expect(at2['vcpu.0.wait_hist.p50']![0]).toBeCloseTo(2e-9, 18); // 4 new waits: 2 in [1,2) ns, 2 in [2,4) ns
    const at3 = Object.fromEntries(out.filter((r) => r.t === 3000).map((r) => [r.series, r.value]));
    expect(at3['vcpu.0.wait_hist.p50']).toBeCloseTo(4e-9, 18); // only the open bucket moved: its lower bound
  });
});
