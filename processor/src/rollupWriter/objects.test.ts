import { describe, expect, it } from 'vitest';
import type { RollupWindowRecord } from '#schemas/codecs/rollupWindows.js';
import { toRollupRow } from '#schemas/codecs/rollupWindows.js';
import { rollupRow } from '#test/support/rollupRows.js';
import type { ClosedWindow } from '../partition/rollupBuffer.js';
import { parseRollupObjectKey } from '../sinks/objectKey.js';
import { committable, emptyLane, feed } from './assembly.js';
import { type LaneIo, storeObjects, writeWindow } from './laneStore.js';
import { allObjects, emptyObjects, idleObjects, type ObjectBuilder, type ObjectSettings, type ReadyObject } from './objects.js';

const T0 = Date.UTC(2026, 10, 22, 2, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

/** A builder whose bytes are the windows it holds, as JSON: which windows an object holds, and their rows. */
function fakeBuilder(): ObjectBuilder {
  const windows: Array<[number, number, number]> = [];
  return {
    append: (w: ClosedWindow) => void windows.push([w.resolutionMs, w.windowStart, w.rows.length]),
    get rows() {
      return windows.reduce((n, w) => n + w[2], 0);
    },
    get bytes() {
      return JSON.stringify(windows).length;
    },
    finish: () => new TextEncoder().encode(JSON.stringify(windows)),
  };
}

const settings = (maxRows = 1_000_000, maxBytes = 1 << 30): ObjectSettings => ({ prefix: 'r', maxRows, maxBytes, builder: fakeBuilder });

/** Raw partitions 0 and 1 on one lane: 1-minute windows for 2 h 10 min (3 rows each, every fifth in 2 chunks), the 1-hour ones as their hour ends. */
function topic(): RollupWindowRecord[] {
  const out: RollupWindowRecord[] = [];
  const win = (p: number, res: number, start: number, rows: number, chunks: number) => {
    const all = Array.from({ length: rows }, (_, i) => toRollupRow(rollupRow({ windowStart: start, resolutionMs: res, series: `s${i}` })));
    const per = Math.ceil(rows / chunks);
    for (let c = 0; c < chunks; c++)
      out.push({ partition: p, resolutionMs: res, windowStart: start, chunk: c, chunks, rows: all.slice(c * per, (c + 1) * per) });
  };
  for (let m = 0; m < 130; m++) {
    for (const p of [0, 1]) {
      if (p === 1 && m % 7 === 3) continue; // partition 1 has quiet minutes
      win(p, MIN, T0 + m * MIN, 3, m % 5 === 0 ? 2 : 1);
    }
    if (m === 60 || m === 120) for (const p of [0, 1]) win(p, HOUR, T0 + (m / 60 - 1) * HOUR, 4, 1);
  }
  return out;
}

interface Store {
  objects: Map<string, Uint8Array>;
  io: LaneIo;
}

function memory(): Store {
  const objects = new Map<string, Uint8Array>();
  return {
    objects,
    io: {
      list: async (prefix) => [...objects.keys()].filter((k) => k.startsWith(prefix)),
      put: async (o) => void objects.set(o.key, o.body),
    },
  };
}

/**
 * One writer over records [from, to): feeds its lane, writes windows, commits every
 * `commitEvery` records; `stop` puts what is open (a graceful stop), else it dies. Returns its last commit.
 */
async function writer(recs: RollupWindowRecord[], from: number, to: number, io: LaneIo, s: ObjectSettings, commitEvery: number, stop: boolean) {
  const lane = emptyLane();
  const objs = emptyObjects();
  let commit = from;
  for (let i = from; i < to; i++) {
    const { complete } = feed(lane, i, recs[i]!);
    if (complete) await writeWindow(lane, objs, s, complete, 0, io);
    if ((i + 1) % commitEvery === 0) commit = committable(lane) ?? commit;
  }
  if (stop) {
    await storeObjects(lane, objs, allObjects(objs, s), io);
    commit = committable(lane) ?? commit;
  }
  return commit;
}

/** Every window the objects hold, as "partition:resolution:start", with how many objects hold it. */
function held(objects: Map<string, Uint8Array>): Map<string, number> {
  const n = new Map<string, number>();
  for (const [key, body] of objects) {
    const name = parseRollupObjectKey(key)!;
    for (const [res, start] of JSON.parse(new TextDecoder().decode(body)) as number[][]) {
      const id = `${name.partition}:${res}:${start}`;
      n.set(id, (n.get(id) ?? 0) + 1);
    }
  }
  return n;
}

function windowsOf(recs: RollupWindowRecord[]): string[] {
  return [...new Set(recs.map((r) => `${r.partition}:${r.resolutionMs}:${r.windowStart}`))].sort();
}

describe('rollup objects', () => {
  it('one object per partition, resolution and hour (1 min) or day (1 h), cut when the span ends', async () => {
    const recs = topic();
    const m = memory();
    await writer(recs, 0, recs.length, m.io, settings(), 1, true);
    const keys = [...m.objects.keys()].sort();
    // Each partition: 1-min objects for 02:00, 03:00 and (stopped) 04:00–04:09; the 1-h windows in one day object.
    expect(keys.filter((k) => k.includes('part-0-'))).toEqual([
      `r/resolution=1h/date=2026-11-22/hour=00/part-0-${T0}-${T0 + HOUR}.parquet`,
      `r/resolution=1m/date=2026-11-22/hour=02/part-0-${T0}-${T0 + 59 * MIN}.parquet`,
      `r/resolution=1m/date=2026-11-22/hour=03/part-0-${T0 + HOUR}-${T0 + HOUR + 59 * MIN}.parquet`,
      `r/resolution=1m/date=2026-11-22/hour=04/part-0-${T0 + 2 * HOUR}-${T0 + 2 * HOUR + 9 * MIN}.parquet`,
    ]);
    expect([...held(m.objects).values()].every((n) => n === 1)).toBe(true);
    expect([...held(m.objects).keys()].sort()).toEqual(windowsOf(recs));
  });

  it('the commit holds at the first record of the oldest window not in a stored object', async () => {
    const recs = topic().filter((r) => r.partition === 0 && r.resolutionMs === MIN);
    const m = memory();
    const lane = emptyLane();
    const objs = emptyObjects();
    let i = 0;
    for (; recs[i]!.windowStart < T0 + 59 * MIN; i++) {
      const { complete } = feed(lane, i, recs[i]!);
      if (complete) await writeWindow(lane, objs, settings(), complete, 0, m.io);
    }
    expect(committable(lane)).toBe(0); // the hour is open: nothing stored
    expect(m.objects.size).toBe(0);
    const { complete } = feed(lane, i, recs[i]!); // minute 59 ends the span
    await writeWindow(lane, objs, settings(), complete!, 0, m.io);
    expect(m.objects.size).toBe(1);
    expect(committable(lane)).toBe(i + 1);
  });

  it('cuts at maxRows and maxBytes, deterministically', async () => {
    const recs = topic().filter((r) => r.partition === 0 && r.resolutionMs === MIN && r.windowStart < T0 + HOUR);
    const m = memory();
    await writer(recs, 0, recs.length, m.io, settings(10), 1, true);
    expect(m.objects.size).toBe(20); // 60 windows of 3 rows, 3 per object
    const b = memory();
    await writer(recs, 0, recs.length, b.io, settings(1_000, 60), 1, true);
    expect(b.objects.size).toBeGreaterThan(1);
    expect([...held(b.objects).values()].every((n) => n === 1)).toBe(true);
  });

  const crashCases = [
    { name: 'commits after every record', commitEvery: 1, maxRows: 1_000_000 },
    { name: 'commits every 7 records, objects cut at 10 rows', commitEvery: 7, maxRows: 10 },
  ];
  for (const c of crashCases) {
    it(`a writer dying at any record (${c.name}): the next one, from the committed offset, leaves no window twice and none out`, async () => {
      const recs = topic();
      const expected = windowsOf(recs);
      for (let crashAt = 0; crashAt <= recs.length; crashAt += 3) {
        const m = memory();
        const s = settings(c.maxRows);
        const committed = await writer(recs, 0, crashAt, m.io, s, c.commitEvery, false);
        await writer(recs, committed, recs.length, m.io, s, c.commitEvery, true);
        const h = held(m.objects);
        expect([...h.keys()].sort(), `crash at ${crashAt}`).toEqual(expected);
        expect(
          [...h].filter(([, n]) => n > 1),
          `crash at ${crashAt}: windows in two objects`,
        ).toEqual([]);
      }
    });
  }

  it('a rebalance: the old owner puts its objects after the new owner listed (in flight): same keys, same bytes, no window twice', async () => {
    const recs = topic();
    for (let handover = 10; handover < recs.length; handover += 17) {
      const m = memory();
      const s = settings(10);
      const late: ReadyObject[] = [];
      // The old owner's puts from record `handover - 40` on land only after the new owner is done.
      let at = 0;
      const slow: LaneIo = { list: m.io.list, put: async (o) => (at >= handover - 40 ? void late.push(o) : m.io.put(o)) };
      const lane = emptyLane();
      const objs = emptyObjects();
      let committed = 0;
      for (; at < handover; at++) {
        const { complete } = feed(lane, at, recs[at]!);
        if (complete) await writeWindow(lane, objs, s, complete, 0, slow);
        if (at < handover - 40) committed = committable(lane) ?? committed;
      }
      await writer(recs, committed, recs.length, m.io, s, 1, true);
      const before = new Map(m.objects);
      for (const o of late) {
        if (before.has(o.key)) expect(Buffer.from(before.get(o.key)!).equals(Buffer.from(o.body)), o.key).toBe(true);
        await m.io.put(o);
      }
      expect(
        [...held(m.objects)].filter(([, n]) => n > 1),
        `handover at ${handover}`,
      ).toEqual([]);
      expect([...held(m.objects).keys()].sort()).toEqual(windowsOf(recs));
    }
  });

  it('an idle object is written by the clock; the next window of its span starts a new one after it', async () => {
    const recs = topic().filter((r) => r.partition === 0 && r.resolutionMs === MIN && r.windowStart < T0 + HOUR);
    const m = memory();
    const lane = emptyLane();
    const objs = emptyObjects();
    const s = settings();
    for (let i = 0; i < recs.length; i++) {
      const { complete } = feed(lane, i, recs[i]!);
      if (complete) await writeWindow(lane, objs, s, complete, i, m.io);
      if (i === 20) await storeObjects(lane, objs, idleObjects(objs, s, 1_000, 500), m.io);
    }
    expect(m.objects.size).toBe(2);
    expect(committable(lane)).toBe(recs.length);
    expect([...held(m.objects).keys()].sort()).toEqual(windowsOf(recs));
  });
});
