/**
 * The poll loop's contract, the same cases against each of its three sources, with doubles
 * only at each source's transport (test/support/pollerDoubles.ts): a QmpSession (the VM's
 * own socket), libvirt's connection answering QMP passthrough (the `qmp` mode, through the
 * real monitor session) and libvirt's connection answering bulk stats (the `stats` mode).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '#common/sleep.js';
import type { RawRecord } from '#schemas/types.js';
import { FakeVm, LibvirtDouble, SessionDouble, dom, domainXml, testPollerOptions } from '#test/support/pollerDoubles.js';
import { targetOf } from '../libvirt/discovery.js';
import { parseDomainXml } from '../libvirt/domainXml.js';
import type { LibvirtHost } from '../libvirt/host.js';
import { openMonitorSession } from '../libvirt/monitorSession.js';
import { StatsBatch } from '../libvirt/statsBatch.js';
import { StatsSource } from '../libvirt/statsSource.js';
import { sysfsReader } from '../host/sysfs.js';
import { sampleBuilder } from '../sample/sampleBuilder.js';
import type { SampleBuilder } from '../sample/seam.js';
import { createTelemetry, type AgentTelemetry } from '../telemetry.js';
import type { Poller, PollerOptions } from './options.js';
import { PollLoop } from './pollLoop.js';
import { VmPoller } from './vmPoller.js';
import { unixTarget } from './vmTarget.js';

const STALE_AFTER = 3;
const vmLabel = { vm: dom.name };
const CAP = 10;
const opts: PollerOptions = { ...testPollerOptions, staleAfterMissedTicks: STALE_AFTER, maxEventsPerSecond: CAP };

/** One poller on a fresh fake VM, and the VM's controls. */
interface Rig {
  poller: Poller;
  vm: FakeVm;
  records: RawRecord[];
  telemetry: AgentTelemetry;
  /** One event of the same kind, `n` times at once. */
  events(n: number): void;
  /** The connection ends: EOF on the socket, libvirtd restarting. */
  drop(): void;
}

type Source = 'socket' | 'libvirt qmp' | 'libvirt stats';

function rig(source: Source): Rig {
  const vm = new FakeVm();
  const records: RawRecord[] = [];
  const telemetry = createTelemetry();
  const deps = {
    builder: sampleBuilder as SampleBuilder<unknown>,
    sink: { publish: (_k: string, r: RawRecord) => records.push(r) },
    hostReader: sysfsReader(),
    telemetry,
  };
  if (source === 'socket') {
    let session: SessionDouble | undefined;
    const poller = new VmPoller(
      {
        ...unixTarget(`/run/contract/${dom.name}.sock`),
        open: async (o) => (session = new SessionDouble(vm, o)),
      },
      opts,
      deps,
    );
    return { poller, vm, records, telemetry, events: (n) => repeat(n, () => session?.event('BLOCK_IO_ERROR')), drop: () => session?.end() };
  }
  const libvirt = new LibvirtDouble(vm);
  const host = libvirt as unknown as LibvirtHost;
  const target = targetOf('qemu:///system', dom, parseDomainXml(domainXml), (o) => openMonitorSession(host, dom, o));
  // The stats source reads through the host-wide batch, as the agent runs it.
  const batch = new StatsBatch({ intervalMs: opts.fastIntervalMs, groups: 0, flags: 0 });
  const poller =
    source === 'libvirt qmp'
      ? new VmPoller(target, opts, deps)
      : new PollLoop(target, opts, deps, new StatsSource(target, libvirt, dom, opts, { readStats: batch.read }));
  return { poller, vm, records, telemetry, events: (n) => repeat(n, () => libvirt.ioError()), drop: () => libvirt.restart() };
}

function repeat(n: number, f: () => void): void {
  for (let i = 0; i < n; i++) f();
}

const kinds = (r: Rig) => r.records.map((x) => (x.body.kind === 'AgentNotice' ? `notice:${x.body.value.kind}` : x.body.kind));
const count = (r: Rig, kind: string) => kinds(r).filter((k) => k === kind).length;
const notices = (r: Rig, kind: string) => r.records.flatMap((x) => (x.body.kind === 'AgentNotice' && x.body.value.kind === kind ? [x.body.value] : []));
/** Waits for a state of the rig (the doubles answer at once: a few fast intervals). */
const until = (what: string, f: () => boolean) =>
  vi.waitFor(
    () => {
      if (!f()) throw new Error(`not yet: ${what}`);
    },
    { timeout: 3000, interval: 5 },
  );

const rigs: Rig[] = [];
afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.poller.stop()));
});

function started(source: Source): Rig {
  const r = rig(source);
  rigs.push(r);
  r.poller.start();
  return r;
}

