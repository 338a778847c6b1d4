/**
 * The `stats` mode's block-job reads (JobWatch) and incomplete records, through the real
 * StatsSource on a libvirt double: which virDomainGetBlockJobInfo calls a tick makes.
 */
import { describe, expect, it } from 'vitest';
import { dom, domainXml, statsParams } from '#test/support/pollerDoubles.js';
import type { SourceConnection } from '../poller/source.js';
import { targetOf } from './discovery.js';
import { parseDomainXml } from './domainXml.js';
import type { DomainEvent } from './events.js';
import type { BlockJobInfo } from './remoteCalls.js';
import { StatsSource, type StatsClient, type StatsHost, type StatsSourceDeps } from './statsSource.js';
import type { TypedParam } from './typedParams.js';

const NONE: BlockJobInfo = { found: false, type: 0, bandwidth: 0n, cur: 0n, end: 0n };
const COMMIT: BlockJobInfo = { found: true, type: 4, bandwidth: 0n, cur: 10n, end: 100n };

function rig(deps: StatsSourceDeps = {}) {
  const jobAsks: string[] = [];
  const listeners = new Set<(ev: DomainEvent) => void>();
  const state = { job: NONE, complete: true };
  const groupsAsked: number[] = [];
  /** The balloon group (4), as libvirt fills it: current and rss in KiB, moving with each call that asks for it. */
  const balloon = (n: number): TypedParam[] => [
    { field: 'balloon.current', value: { type: 'ullong', value: 1_048_576n } },
    { field: 'balloon.maximum', value: { type: 'ullong', value: 1_048_576n } },
    { field: 'balloon.rss', value: { type: 'ullong', value: BigInt(200_000 + n) } },
  ];
  const client: StatsClient = {
    getAllDomainStats: async (ds, groups) => {
      groupsAsked.push(groups);
      const base = [
        ...(state.complete ? statsParams(1) : statsParams(1).filter((p) => !p.field.includes('.wr.'))),
        { field: 'vcpu.0.time', value: { type: 'ullong', value: 7_000_000_000n } } as const, // ns
        ...(groups & 2 ? [{ field: 'cpu.time', value: { type: 'ullong', value: 9_000_000_000n } } as const] : []), // cpu-total, ns
      ];
      return ds.map((d) => ({ domain: d, params: groups & 4 ? [...base, ...balloon(groupsAsked.length)] : base }));
    },
    getXmlDesc: async () => domainXml,
    getBlockJobInfo: async (_d, disk) => {
      jobAsks.push(disk);
      return state.job;
    },
    onClose: () => () => {},
  };
  const host: StatsHost = {
    client,
    onDomainEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const target = targetOf('qemu:///system', dom, parseDomainXml(domainXml), async () => {
    throw new Error('not used');
  });
  const source = new StatsSource(target, host, dom, { host: 'h' }, deps);
  const event = (status: number): void => {
    for (const l of listeners) l({ kind: 'blockJob2', callbackId: 1, domain: dom, dst: 'vda', type: 4, status });
  };
  return { source, jobAsks, state, event, groupsAsked };
}

const hooks = { onEvent: () => {}, onClose: () => {} };

/** Reads ticks, `slow` each as given; returns the jobs of each sample. */
async function ticks(conn: SourceConnection, slows: boolean[]): Promise<number[]> {
  const out: number[] = [];
  for (const slow of slows) out.push((await conn.read(slow)).sample.jobs.length);
  return out;
}

describe('StatsSource: block-job information only while a job can be running', () => {
  it('asks every disk on the slow grid only, while no job runs', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    await ticks(conn, [true, false, false, false, true, false]);
    expect(r.jobAsks).toEqual(['vda', 'vda']);
  });

  it('a job found on the slow grid is asked for every tick until found gone (a start is seen within the slow interval)', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    expect(await ticks(conn, [true, false])).toEqual([0, 0]); // started after the slow tick: not seen yet
    r.state.job = COMMIT;
    expect(await ticks(conn, [false, true, false, false])).toEqual([0, 1, 1, 1]);
    expect(r.jobAsks).toEqual(['vda', 'vda', 'vda', 'vda']);
    r.state.job = NONE;
    expect(await ticks(conn, [false, false, false])).toEqual([0, 0, 0]);
    expect(r.jobAsks).toHaveLength(5); // found gone once, then no more asks off the slow grid
  });

  it('an event ends the watch (completed) or starts it (a mirror ready)', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    r.state.job = COMMIT;
    await ticks(conn, [true, false]);
    expect(r.jobAsks).toHaveLength(2);
    r.event(0); // BLOCK_JOB_2 completed
    r.state.job = NONE;
    await ticks(conn, [false, false]);
    expect(r.jobAsks).toHaveLength(2);
    r.state.job = COMMIT;
    r.event(3); // ready: a mirror (active commit, copy) waits to be pivoted: still running
    expect(await ticks(conn, [false])).toEqual([1]);
    expect(r.jobAsks).toHaveLength(3);
  });

  it('a record without the I/O counters (libvirt did not reach QEMU) fails the tick instead of reading as counters reset', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    r.state.complete = false;
    await expect(conn.read(false)).rejects.toThrow(/incomplete/);
    r.state.complete = true;
    expect((await conn.read(false)).sample.blockDevices[0]!.counters.wrOps).toBe(1);
  });
});

