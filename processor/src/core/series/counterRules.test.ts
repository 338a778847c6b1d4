import { describe, expect, it } from 'vitest';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import { classifyInterval, counterStep, rateOf } from './counterRules.js';
import { initialState } from '../state/state.js';
import { createCore } from '../step.js';
import { VM, sampleRec, series, tap } from '#test/support/records.js';

const rates = defaultProcessorConfig().rates; // 1 s interval, gap > 3 s

describe('counter rules (unit)', () => {
  it.each([
    [-1, 1000, 'first'], [0, 1000, 'ok'], [0, 3000, 'ok'], [0, 3001, 'gap'], [1000, 1000, 'nonpositive'], [2000, 1000, 'nonpositive'],
  ] as const)('interval (%i, %i] is %s', (prev, t, kind) => expect(classifyInterval(prev, t, rates)).toBe(kind));

  it.each([
    [-1, 5, { kind: 'first' }], [5, -1, { kind: 'first' }], [5, 9, { kind: 'delta', delta: 4 }], [5, 5, { kind: 'delta', delta: 0 }], [9, 4, { kind: 'reset', increase: 4 }],
  ] as const)('counter %i → %i', (p, c, want) => expect(counterStep(p, c)).toEqual(want));

  it('rates only over ok intervals', () => {
    expect(rateOf(10, 500, 'ok')).toBe(20);
    expect(rateOf(10, 5000, 'gap')).toBeNull();
    expect(rateOf(10, 1000, 'first')).toBeNull();
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
    { name: 'first sight emits nothing', spec: '0+10x3', want: [[2000, 10], [3000, 10], [4000, 10]] },
    { name: 'a decrease is a reset: no rate for its interval, counted', spec: '0+10x3 5 15', want: [[2000, 10], [3000, 10], [4000, 10], [6000, 10]], resets: 1 },
    { name: 'a reset to zero never gives a negative or huge rate', spec: '1000000 0 10', want: [[3000, 10]], resets: 1 },
    { name: 'a missing value is first sight again', spec: '0 10 _ 30 40', want: [[2000, 10], [5000, 10]] },
    { name: 'a gap > 3 intervals breaks the rate', spec: '0 10 20 60 70', times: [1000, 2000, 3000, 8000, 9000], want: [[2000, 10], [3000, 10], [9000, 10]], gaps: 1 },
    { name: 'a gap of exactly 3 intervals still rates', spec: '0 30', times: [1000, 4000], want: [[4000, 10]] },
    { name: 'dt ≤ 0 is dropped and counted', spec: '0 10 99 20', times: [1000, 2000, 2000, 3000], want: [[2000, 10], [3000, 10]], dropped: 1 },
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
      sampleRec(1000, { blockDevices: [], net: [tap(100)] }), sampleRec(2000, { blockDevices: [], net: [tap(110)] }),
      sampleRec(3000, { blockDevices: [], net: [tap(500)] }, vm2), sampleRec(4000, { blockDevices: [], net: [tap(520)] }, vm2),
    ];
    const state = initialState();
    const got = core.step(state, recs).outputs.rates.filter((r) => r.series === 'net.tap0.rx.bytes').map((r) => [r.t, r.value]);
    expect(got).toEqual([[2000, 10], [4000, 20]]); // 500 > 110, yet it is a reset
    expect(state.counters.counterResets).toBe(8); // each of tap0's 8 counters reset
  });
});
