import { describe, expect, it } from 'vitest';
import { bufferRollups, initialRollupBuffer, releaseAll, type ClosedWindow } from './rollupBuffer.js';
import { rollupRow } from '#test/support/rollupRows.js';

const cfg = { allowedLatenessMs: 5_000 };
const T0 = Date.UTC(2026, 10, 22, 2, 0, 0);
const row = (vm: string, series: string, start = T0) => rollupRow({ vm, series, windowStart: start });

describe('rollup buffer', () => {
  it('releases a window once the partition watermark passes its end, all VMs in one object', () => {
    let st = initialRollupBuffer();
    let due: ClosedWindow[];
    ({ state: st, due } = bufferRollups(st, [row('b', 'x')], T0 + 61_000, cfg));
    expect(due).toEqual([]);
    ({ state: st, due } = bufferRollups(st, [row('a', 'y'), row('a', 'x')], T0 + 64_999, cfg));
    expect(due).toEqual([]);
    ({ state: st, due } = bufferRollups(st, [], T0 + 65_000, cfg));
    expect(due).toHaveLength(1);
    expect(due[0]!.rows.map((r) => `${r.vm}.${r.series}`)).toEqual(['a.x', 'a.y', 'b.x']);
    expect(st.pending).toEqual({});
  });

  it('counts rows for a released window as late and never re-releases it', () => {
    let st = initialRollupBuffer();
    ({ state: st } = bufferRollups(st, [row('a', 'x')], T0 + 120_000, cfg));
    const { state, due } = bufferRollups(st, [row('b', 'x')], T0 + 120_001, cfg);
    expect(state.late).toBe(1);
    expect(due).toEqual([]);
    expect(releaseAll(state).due).toEqual([]);
  });

  it('keeps resolutions apart and is unchanged by a JSON checkpoint', () => {
    const rows = [row('a', 'x'), rollupRow({ vm: 'a', series: 'x', windowStart: T0, resolutionMs: 3_600_000 })];
    const st = JSON.parse(JSON.stringify(bufferRollups(initialRollupBuffer(), rows, T0 + 70_000, cfg).state));
    const { due } = releaseAll(st);
    expect(due.map((w) => w.resolutionMs)).toEqual([3_600_000]);
  });
});