describe('StatsSource: memory on the slow grid', () => {
  it('asks for the balloon group on slow ticks only and carries its figures on the ticks between', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    const rss: Array<number | null | undefined> = [];
    for (const slow of [true, false, false, true, false]) rss.push((await conn.read(slow)).sample.memory?.rssBytes);
    expect(r.groupsAsked.map((g) => (g & 4) !== 0)).toEqual([true, false, false, true, false]);
    // Every group but the balloon on every tick.
    expect(new Set(r.groupsAsked.map((g) => g & ~4)).size).toBe(1);
    expect(rss).toEqual([200_001 * 1024, 200_001 * 1024, 200_001 * 1024, 200_004 * 1024, 200_004 * 1024]);
  });

  it('a new connection carries nothing of the last one: memory is unknown until its first slow tick', async () => {
    const r = rig();
    const conn = await r.source.connect(hooks);
    expect((await conn.read(true)).sample.memory).not.toBeNull();
    const again = await r.source.connect(hooks);
    expect((await again.read(false)).sample.memory).toBeNull();
  });
});

describe('StatsSource: CPU times from procfs where the process can be read', () => {
  const reading = { userTicks: 300, systemTicks: 50, rssKb: 1000, vcpus: [] };

  it("reads the QEMU process's utime and stime and leaves libvirt's cpu-total group out; vCPU times stay libvirt's", async () => {
    const asked: number[] = [];
    const r = rig({
      qemuPid: async () => 4242,
      processStats: (th) => {
        asked.push(th.pid);
        return reading;
      },
    });
    const conn = await r.source.connect(hooks);
    const cpu = (await conn.read(false)).sample.cpu;
    expect(r.groupsAsked.every((g) => (g & 2) === 0)).toBe(true);
    expect(cpu).toEqual({ timeUs: 3_500_000, userUs: 3_000_000, systemUs: 500_000, vcpus: [{ index: 0, timeUs: 7_000_000 }] });
    expect(asked.every((pid) => pid === 4242)).toBe(true);
  });

  it('asks for the cpu-total group when the pid is not found or its procfs cannot be read', async () => {
    for (const deps of [{ qemuPid: async () => null, processStats: () => reading }, { qemuPid: async () => 4242, processStats: () => undefined }, {}]) {
      const r = rig(deps);
      const conn = await r.source.connect(hooks);
      const cpu = (await conn.read(false)).sample.cpu;
      expect(r.groupsAsked.every((g) => (g & 2) === 2)).toBe(true);
      expect(cpu?.timeUs).toBe(9_000_000);
    }
  });

  it("rss comes with every tick's procfs reading; the other memory figures stay the slow tick's", async () => {
    const r = rig({ qemuPid: async () => 4242, processStats: () => reading });
    const conn = await r.source.connect(hooks);
    const memories = [(await conn.read(true)).sample.memory, (await conn.read(false)).sample.memory];
    expect(memories.map((m) => m?.rssBytes)).toEqual([1000 * 1024, 1000 * 1024]);
    expect(memories.map((m) => m?.currentBytes)).toEqual([1_048_576 * 1024, 1_048_576 * 1024]);
  });

  it('a process gone between ticks leaves the totals unknown (null), not 0', async () => {
    let alive = true;
    const r = rig({ qemuPid: async () => 4242, processStats: () => (alive ? reading : undefined) });
    const conn = await r.source.connect(hooks);
    alive = false;
    const cpu = (await conn.read(false)).sample.cpu;
    expect([cpu?.timeUs, cpu?.userUs, cpu?.systemUs]).toEqual([null, null, null]);
    expect(cpu?.vcpus).toEqual([{ index: 0, timeUs: 7_000_000 }]);
  });
});
