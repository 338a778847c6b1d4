import { describe, expect, it } from 'vitest';
import { statsParams } from '#test/support/pollerDoubles.js';
import type { DomainRef } from './domainRef.js';
import { isIncomplete, StatsBatch } from './statsBatch.js';
import type { StatsClient } from './statsSource.js';
import type { DomainStatsRecord } from './typedParams.js';

const doms: DomainRef[] = ['a', 'b', 'c'].map((n, i) => ({ name: n, uuid: `00000000-0000-4000-8000-00000000000${i}`, id: i + 1 }));
const [a, b, c] = doms as [DomainRef, DomainRef, DomainRef];

/** A client whose bulk stats answer with each asked domain's record (counters at the call's number), recording each call. */
function client(): StatsClient & { calls: Array<{ names: string[]; flags: number; groups: number }>; fail: boolean } {
  const calls: Array<{ names: string[]; flags: number; groups: number }> = [];
  const c = {
    calls,
    fail: false,
    getAllDomainStats: async (ds: DomainRef[], groups: number, flags = 0): Promise<DomainStatsRecord[]> => {
      calls.push({ names: ds.map((d) => d.name), flags, groups });
      if (c.fail) throw new Error('libvirt: timed out');
      return ds.map((d) => ({ domain: d, params: statsParams(calls.length) }));
    },
    getXmlDesc: async () => '',
    getBlockJobInfo: async () => ({ found: false, type: 0, bandwidth: 0n, cur: 0n, end: 0n }),
    onClose: () => () => {},
  };
  return c;
}

/** The write counter of a record (its call's number). */
const callOf = (r: DomainStatsRecord | undefined): number => Number(r?.params.find((p) => p.field === 'block.0.wr.reqs')?.value.value);

describe('StatsBatch: one GetAllDomainStats per tick for every domain of the host', () => {
  it('reads every domain of a tick in one call once it knows them, each domain its own record', async () => {
    let now = 0;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0x40000000, now: () => now });
    // First tick: the domains connect one after the other; the first starts a batch, the others are read alone.
    for (const d of doms) {
      await batch.read(cl, d);
      now += 1;
    }
    expect(cl.calls.map((x) => x.names)).toEqual([['a'], ['b'], ['c']]);
    // Next ticks: one call for the three, within a few ms of each other.
    for (const tick of [1, 2]) {
      now = tick * 1000;
      const recs = await Promise.all(doms.map((d) => batch.read(cl, d)));
      expect(recs.map((r) => r?.domain.name)).toEqual(['a', 'b', 'c']);
      expect(new Set(recs.map(callOf))).toEqual(new Set([3 + tick]));
    }
    expect(cl.calls.map((x) => x.names)).toEqual([['a'], ['b'], ['c'], ['a', 'b', 'c'], ['a', 'b', 'c']]);
    // NOWAIT beside the caller's flags: a hung domain does not make every later call wait for its job.
    expect(cl.calls.every((x) => x.flags === (0x40000000 | 0x20000000))).toBe(true);
  });

  it('never serves a domain the same record twice: a read off the grid right after its tick reads it alone', async () => {
    let now = 1000;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0, now: () => now });
    const first = await batch.read(cl, a);
    now += 10;
    const again = await batch.read(cl, a);
    expect(callOf(again)).not.toBe(callOf(first));
    expect(cl.calls.map((x) => x.names)).toEqual([['a'], ['a']]);
  });

  it('leaves out a domain not read for more than 3 ticks (stopped, removed)', async () => {
    let now = 0;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0, now: () => now });
    await Promise.all([batch.read(cl, a), batch.read(cl, b), batch.read(cl, c)]);
    for (const tick of [1, 2, 3, 4]) {
      now = tick * 1000;
      await Promise.all([batch.read(cl, a), batch.read(cl, b)]);
    }
    expect(cl.calls.slice(-4).map((x) => x.names)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b'],
    ]);
  });

  it('a failed call fails the tick of every domain that waited for it, and the next tick calls again', async () => {
    let now = 0;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0, now: () => now });
    await Promise.all([batch.read(cl, a), batch.read(cl, b)]);
    now = 1000;
    await Promise.all([batch.read(cl, a), batch.read(cl, b)]);
    now = 2000;
    cl.fail = true;
    const failed = await Promise.allSettled([batch.read(cl, a), batch.read(cl, b)]);
    expect(failed.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    cl.fail = false;
    now = 3000;
    expect((await Promise.all([batch.read(cl, a), batch.read(cl, b)])).map((r) => r?.domain.name)).toEqual(['a', 'b']);
  });

  it('a batch of another (older) libvirt connection is not used: a new one is read on the new connection', async () => {
    const now = 0;
    const old = client();
    const fresh = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0, now: () => now });
    await batch.read(old, a);
    expect((await batch.read(fresh, b))?.domain.name).toBe('b');
    expect(fresh.calls.map((x) => x.names)).toEqual([['a', 'b']]);
  });
});

