import { describe, expect, it } from 'vitest';
import type { RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import { rollupRow } from '#test/support/rollupRows.js';
import { toRollupRow } from '#schemas/codecs/rollupWindows.js';
import { committable, emptyLane, feed, type Lane, markStored, passTo, pendingWindows } from './assembly.js';

const T0 = Date.UTC(2026, 10, 22, 2, 0);

/** Chunk `chunk` of `chunks` of raw partition `p`'s 1-minute window starting at minute `m`. */
function rec(p: number, m: number, chunk = 0, chunks = 1): RollupWindowRecord {
  const windowStart = T0 + m * 60_000;
  return { partition: p, resolutionMs: 60_000, windowStart, chunk, chunks, rows: [toRollupRow(rollupRow({ windowStart, series: `s${chunk}` }))] };
}

function run(lane: Lane, records: Array<RollupWindowRecord | null>, from = 0) {
  return records.map((r, i) => feed(lane, from + i, r));
}

describe('rollup writer assembly', () => {
  it("joins a window's chunks in order; commits stop at the first record of a window not stored", () => {
    const lane = emptyLane();
    const out = run(lane, [rec(0, 0, 0, 3), rec(0, 0, 1, 3), rec(1, 0), rec(0, 0, 2, 3)]);
    expect(out.map((o) => o.complete?.id ?? null)).toEqual([null, null, `1:60000:${T0}`, `0:60000:${T0}`]);
    expect(out[3]!.complete!.window.rows.map((r) => r.series)).toEqual(['s0', 's1', 's2']);
    expect(out[3]!.complete!.window.rows[0]!.windowStart).toBe(T0);
    expect(committable(lane)).toBe(0); // neither stored
    expect(pendingWindows(lane)).toBe(2);
    markStored(lane, out[2]!.complete!);
    expect(committable(lane)).toBe(0); // the three-chunk window from offset 0 is not
    markStored(lane, out[3]!.complete!);
    expect(committable(lane)).toBe(4);
    expect(pendingWindows(lane)).toBe(0);
  });

  it('an open window holds the commit at its first chunk', () => {
    const lane = emptyLane();
    const [first] = run(lane, [rec(0, 0)]);
    markStored(lane, first!.complete!);
    run(lane, [rec(0, 1, 0, 2)], 1);
    expect(committable(lane)).toBe(1);
    const [last] = run(lane, [rec(0, 1, 1, 2)], 2);
    markStored(lane, last!.complete!);
    expect(committable(lane)).toBe(3);
  });

  it('a record already fed (a re-fetch) is skipped', () => {
    const lane = emptyLane();
    run(lane, [rec(0, 0, 0, 2), rec(0, 0, 1, 2)]);
    expect(run(lane, [rec(0, 0, 0, 2), rec(0, 0, 1, 2)])).toEqual([
      { complete: null, dropped: [] },
      { complete: null, dropped: [] },
    ]);
    expect(pendingWindows(lane)).toBe(1);
  });

  it.each([
    ['an undecodable record', [null], ['undecodable'], 1],
    ['a chunk without its first', [rec(0, 0, 1, 2)], ['orphan-chunk'], 1],
    ['a window interrupted by the next one', [rec(0, 0, 0, 2), rec(0, 1)], ['incomplete-window'], 2],
    ['a chunk out of order', [rec(0, 0, 0, 3), rec(0, 0, 2, 3)], ['incomplete-window', 'orphan-chunk'], 2],
  ] as const)('%s is dropped, counted, and not waited for', (_, records, reasons, commitAt) => {
    const lane = emptyLane();
    const out = run(lane, [...records]);
    expect(out.flatMap((o) => o.dropped)).toEqual(reasons);
    for (const o of out) if (o.complete) markStored(lane, o.complete);
    expect(committable(lane)).toBe(commitAt);
  });

  it('a transaction marker after the last record moves the commit past it, once everything is stored', () => {
    const lane = emptyLane();
    const [one] = run(lane, [rec(0, 0, 0, 2)]);
    passTo(lane, 3); // chunk 0 at 0, an aborted record at 1, a marker at 2
    expect(one!.complete).toBeNull();
    expect(committable(lane)).toBe(0);
    const [two] = run(lane, [rec(0, 0, 1, 2)], 3);
    passTo(lane, 5);
    markStored(lane, two!.complete!);
    expect(committable(lane)).toBe(5);
    passTo(lane, 2);
    expect(committable(lane)).toBe(5);
  });

  it('nothing to commit before the first record', () => {
    expect(committable(emptyLane())).toBeNull();
  });
});
