/** A host's clock offset against the broker (skew.ts): robust, stable, recoverable, forgotten. */
import { describe, expect, it } from 'vitest';
import { sampleRec, VM } from '#test/support/records.js';
import { defaultProcessorConfig } from '#schemas/config/processor.js';
import type { Alert } from '#schemas/outputs.js';
import type { RawRecord } from '#schemas/types.js';
import { createCore } from '../step.js';
import { initialState } from '../state/state.js';

const T0 = 1_800_000_000_000;
const MIN = 60_000;

/** One record a second for `seconds` from `from` (broker time); the host stamps `offset(i)` ms off, delivered `delay(i)` ms late. */
function run(from: number, seconds: number, offset: (i: number) => number, delay: (i: number) => number = () => 0): Array<{ rec: RawRecord; appendT: number }> {
  return Array.from({ length: seconds }, (_, i) => {
    const trueT = from + i * 1000;
    return { rec: sampleRec(trueT + offset(i)), appendT: trueT + delay(i) };
  });
}

function step(input: Array<{ rec: RawRecord; appendT: number }>, state = initialState(), config = defaultProcessorConfig()) {
  const core = createCore(config, { emitRates: true });
  const { outputs } = core.step(
    state,
    input.map((x) => x.rec),
    { allowedLatenessMs: 10_000, clockSample: (i) => ({ sentAt: input[i]!.rec.t, appendT: input[i]!.appendT }) },
  );
  return { state, outputs, skew: state.skews.find((s) => s.host === VM.host)! };
}

const skewAlerts = (alerts: readonly Alert[]) => alerts.filter((a) => a.type === 'clock-skew').map((a) => `${a.labels.host} ${a.state} ${a.value}`);

describe('a host’s clock offset against the broker', () => {
  it('delivery delay is not an offset: a healthy host’s times are left as stamped, its rates unjittered', () => {
    const { outputs, skew } = step(
      run(
        T0,
        60,
        () => 0,
        (i) => 50 + ((i * 37) % 900),
      ),
    );
    expect(skew.applied).toBe(0);
    expect(skew.estimate).toBeLessThanOrEqual(-50);
    expect(new Set(outputs.rates.map((r) => r.t % 1000))).toEqual(new Set([0])); // record times untouched
  });

  it('a host 2 min fast is judged in true time; its jittery delivery never moves the offset taken off', () => {
    const { outputs, skew } = step(
      run(
        T0,
        120,
        () => 2 * MIN,
        (i) => (i * 37) % 900,
      ),
    );
    expect(skew.applied).toBe(2 * MIN); // the first record's offset, kept: later ones differ by < 5 s
    expect(Math.max(...outputs.rates.map((r) => r.t))).toBe(T0 + 119_000);
    expect(skewAlerts(outputs.alerts)).toEqual([]);
  });

  it('one poll stamped a day ahead moves one bucket, not the estimate', () => {
    const { state, skew, outputs } = step(run(T0, 90, (i) => (i === 45 ? 86_400_000 : 0)));
    expect(skew.estimate).toBe(0);
    expect(skew.applied).toBe(0);
    expect(state.counters.clockSkew).toBe(0);
    expect(state.counters.clockAhead).toBe(1); // the poll itself: refused by the partition's clock, as before
    expect(skewAlerts(outputs.alerts)).toEqual([]);
  });

  it('beyond the limit: refused and alerted once; once the clock is fixed, the alert resolves and records count again', () => {
    const state = initialState();
    const off = step(
      run(T0, 30, () => 6 * MIN),
      state,
    );
    expect(state.counters.clockSkew).toBe(30);
    expect(off.outputs.refused.map((r) => r.code)).toEqual(Array(30).fill('CLOCK_SKEW'));
    expect(off.outputs.refused[0]!.reason).toMatch(/host h1's clock is \+360\.0 s off the broker's, more than \+300\.0 s/);
    expect(skewAlerts(off.outputs.alerts)).toEqual(['h1 firing 360']);
    const fixed = step(
      run(T0 + 30_000, 60, () => 0),
      state,
    );
    expect(skewAlerts(fixed.outputs.alerts)).toEqual(['h1 resolved 0']);
    expect(fixed.skew.applied).toBe(0);
    const refusedAfterFix = fixed.outputs.refused.length;
    expect(refusedAfterFix).toBeGreaterThan(0); // until the fixed clock holds most buckets (about 30 s)
    expect(refusedAfterFix).toBeLessThanOrEqual(30);
    expect(state.counters.samples).toBe(60 - refusedAfterFix);
  });

  it('a host silent for the TTL is forgotten, its alert resolved', () => {
    const state = initialState();
    const other = { ...VM, host: 'h2', uuid: 'u-2', name: 'vm2' };
    step(
      run(T0, 5, () => 6 * MIN),
      state,
    );
    expect(state.skews.map((s) => s.host)).toEqual(['h1']);
    const later = run(T0 + 5_000, 960, () => 0).map((x) => ({ ...x, rec: sampleRec(x.rec.t, {}, other) }));
    const { outputs } = step(later, state);
    expect(state.skews.map((s) => s.host)).toEqual(['h2']);
    expect(skewAlerts(outputs.alerts)).toEqual(['h1 resolved 360']);
  });
});

describe('the agent’s send time, not the record’s age, measures the clock', () => {
  it('an hour of spooled backlog sent now is not a host an hour behind: nothing refused, times as stamped', () => {
    const now = T0 + 60 * MIN;
    const backlog = Array.from({ length: 120 }, (_, i) => sampleRec(T0 + i * 1000)); // an hour old, a correct clock
    const state = initialState();
    const { outputs } = createCore(defaultProcessorConfig(), { emitRates: true }).step(state, backlog, {
      allowedLatenessMs: 10_000,
      clockSample: (i) => ({ sentAt: now + i * 5, appendT: now + i * 5 + 20 }), // sent in one flush, 20 ms on the wire
    });
    expect(outputs.refused).toEqual([]);
    expect(state.counters.clockSkew).toBe(0);
    expect(state.skews[0]).toMatchObject({ applied: 0 });
    expect(Math.abs(state.skews[0]!.estimate)).toBeLessThan(100);
    expect(Math.max(...outputs.rates.map((r) => r.t))).toBe(T0 + 119_000);
  });

  it('a message without the header (an older agent) is not measured, whatever its timestamp', () => {
    const state = initialState();
    const recs = run(T0, 30, () => 0).map((x) => x.rec);
    const { outputs } = createCore(defaultProcessorConfig(), { emitRates: true }).step(state, recs, {
      allowedLatenessMs: 10_000,
      clockSample: () => undefined,
    });
    expect(outputs.refused).toEqual([]);
    expect(state.skews).toEqual([]);
    expect(outputs.rates.length).toBeGreaterThan(0);
  });
});
