import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { classifyInterval, foldRuns, RESET_DELTA, RESET_PENDING } from './counterRules.js';
import { CUMULATIVE, GAUGE, layoutOf } from './layout.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, sampleRec, series, tap } from '#test/support/records.js';

const rates = defaultProcessorConfig().rates; // 1 s interval, gap > 3 s

describe('counter rules (unit)', () => {
  it.each([
    [-1, 1000, 'first'],
    [0, 1000, 'ok'],
    [0, 3000, 'ok'],
    [0, 3001, 'gap'],
    [1000, 1000, 'nonpositive'],
    [2000, 1000, 'nonpositive'],
  ] as const)('interval (%i, %i] is %s', (prev, t, kind) => expect(classifyInterval(prev, t, rates)).toBe(kind));

  // The kernel on one cumulative slot: prev (-1 unknown, -2 a new instance) → cur over an ok interval of 1 s.
  const counter = layoutOf('t', 1, [{ name: 'c', type: 'counter', offset: 0, size: 1, unit: 'bytes', scale: 1, lower: null }], () => CUMULATIVE);
  function fold(prev: number, cur: number, rateOk = true): { delta: number; resets: number; increase: number; peak: number } {
    const pv = [prev, -1];
    const w = { minBase: [Math.max(prev, 0)], sum: [0], resets: {} };
    const deltas = new Float64Array(1);
    const resets = foldRuns(pv, counter, [cur], w, rateOk, 1e6 / 1000, deltas);
    return { delta: deltas[0]!, resets, increase: Math.max(pv[0]!, 0) - w.minBase[0]!, peak: pv[1]! };
  }

  it.each([
    // prev, cur: delta (-1 none, RESET_DELTA after a reset), resets, the window's increase, the peak rate (milli-units/s, -1 none)
    [-1, 5, { delta: -1, resets: 0, increase: 0, peak: -1 }], // rule 1: first sight
    [5, -1, { delta: -1, resets: 0, increase: 0, peak: -1 }], // missing: no delta; the increase so far is kept
    [5, 9, { delta: 4, resets: 0, increase: 4, peak: 4000 }],
    [5, 5, { delta: 0, resets: 0, increase: 0, peak: -1 }],
    [9, 4, { delta: RESET_DELTA, resets: 1, increase: 4, peak: -1 }], // rule 2: a decrease is a reset; the increase counts from 0
    [RESET_PENDING, 500, { delta: RESET_DELTA, resets: 1, increase: 500, peak: -1 }], // rule 2: a new instance, even upwards
  ] as const)('counter %i → %i', (p, c, want) => expect(fold(p, c)).toEqual(want));

  it('a gap keeps the value but gives no delta, and its increase is left out (rule 3)', () => {
    expect(fold(5, 9, false)).toEqual({ delta: -1, resets: 0, increase: 0, peak: -1 });
  });

  it('gauges: min, max and sum of the window; no delta', () => {
    const gauge = layoutOf('g', 1, [{ name: 'g', type: 'gauge', offset: 0, size: 1, unit: 'bytes', scale: 1, lower: null }], () => GAUGE);
    const pv = [-1, -1];
    const w = { minBase: [0], sum: [0], resets: {} };
    const deltas = new Float64Array(1);
    for (const v of [7, 3, 9]) foldRuns(pv, gauge, [v], w, true, 1, deltas);
    expect({ min: w.minBase[0], max: pv[1], sum: w.sum[0], last: pv[0], delta: deltas[0] }).toEqual({ min: 3, max: 9, sum: 19, last: 9, delta: -1 });
  });

  it('without deltas the kernel leaves the same state', () => {
    for (const [p, c] of [
      [-1, 5],
      [5, 9],
      [9, 4],
      [RESET_PENDING, 7],
    ] as const) {
      const run = (deltas: Float64Array | null) => {
        const pv = [p, -1];
        const w = { minBase: [Math.max(p, 0)], sum: [0], resets: {} };
        const resets = foldRuns(pv, counter, [c], w, true, 1, deltas);
        return { pv, w, resets };
      };
      expect(run(null)).toEqual(run(new Float64Array(1)));
    }
  });
});

