import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawRecord } from '#schemas/types.js';
import type { Tick } from '../sample/tick.js';
import type { SampleBuilder } from '../sample/seam.js';
import { sysfsReader } from '../host/sysfs.js';
import { garbageServer, replayServer, startServer, stuckServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture, type TranscriptLine } from '#test/support/transcriptLines.js';
import { testPollerOptions } from '#test/support/pollerOptions.js';
import { createTelemetry } from '../telemetry.js';
import { sampleBuilder } from '../sample/sampleBuilder.js';
import { VmPoller, type PollerOptions } from './vmPoller.js';
import { unixTarget } from './vmTarget.js';
import { isAllowed, readOnlyAllowlist } from '../qmp/allowlist.js';

const kvm = loadFixture('kvm-vcpu-stats.jsonl');
const thin = loadFixture('thin-lv-enospc-commit.jsonl');

const opts: PollerOptions = testPollerOptions();

const servers: FakeServer[] = [];
const pollers: VmPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function poll(srv: FakeServer, over: Partial<PollerOptions> = {}, builder: SampleBuilder<never> = sampleBuilder as SampleBuilder<never>) {
  const records: RawRecord[] = [];
  const telemetry = createTelemetry();
  const p = new VmPoller(
    unixTarget(srv.path, ['lo']),
    { ...opts, ...over },
    {
      builder,
      sink: { publish: (_k, r) => records.push(r) },
      hostReader: sysfsReader(),
      telemetry,
    },
  );
  pollers.push(p);
  p.start();
  return { p, records, telemetry, kinds: () => records.map((r) => (r.body.kind === 'AgentNotice' ? `notice:${r.body.value.kind}` : r.body.kind)) };
}
const serve = async (s: Promise<FakeServer>) => {
  const srv = await s;
  servers.push(srv);
  return srv;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const samples = (rs: RawRecord[]) => rs.filter((r) => r.body.kind === 'Sample');

describe('VmPoller on a replayed KVM guest', () => {
  it('connects, identifies, and samples on schedule with strictly increasing seq', async () => {
    const srv = await serve(replayServer(kvm));
    const { records, kinds, telemetry } = poll(srv);
    await sleep(560);
    expect(kinds()[0]).toBe('notice:connected');
    const ss = samples(records);
    expect(ss.length).toBeGreaterThanOrEqual(8);
    expect(ss.length).toBeLessThanOrEqual(13);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    expect(records[0]!.vm).toMatchObject({ host: 'test-host', name: 'cap-kvm', qemuVersion: '7.2.22' });
    expect(records[0]!.vm.instanceId).toMatch(/^[0-9a-f]{8,}$/);
    // the stats schema snapshot is published once, before the first sample that references it
    const snaps = records.filter((r) => r.body.kind === 'StatsSchemaSnapshot');
    expect(snaps).toHaveLength(1);
    const withStats = ss.find((r) => (r.body.value as { stats: unknown }).stats !== null)!;
    expect(withStats.seq).toBeGreaterThan(snaps[0]!.seq);
    expect((withStats.body.value as { stats: { schemaHash: string } }).stats.schemaHash).toBe((snaps[0]!.body.value as { hash: string }).hash);
    const s0 = ss[0]!.body.value as { status: string; running: boolean; net: Array<{ name: string }> };
    expect(s0.status).toBe('running');
    expect(s0.net.map((n) => n.name)).toEqual(['lo']);
    // one connection, commands serialized on it in the recorder's order
    expect(srv.connections).toBe(1);
    const cmds = srv.received.map((m) => (m.execute === 'query-stats' ? `query-stats:${(m.arguments as { target: string }).target}` : m.execute));
    const firstTick = cmds.indexOf('query-status');
    expect(cmds.slice(firstTick, firstTick + 8)).toEqual([
      'query-status',
      'query-stats:vm',
      'query-stats:vcpu',
      'query-blockstats',
      'query-blockstats',
      'query-block-jobs',
      'query-block',
      'query-named-block-nodes',
    ]);
    // read-only: queries, and the qom-list/qom-get of the balloon search the allowlist admits
    expect(srv.received.every((m) => isAllowed(readOnlyAllowlist, String(m.execute), m.arguments as Record<string, unknown> | undefined))).toBe(true);
    expect(srv.received.filter((m) => !String(m.execute).startsWith('query-')).map((m) => m.execute)).toEqual(['qmp_capabilities', 'qom-list', 'qom-list']);
    expect(telemetry.polls.value({ vm: 'qmp' })).toBe(ss.length);
  });

  it('forwards QMP events in order with the samples (thin-LV ENOSPC transcript)', async () => {
    const onlyQueries: TranscriptLine[] = thin.filter(
      (l) => l.dir !== 'out' || String(l.msg.execute).startsWith('query-') || l.msg.execute === 'qmp_capabilities',
    );
    const srv = await serve(replayServer(onlyQueries, { loop: false }));
    const { records } = poll(srv, { fastIntervalMs: 5, slowIntervalMs: 5, blockstatsNodes: true });
    await sleep(1500);
    const events = records.filter((r) => r.body.kind === 'QmpEvent').map((r) => (r.body.value as { event: string }).event);
    expect(events).toContain('BLOCK_IO_ERROR');
    expect(events.indexOf('STOP')).toBeGreaterThan(events.indexOf('BLOCK_IO_ERROR'));
    const ioErr = records.find((r) => r.body.kind === 'QmpEvent' && (r.body.value as { event: string }).event === 'BLOCK_IO_ERROR')!;
    expect(JSON.parse((ioErr.body.value as { data: string }).data)).toMatchObject({ nospace: true, action: 'stop' });
    // events keep QEMU's order and sit between samples in one seq stream
    const evRecs = records.filter((r) => r.body.kind === 'QmpEvent');
    const times = evRecs.map((r) => (r.body.value as { qemuTimeUs: number }).qemuTimeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const sampleSeqs = samples(records).map((r) => r.seq);
    expect(sampleSeqs.some((q) => q > evRecs[0]!.seq && q < evRecs.at(-1)!.seq)).toBe(true);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, k) => k));
  });
});