describe.each<Source>(['socket', 'libvirt qmp', 'libvirt stats'])('the poll loop over the %s source', (source) => {
  it(`goes stale after ${STALE_AFTER} missed ticks (notice, gauge), then answers again: recovered, gauge cleared`, async () => {
    const r = started(source);
    await until('two samples', () => count(r, 'Sample') >= 2);
    r.vm.answering = false;
    await until('the stale notice', () => count(r, 'notice:stale') === 1);
    expect.soft(notices(r, 'stale')[0]!.message).toMatch(new RegExp(`^${STALE_AFTER} ticks without an answer`));
    expect.soft(r.poller.state).toBe('stale');
    expect.soft(r.telemetry.vmStale.value(vmLabel)).toBe(1);
    expect.soft(r.telemetry.vmsStale.value()).toBe(1);
    expect.soft(r.telemetry.ticksMissed.value(vmLabel)).toBe(STALE_AFTER);
    r.vm.answering = true;
    await until('the recovered notice', () => count(r, 'notice:recovered') === 1);
    const k = kinds(r);
    expect(k.indexOf('notice:recovered')).toBeGreaterThan(k.indexOf('notice:stale'));
    expect(r.poller.state).toBe('up');
    expect(r.telemetry.vmStale.value(vmLabel)).toBe(0);
    expect(r.telemetry.vmsStale.value()).toBe(0);
    await until('a sample after recovering', () => kinds(r).lastIndexOf('Sample') > kinds(r).indexOf('notice:recovered'));
  });

  it(`publishes at most ${CAP} events a second of one kind; the rest are counted and summed up in a notice`, async () => {
    const r = started(source);
    await until('a sample', () => count(r, 'Sample') >= 1);
    r.events(200);
    const suppressed = () => r.telemetry.eventsSuppressed.value(vmLabel);
    await until('the events-suppressed notice', () => notices(r, 'events-suppressed').length > 0);
    const published = r.records.filter((x) => x.body.kind === 'QmpEvent');
    expect(published.length).toBeGreaterThanOrEqual(CAP);
    expect(published.length).toBeLessThanOrEqual(CAP + 1);
    expect(published.every((x) => x.body.kind === 'QmpEvent' && x.body.value.event === 'BLOCK_IO_ERROR')).toBe(true);
    expect(published.length + suppressed()).toBe(200);
    expect(notices(r, 'events-suppressed').reduce((n, x) => n + x.count, 0)).toBe(suppressed());
  });

  it('keeps one seq stream with no gap across a reconnect', async () => {
    const r = started(source);
    await until('two samples', () => count(r, 'Sample') >= 2);
    r.drop();
    await until(
      'connected again, and sampling',
      () => count(r, 'notice:connected') === 2 && kinds(r).lastIndexOf('Sample') > kinds(r).lastIndexOf('notice:connected'),
    );
    const k = kinds(r);
    expect(k.indexOf('notice:disconnected')).toBeGreaterThan(k.indexOf('Sample'));
    expect(k.indexOf('notice:disconnected')).toBeLessThan(k.lastIndexOf('notice:connected'));
    expect(r.records.map((x) => x.seq)).toEqual(r.records.map((_, i) => i));
    expect(new Set(r.records.map((x) => x.vm.uuid))).toEqual(new Set([dom.uuid]));
    expect(new Set(r.records.map((x) => x.runId)).size).toBe(1); // a reconnect is the same run
  });

  it('numbers each run from 0 under its own run id: a restarted poller (an agent restart) starts a new run', async () => {
    const first = started(source);
    await until('two samples', () => count(first, 'Sample') >= 2);
    await first.poller.stop();
    const second = started(source);
    await until('two samples', () => count(second, 'Sample') >= 2);
    const runOf = (r: Rig) => [...new Set(r.records.map((x) => x.runId))];
    expect(runOf(first)).toHaveLength(1);
    expect(runOf(second)).toHaveLength(1);
    expect(runOf(first)[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(runOf(second)[0]).not.toBe(runOf(first)[0]);
    expect(second.records.map((x) => x.seq)).toEqual(second.records.map((_, i) => i));
  });

  it('publishes nothing once stop() resolved, not the tick in flight nor a later event', async () => {
    const r = started(source);
    await until('two samples', () => count(r, 'Sample') >= 2);
    r.vm.hold();
    const calls = r.vm.calls;
    await until('a tick in flight', () => r.vm.calls > calls);
    const stopping = r.poller.stop();
    r.vm.release();
    await stopping;
    const n = r.records.length;
    r.events(3);
    r.drop();
    await sleep(5 * opts.fastIntervalMs);
    expect(r.records.length).toBe(n);
    expect(r.poller.state).toBe('stopped');
    expect(r.telemetry.vmStale.value(vmLabel)).toBe(0);
  });
});