describe('StatsBatch: the slow groups on slow ticks', () => {
  it("a slow tick's batch asks for them for every domain; a fast read may use a slow batch, a slow read never a fast one", async () => {
    let now = 0;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, slowGroups: 4, flags: 0, now: () => now });
    await Promise.all([batch.read(cl, a, true), batch.read(cl, b, true)]); // a connects and starts the batch; b reads alone
    now = 1000;
    await Promise.all([batch.read(cl, a, false), batch.read(cl, b, false)]);
    now = 2000;
    await Promise.all([batch.read(cl, a, true), batch.read(cl, b, true)]);
    expect(cl.calls.slice(-2)).toEqual([
      { names: ['a', 'b'], flags: 0x20000000, groups: 8 },
      { names: ['a', 'b'], flags: 0x20000000, groups: 8 | 4 },
    ]);
    now = 3000;
    await Promise.all([batch.read(cl, a, true), batch.read(cl, b, false)]); // b (fast) takes its record from the slow batch
    expect(cl.calls.slice(-1)).toEqual([{ names: ['a', 'b'], flags: 0x20000000, groups: 12 }]);
    now = 4000;
    const recs = await Promise.all([batch.read(cl, a, false), batch.read(cl, b, true)]); // b (slow) cannot use a fast batch: alone
    expect(recs.map((r) => r?.domain.name)).toEqual(['a', 'b']);
    expect(cl.calls.slice(-2)).toEqual([
      { names: ['a', 'b'], flags: 0x20000000, groups: 8 },
      { names: ['b'], flags: 0x20000000, groups: 12 },
    ]);
  });
});

describe("StatsBatch: a domain's extra groups", () => {
  it("a batch asks for every member's extra groups; a read whose extra groups a fresh batch lacks reads alone", async () => {
    let now = 0;
    const cl = client();
    const batch = new StatsBatch({ intervalMs: 1000, groups: 8, flags: 0, now: () => now });
    await Promise.all([batch.read(cl, a, false, 0), batch.read(cl, b, false, 2)]); // b (cpu-total) cannot use a's batch
    expect(cl.calls.map((x) => [x.names, x.groups])).toEqual([
      [['a'], 8],
      [['b'], 10],
    ]);
    now = 1000;
    await Promise.all([batch.read(cl, a, false, 0), batch.read(cl, b, false, 2)]);
    expect(cl.calls.slice(-1).map((x) => [x.names, x.groups])).toEqual([[['a', 'b'], 10]]);
  });
});

describe('isIncomplete: a record libvirt filled without the monitor', () => {
  it('has disks and no I/O counter: incomplete; with counters or without disks: complete', () => {
    const full = statsParams(1);
    expect(isIncomplete(full)).toBe(false);
    expect(isIncomplete(full.filter((p) => !/\.(rd|wr|fl)\./.test(p.field)))).toBe(true);
    expect(isIncomplete([{ field: 'state.state', value: { type: 'int', value: 1 } }])).toBe(false);
    expect(isIncomplete([{ field: 'block.count', value: { type: 'uint', value: 0 } }])).toBe(false);
  });
});
