import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient } from './client.js';
import { QmpDisconnectedError } from './errors.js';
import type { QmpEventMessage } from './messages.js';
import { effectiveGatherMs, ReadGate } from './readGate.js';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture } from '#test/support/transcriptLines.js';

const kvm = loadFixture('kvm-vcpu-stats.jsonl');
const thin = loadFixture('thin-lv-enospc-commit.jsonl');
/** A fast tick of the fixture's VM, as the poller sends it (tickPlan.ts). */
const TICK: Array<[string, Record<string, unknown>?]> = [
  ['query-status'],
  ['query-stats', { target: 'vm' }],
  ['query-stats', { target: 'vcpu' }],
  ['query-blockstats'],
  ['query-blockstats', { 'query-nodes': true }],
];

const servers: FakeServer[] = [];
const clients: QmpClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(gatherMs: number, lines = kvm, onEvent?: (e: QmpEventMessage) => void): Promise<{ c: QmpClient; srv: FakeServer }> {
  // QEMU answers one command at a time: 5 ms between answers, as on a busy host.
  const srv = await replayServer(lines, { spacingMs: 5 });
  servers.push(srv);
  const c = await QmpClient.connect({ kind: 'unix', path: srv.path }, { gatherMs, ...(onEvent ? { onEvent } : {}) });
  clients.push(c);
  return { c, srv };
}

/** One tick pipelined: the socket reads it took and how long it took. */
async function tick(c: QmpClient): Promise<{ reads: number; ms: number; replies: unknown[] }> {
  const reads0 = c.reads;
  const t0 = performance.now();
  const replies = await Promise.all(TICK.map(([cmd, args]) => c.execute(cmd, args)));
  return { reads: c.reads - reads0, ms: performance.now() - t0, replies };
}

describe('ReadGate: a tick’s replies are read together', () => {
  it('without it every spaced reply is its own read; with it, one read, and the same replies', async () => {
    const open = await tick((await setup(0)).c);
    const gated = await tick((await setup(100)).c);
    expect(open.reads).toBeGreaterThanOrEqual(5);
    expect(gated.reads).toBe(1);
    expect(gated.ms).toBeGreaterThanOrEqual(99);
    expect(gated.replies).toEqual(open.replies);
    expect((gated.replies[2] as Array<{ stats: unknown[] }>)[0]!.stats).toHaveLength(47); // the fixture's KVM vCPU stats
  });

  it('a single command (the handshake, a command after a tick) is read at once', async () => {
    const { c } = await setup(200);
    const t0 = performance.now();
    await c.execute('query-status');
    expect(performance.now() - t0).toBeLessThan(150);
  });

  it('events that arrive while it waits are delivered when it opens, in order', async () => {
    const events: string[] = [];
    const { c } = await setup(30, thin, (e) => events.push(e.event));
    // The transcript's commands up to past the guest's ENOSPC pause and resume, sent in ticks of 6.
    const cmds = thin.slice(0, 400).filter((l) => l.dir === 'out' && String(l.msg.execute).startsWith('query-') && l.msg.execute !== 'query-version');
    for (let i = 0; i < cmds.length; i += 6)
      await Promise.all(cmds.slice(i, i + 6).map((l) => c.execute(String(l.msg.execute), l.msg.arguments as Record<string, unknown> | undefined)));
    const recorded = thin.filter((l) => l.dir === 'in' && 'event' in l.msg).map((l) => String(l.msg.event));
    expect(events).toEqual(['BLOCK_IO_ERROR', 'BLOCK_IO_ERROR', 'STOP', 'RESUME']);
    expect(recorded.slice(0, 4)).toEqual(events);
  });

  it('closing while it waits fails the tick at once and leaves no timer behind', async () => {
    const { c } = await setup(5_000);
    const pending = Promise.all(TICK.map(([cmd, args]) => c.execute(cmd, args))).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    await c.close();
    expect(await pending).toBeInstanceOf(QmpDisconnectedError);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it('pauses once per batch and resumes when the time is up', async () => {
    const calls: string[] = [];
    const g = new ReadGate({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, 20);
    g.afterWrite();
    g.afterWrite(); // a second batch inside the window: still one pause
    expect(g.closed).toBe(true);
    await new Promise((r) => setTimeout(r, 40));
    expect(calls).toEqual(['pause', 'resume']);
    expect(g.closed).toBe(false);
    new ReadGate({ pause: () => calls.push('pause'), resume: () => calls.push('resume') }, 0).afterWrite();
    expect(calls).toHaveLength(2); // 0: off
  });

  it('is capped at a quarter of the fast interval and of the command timeout', () => {
    expect(effectiveGatherMs(150, 1000, 2000)).toBe(150);
    expect(effectiveGatherMs(150, 200, 2000)).toBe(50);
    expect(effectiveGatherMs(150, 1000, 400)).toBe(100);
    expect(effectiveGatherMs(0, 1000, 2000)).toBe(0);
  });
});