describe('VmPoller memory', () => {
  it('keeps no Tick (the parsed replies of a poll) alive while it sleeps until the next one', async () => {
    // A Tick held across the sleep survives young-generation GCs and is promoted (~12 KB
    // per poll); vmPoller.ts keeps it out of the long-lived loop frame.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ticks: WeakRef<Tick>[] = [];
    const builder = {
      ...sampleBuilder,
      build: (state: never, tick: Tick) => {
        ticks.push(new WeakRef(tick));
        return sampleBuilder.build(state, tick);
      },
    } as SampleBuilder<never>;
    const srv = await serve(replayServer(kvm));
    const { records } = poll(srv, { fastIntervalMs: 400, slowIntervalMs: 400 }, builder);
    while (samples(records).length < 2) await sleep(20);
    await sleep(100); // the poller is now sleeping until its next grid slot
    gc();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.filter((t) => t.deref() !== undefined)).toHaveLength(0);
  });
});

describe('VmPoller isolation and faults', () => {
  it('a stuck socket marks only that VM stale; the healthy VM keeps its schedule', async () => {
    const good = await serve(replayServer(kvm));
    const stuck = await serve(stuckServer());
    const a = poll(good);
    const b = poll(stuck);
    await sleep(1000);
    const n = samples(a.records).length;
    expect(n).toBeGreaterThanOrEqual(16);
    expect(b.p.state).toBe('stale');
    expect(b.telemetry.vmStale.value({ vm: 'qmp' })).toBe(1);
    expect(b.records).toEqual([]); // never identified: nothing to publish under a uuid
    expect(a.p.state).toBe('up');
  });

  it('a VM that stops answering mid-run goes stale, is reconnected, and recovers', async () => {
    let answering = true;
    const srv = await serve(
      startServer((sock, fake) => {
        const replay = replayServer(kvm); // reuse the replay logic for the healthy phase
        void replay.then((r) => r.close());
        sock.write(`${JSON.stringify(kvm[0]!.msg)}\r\n`);
        let buf = '';
        sock.on('data', (d) => {
          buf += d.toString();
          for (let i: number; (i = buf.indexOf('\n')) >= 0; ) {
            const cmd = JSON.parse(buf.slice(0, i)) as { execute: string; id: string };
            buf = buf.slice(i + 1);
            fake.received.push(cmd);
            if (!answering && cmd.execute !== 'qmp_capabilities') continue;
            const ret =
              cmd.execute === 'query-status'
                ? { status: 'running', running: true }
                : cmd.execute === 'query-uuid'
                  ? { UUID: '0d6d6a49-3b2a-4c8e-9bde-1f1f1f1f1f1f' }
                  : [];
            sock.write(`${JSON.stringify({ return: ret, id: cmd.id })}\r\n`);
          }
        });
      }),
    );
    const { p, kinds, records } = poll(srv);
    await sleep(300);
    expect(p.state).toBe('up');
    answering = false;
    await sleep(800);
    expect(kinds()).toContain('notice:stale');
    expect(srv.connections).toBeGreaterThanOrEqual(2);
    answering = true;
    await sleep(800);
    expect(p.state).toBe('up');
    const k = kinds();
    expect(k.lastIndexOf('notice:recovered')).toBeGreaterThan(k.indexOf('notice:stale'));
    expect(records.every((r) => r.vm.uuid === '0d6d6a49-3b2a-4c8e-9bde-1f1f1f1f1f1f')).toBe(true);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
  });

  it('EOF: publishes disconnected, reconnects with backoff, goes on', async () => {
    const srv = await serve(replayServer(kvm));
    const { kinds, p } = poll(srv);
    await sleep(250);
    srv.dropClients();
    await sleep(500);
    const k = kinds();
    expect(k.filter((x) => x === 'notice:connected')).toHaveLength(2);
    expect(k.indexOf('notice:disconnected')).toBeGreaterThan(0);
    expect(k.at(-1)).toBe('Sample');
    expect(p.state).toBe('up');
  });

  it('a garbage socket is retried with backoff and never produces records', async () => {
    const srv = await serve(garbageServer(Buffer.from('\xff\xfe garbage \x00\r\n', 'latin1')));
    const { p, records, telemetry } = poll(srv);
    await sleep(600);
    expect(records).toEqual([]);
    expect(telemetry.pollErrors.value({ vm: 'qmp', class: 'greeting' })).toBeGreaterThanOrEqual(2);
    expect(srv.connections).toBeGreaterThanOrEqual(2);
    expect(srv.connections).toBeLessThan(20); // backoff, not a busy loop
    expect(p.state).toBe('stale');
  });

  it('old QEMU without query-stats: one degraded notice, no query-stats sent', async () => {
    const noStats = kvm.filter((l) => !(l.dir === 'out' && String(l.msg.execute).startsWith('query-stats')));
    const srv = await serve(replayServer(noStats));
    const { kinds } = poll(srv);
    await sleep(300);
    expect(kinds().filter((k) => k === 'notice:degraded')).toHaveLength(1);
    expect(srv.received.some((m) => m.execute === 'query-stats')).toBe(false);
    expect(kinds().filter((k) => k === 'Sample').length).toBeGreaterThan(3);
  });

  // The thin-LV transcript with every query-block reply padded to ~20 KB (extra keys are ignored).
  const padded = (() => {
    const ids = new Set(thin.filter((l) => l.dir === 'out' && l.msg.execute === 'query-block').map((l) => l.msg.id));
    return thin.map((l) => (l.dir === 'in' && ids.has(l.msg.id) ? { ...l, msg: { ...l.msg, pad: 'x'.repeat(20_000) } } : l));
  })();

  it("a reply longer than the line limit raises this VM's limit (doubling, up to the ceiling) and reconnects once per doubling", async () => {
    const srv = await serve(replayServer(padded));
    const { records, telemetry } = poll(srv, { maxLineBytes: 4096, maxLineBytesCeiling: 1 << 20 });
    await sleep(800);
    expect(samples(records).length).toBeGreaterThanOrEqual(3);
    expect(telemetry.lineLimit.value({ vm: 'qmp' })).toBe(32768);
    expect(telemetry.reconnects.value({ vm: 'qmp' })).toBe(4); // 4 KiB → 8 → 16 → 32 KiB
    expect(samples(records).every((r) => (r.body.value as { errors: string[] }).errors.length === 0)).toBe(true);
  });

  it('at the ceiling a longer reply is a protocol error: backoff, no samples', async () => {
    const srv = await serve(replayServer(padded));
    const { records, telemetry } = poll(srv, { maxLineBytes: 4096, maxLineBytesCeiling: 8192 });
    await sleep(600);
    expect(samples(records)).toHaveLength(0);
    expect(telemetry.lineLimit.value({ vm: 'qmp' })).toBe(8192);
    // Backoff 30 ms doubling to 200 ms: about 7 connects in 600 ms. Before, a connect that
    // succeeded reset the backoff, so a VM failing every first tick was re-connected every 30 ms (18).
    expect(telemetry.reconnects.value({ vm: 'qmp' })).toBeLessThanOrEqual(8);
  });

  it('an event flood is capped per VM: counted, summarized in a notice; other events and samples go on', async () => {
    // 3000 BLOCK_IO_ERROR (a guest retrying a failing write with werror=report), with a STOP
    // in the middle, all delivered with the reply to the first command.
    const ts = { seconds: 1795311998, microseconds: 0 };
    const flood = Array.from({ length: 3000 }, (_, i) => ({
      t: 0,
      dir: 'in' as const,
      msg:
        i === 1500 ? { event: 'STOP', timestamp: ts } : { event: 'BLOCK_IO_ERROR', data: { device: '', operation: 'write', action: 'report' }, timestamp: ts },
    }));
    const at = thin.findIndex((l) => l.dir === 'in' && l.msg.id !== undefined) + 1; // after the qmp_capabilities reply
    const srv = await serve(replayServer([...thin.slice(0, at), ...flood, ...thin.slice(at)]));
    const { records, telemetry } = poll(srv, { maxEventsPerSecond: 50 });
    await sleep(1500);
    const events = records.filter((r) => r.body.kind === 'QmpEvent').map((r) => (r.body.value as { event: string }).event);
    const notices = records
      .filter((r) => r.body.kind === 'AgentNotice' && r.body.value.kind === 'events-suppressed')
      .map((r) => r.body.value as { count: number; message: string });
    expect(events.filter((e) => e === 'BLOCK_IO_ERROR').length).toBeLessThanOrEqual(100);
    expect(events).toContain('STOP'); // the first event of its kind in a second always passes
    const suppressed = telemetry.eventsSuppressed.value({ vm: 'qmp' });
    expect(suppressed).toBeGreaterThan(2800);
    expect(notices.reduce((n, x) => n + x.count, 0)).toBe(suppressed);
    expect(notices[0]!.message).toContain('BLOCK_IO_ERROR');
    expect(samples(records).length).toBeGreaterThanOrEqual(10);
  });
});