/** Runs tap0 rx byte values sampled at the given times through the core; returns rx rates by time. */
function rxRates(values: number[], times?: number[]): { rates: Array<[number, number]>; counters: ReturnType<typeof initialState>['counters'] } {
  const core = createCore(defaultProcessorConfig(), { emitRates: true });
  const recs = values.map((v, i) => sampleRec(times?.[i] ?? (i + 1) * 1000, { blockDevices: [], net: [tap(v)] }));
  const state = initialState();
  const { outputs } = core.step(state, recs);
  return { rates: outputs.rates.filter((r) => r.series === 'net.tap0.rx.bytes').map((r) => [r.t, r.value]), counters: state.counters };
}

describe('counter rules through the core (table-driven, Prometheus-style series)', () => {
  const cases: Array<{ name: string; spec: string; times?: number[]; want: Array<[number, number]>; resets?: number; gaps?: number; dropped?: number }> = [
    {
      name: 'first sight emits nothing',
      spec: '0+10x3',
      want: [
        [2000, 10],
        [3000, 10],
        [4000, 10],
      ],
    },
    {
      name: 'a decrease is a reset: no rate for its interval, counted',
      spec: '0+10x3 5 15',
      want: [
        [2000, 10],
        [3000, 10],
        [4000, 10],
        [6000, 10],
      ],
      resets: 1,
    },
    { name: 'a reset to zero never gives a negative or huge rate', spec: '1000000 0 10', want: [[3000, 10]], resets: 1 },
    {
      name: 'a missing value is first sight again',
      spec: '0 10 _ 30 40',
      want: [
        [2000, 10],
        [5000, 10],
      ],
    },
    {
      name: 'a gap > 3 intervals breaks the rate',
      spec: '0 10 20 60 70',
      times: [1000, 2000, 3000, 8000, 9000],
      want: [
        [2000, 10],
        [3000, 10],
        [9000, 10],
      ],
      gaps: 1,
    },
    { name: 'a gap of exactly 3 intervals still rates', spec: '0 30', times: [1000, 4000], want: [[4000, 10]] },
    {
      name: 'dt ≤ 0 is dropped and counted',
      spec: '0 10 99 20',
      times: [1000, 2000, 2000, 3000],
      want: [
        [2000, 10],
        [3000, 10],
      ],
      dropped: 1,
    },
  ];
  it.each(cases)('$name', (c) => {
    const { rates: got, counters } = rxRates(series(c.spec), c.times);
    expect(got).toEqual(c.want);
    expect(counters.counterResets).toBe(c.resets ?? 0);
    expect(counters.gaps).toBe(c.gaps ?? 0);
    expect(counters.nonPositiveDt).toBe(c.dropped ?? 0);
  });

  it('a new instanceId resets every counter: the next interval emits nothing, then rates resume', () => {
    const core = createCore(defaultProcessorConfig(), { emitRates: true });
    const vm2 = { ...VM, instanceId: 'i2' };
    const recs = [
      sampleRec(1000, { blockDevices: [], net: [tap(100)] }),
      sampleRec(2000, { blockDevices: [], net: [tap(110)] }),
      sampleRec(3000, { blockDevices: [], net: [tap(500)] }, vm2),
      sampleRec(4000, { blockDevices: [], net: [tap(520)] }, vm2),
    ];
    const state = initialState();
    const got = core
      .step(state, recs)
      .outputs.rates.filter((r) => r.series === 'net.tap0.rx.bytes')
      .map((r) => [r.t, r.value]);
    expect(got).toEqual([
      [2000, 10],
      [4000, 20],
    ]); // 500 > 110, yet it is a reset
    expect(state.counters.counterResets).toBe(8); // each of tap0's 8 counters reset
  });
});
