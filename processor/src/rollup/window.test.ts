import { describe, expect, it } from 'vitest';
import { addPoints, closeAll, initialRollupState, type ClosedWindow } from './window.js';
import { quantile } from './aggregate.js';
import type { RollupPoint } from './point.js';

const cfg = { resolutionsMs: [60_000], allowedLatenessMs: 5_000 };
const T0 = Date.UTC(2026, 10, 22, 2, 0, 0);
const counter = (s: number, delta: number, reset = false): RollupPoint => ({ kind: 'counter', vm: 'vm1', series: 'block.vda.wr.bytes', unit: 'bytes', t: T0 + s * 1000, delta, dt: 1, reset });
const gauge = (s: number, value: number): RollupPoint => ({ kind: 'gauge', vm: 'vm1', series: 'vm.g', unit: 'bytes', t: T0 + s * 1000, value });

describe('tumbling windows', () => {
  it('closes a window only once the watermark (max t − lateness) passes its end', () => {
    let st = initialRollupState();
    let closed: ClosedWindow[] = [];
    ({ state: st, closed } = addPoints(st, [counter(10, 100), counter(59, 50)], cfg));
    expect(closed).toEqual([]);
    ({ state: st, closed } = addPoints(st, [counter(64, 10)], cfg));
    expect(closed).toEqual([]); // watermark = 59 s, window ends at 60 s
    ({ state: st, closed } = addPoints(st, [counter(65, 10)], cfg));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.windowStart).toBe(T0);
    expect(closed[0]!.rows[0]).toMatchObject({ series: 'block.vda.wr.bytes', increase: 150, meanRate: 75, peakRate: 100, resets: 0, count: 2 });
  });

  it('counts late points and never reopens a closed window', () => {
    let st = initialRollupState();
    ({ state: st } = addPoints(st, [counter(1, 1), counter(70, 1)], cfg));
    const { state, closed } = addPoints(st, [counter(30, 999)], cfg);
    expect(state.late).toBe(1);
    expect(closed).toEqual([]);
    expect(closeAll(state).closed.map((w) => w.windowStart)).toEqual([T0 + 60_000]);
  });

  it('sums increases across a reset and counts it', () => {
    const { closed } = closeAll(addPoints(initialRollupState(), [counter(1, 10), counter(2, 3, true), counter(3, 5)], cfg).state);
    expect(closed[0]!.rows[0]).toMatchObject({ increase: 18, resets: 1, peakRate: 10 });
  });

  it('aggregates gauges: count, min, max, avg, last (by event time)', () => {
    const { closed } = closeAll(addPoints(initialRollupState(), [gauge(3, 5), gauge(1, 1), gauge(2, 9)], cfg).state);
    expect(closed[0]!.rows[0]).toMatchObject({ count: 3, min: 1, max: 9, avg: 5, last: 5 });
  });

  it('is deterministic across a JSON checkpoint taken mid-window', () => {
    const pts = Array.from({ length: 200 }, (_, i) => counter(i * 1.7, i % 7, i % 50 === 0));
    const straight = addPoints(initialRollupState(), pts, cfg);
    let st = initialRollupState();
    const out: ClosedWindow[] = [];
    for (let i = 0; i < pts.length; i += 33) {
      st = JSON.parse(JSON.stringify(st));
      const r = addPoints(st, pts.slice(i, i + 33), cfg);
      st = r.state;
      out.push(...r.closed);
    }
    expect(JSON.parse(JSON.stringify(st))).toEqual(JSON.parse(JSON.stringify(straight.state)));
    expect(out).toEqual(straight.closed);
  });
});

describe('quantile over buckets', () => {
  const lower = [0, 1, 2, 4, 8];
  it.each([
    [[0, 0, 0, 0, 0], 0.5, null],
    [[10, 0, 0, 0, 0], 0.5, 0.5],
    [[0, 0, 4, 0, 0], 0.5, 3],
    [[0, 0, 0, 0, 3], 0.99, 8],
    [[1, 1, 1, 1, 0], 0.5, 2],
  ] as const)('counts %j q=%d → %d', (counts, q, want) => {
    expect(quantile(lower, [...counts], q)).toBe(want);
  });
});
