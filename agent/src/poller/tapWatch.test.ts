/**
 * Taps found on the host for a VM on its own monitor: when they are re-read (TapWatch),
 * and the poller's rule (the config's hand-listed taps override; libvirt and TCP targets
 * never look), against a replayed KVM guest whose vCPU threads are 4826 and 4827.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '#common/log.js';
import type { NetInterface, RawRecord, Sample } from '#schemas/types.js';
import { replayServer, type FakeServer } from '#test/support/fakeQmpServer.js';
import { loadFixture } from '#test/support/transcriptLines.js';
import { sysfsReader, type HostReader } from '../host/sysfs.js';
import type { TapScan } from '../host/taps.js';
import { sampleBuilder } from '../sample/sampleBuilder.js';
import { createTelemetry } from '../telemetry.js';
import { TapWatch } from './tapWatch.js';
import { testPollerOptions } from '#test/support/pollerOptions.js';
import { VmPoller } from './vmPoller.js';
import { unixTarget, type VmTarget } from './vmTarget.js';

/** A host whose QEMU holds `taps`, every interface answering with counters; records each scan's thread ids. */
function fakeHost(scan: () => TapScan | undefined) {
  const scans: Array<readonly number[]> = [];
  const counters = (name: string): NetInterface => ({
    name,
    rxBytes: 100,
    rxPackets: 1,
    rxErrors: 0,
    rxDropped: 0,
    txBytes: 200,
    txPackets: 2,
    txErrors: 0,
    txDropped: 0,
  });
  const reader: HostReader = {
    ...sysfsReader(),
    netStats: counters,
    qemuTaps: (ids) => {
      scans.push(ids);
      return scan();
    },
  };
  return { reader, scans };
}

describe('TapWatch', () => {
  it('reads at connect, then on slow ticks and after a NIC event; keeps the last taps while unreadable', () => {
    let next: TapScan | undefined = { taps: ['tap0'], rejected: 0 };
    const { reader, scans } = fakeHost(() => next);
    const rejected: number[] = [];
    const logged: Array<{ level: string; msg: string }> = [];
    const log = createLogger({}, { level: 'info', write: (l) => logged.push(JSON.parse(l) as { level: string; msg: string }) });
    const w = new TapWatch([4826, 4827], reader, (n) => rejected.push(n), log);
    expect(w.taps(false)).toEqual(['tap0']); // the first tick of a connection
    next = { taps: ['tap0', 'tap1'], rejected: 1 };
    expect(w.taps(false)).toEqual(['tap0']); // a fast tick: no re-read
    expect(scans).toHaveLength(1);
    expect(w.taps(true)).toEqual(['tap0', 'tap1']); // a slow tick
    expect(rejected).toEqual([1]);
    next = { taps: ['tap1'], rejected: 0 };
    w.event('BLOCK_JOB_READY');
    expect(w.taps(false)).toEqual(['tap0', 'tap1']);
    w.event('DEVICE_DELETED');
    expect(w.taps(false)).toEqual(['tap1']);
    w.event('NIC_RX_FILTER_CHANGED');
    next = undefined;
    expect(w.taps(false)).toEqual(['tap1']); // unreadable now: what was found stays
    expect(w.taps(true)).toEqual(['tap1']);
    expect(scans).toHaveLength(5);
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'tap interfaces found on the host'],
      ['info', 'tap interfaces found on the host'],
      ['info', 'tap interfaces found on the host'],
      ['warn', "QEMU's tap interfaces cannot be read on this host (needs QEMU's user, root or CAP_SYS_PTRACE): list them in net"], // once
    ]);
    expect(scans[0]).toEqual([4826, 4827]);
  });
});

const opts = testPollerOptions({ fastIntervalMs: 40, slowIntervalMs: 120 });

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((f) => f()));
});

/** The net interfaces of the first few Samples of a poller on a replayed KVM guest. */
async function sampledNet(target: (path: string) => VmTarget, scan: () => TapScan | undefined) {
  const srv: FakeServer = await replayServer(loadFixture('kvm-vcpu-stats.jsonl'));
  const { reader, scans } = fakeHost(scan);
  const records: RawRecord[] = [];
  const telemetry = createTelemetry();
  const p = new VmPoller(target(srv.path), opts, { builder: sampleBuilder, sink: { publish: (_k, r) => records.push(r) }, hostReader: reader, telemetry });
  cleanup.push(async () => {
    await p.stop();
    await srv.close();
  });
  p.start();
  const samples = () => records.flatMap((r) => (r.body.kind === 'Sample' ? [r.body.value as Sample] : []));
  for (let i = 0; i < 100 && samples().length < 4; i++) await new Promise((r) => setTimeout(r, 20));
  return { net: samples().map((s) => s.net.map((n) => n.name)), scans, rejected: telemetry.tapNamesRejected.value({ vm: p.target.label }) };
}

describe('the poller finds the taps QEMU holds', () => {
  it('on its own unix socket with no taps configured: the vCPU threads’ process, every Sample', async () => {
    const { net, scans, rejected } = await sampledNet(
      (path) => unixTarget(path),
      () => ({ taps: ['tap-a', 'tap-b'], rejected: 2 }),
    );
    expect(net.length).toBeGreaterThanOrEqual(4);
    for (const n of net) expect(n).toEqual(['tap-a', 'tap-b']);
    expect(scans[0]).toEqual([4826, 4827]);
    expect(rejected).toBeGreaterThanOrEqual(2); // counted, not read
  });

  it('the config’s taps override: nothing is looked up', async () => {
    const { net, scans } = await sampledNet(
      (path) => unixTarget(path, ['tap-conf']),
      () => ({ taps: ['tap-a'], rejected: 0 }),
    );
    for (const n of net) expect(n).toEqual(['tap-conf']);
    expect(scans).toEqual([]);
  });

  it('a target that does not discover (libvirt: its domain XML names them; TCP) never looks', async () => {
    const { net, scans } = await sampledNet(
      (path) => ({ ...unixTarget(path), discoverTaps: false }),
      () => ({ taps: ['tap-a'], rejected: 0 }),
    );
    for (const n of net) expect(n).toEqual([]);
    expect(scans).toEqual([]);
  });
});
