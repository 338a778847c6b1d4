/**
 * Disk events through the libvirt RPC client on a real guest that fills its thin disk:
 * the guest writes 16 MiB/s onto a 256 MiB qcow2 whose loop device holds 48 MiB, so
 *   - a write threshold of 16 MiB set on vda (`virsh domblkthreshold`) fires BLOCK_THRESHOLD;
 *   - the device fills: error_policy='enospace' pauses the domain, which gives
 *     IO_ERROR_REASON (reason "enospc", alias virtio-disk0) and a SUSPENDED lifecycle
 *     event with detail VIR_DOMAIN_EVENT_SUSPENDED_IOERROR (2), state paused/IOERROR (5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from './helpers/until.js';
import { DomainState, LibvirtClient, LifecycleEvent, type DomainEvent } from '#agent/libvirt/index.js';
import { libvirtUnavailable, startLibvirtd, startTestDomain, stopLibvirtd, virsh, type LibvirtDaemon, type TestDomain } from './libvirt-support.js';

const unavailable = libvirtUnavailable();
if (unavailable) console.log(`[libvirt-events] skipped: ${unavailable}`);

let daemon: LibvirtDaemon;
let vm: TestDomain;
let client: LibvirtClient;
const events: DomainEvent[] = [];

const until = <T>(what: string, ms: number, probe: () => T | undefined): Promise<T> =>
  pollUntil(() => `${what}; events so far: ${events.map((e) => e.kind).join(',')}`, probe, ms, 100);

describe.skipIf(unavailable !== null)('libvirt disk events on a filling thin disk', () => {
  beforeAll(async () => {
    daemon = await startLibvirtd();
    vm = await startTestDomain(['--rate', '16', '--seconds', '12', '--delay', '4', '--backing-mib', '48', '--no-interface']);
    client = await LibvirtClient.connect({ socketPath: daemon.socketPath, uri: daemon.uri });
    const dom = await client.lookupDomainByName(vm.name);
    for (const kind of ['lifecycle', 'ioErrorReason', 'blockThreshold'] as const) {
      await client.subscribeDomainEvents(kind, dom, (e) => events.push(e));
    }
    await virsh('domblkthreshold', vm.name, 'vda', String(16 << 20));
  });

  afterAll(async () => {
    await client?.close();
    await vm?.stop();
    if (daemon?.owned) await stopLibvirtd();
  });

  it('BLOCK_THRESHOLD, then IO_ERROR_REASON enospc and a pause for I/O error', async () => {
    const threshold = await until('BLOCK_THRESHOLD', 40_000, () => events.find((e) => e.kind === 'blockThreshold'));
    expect(threshold).toMatchObject({ kind: 'blockThreshold', dev: 'vda', threshold: BigInt(16 << 20) });
    const io = await until('IO_ERROR_REASON', 40_000, () => events.find((e) => e.kind === 'ioErrorReason'));
    expect(io).toMatchObject({ kind: 'ioErrorReason', devAlias: 'virtio-disk0', srcPath: vm.loop, reason: 'enospc' });
    const paused = await until('SUSPENDED', 10_000, () => events.find((e) => e.kind === 'lifecycle' && e.event === LifecycleEvent.SUSPENDED));
    expect(paused).toMatchObject({ detail: 2 });
    const dom = await client.lookupDomainByName(vm.name);
    expect(await client.getState(dom)).toEqual({ state: DomainState.PAUSED, reason: 5 });
    console.log(
      `[libvirt-events] ${events.map((e) => (e.kind === 'blockThreshold' ? `${e.kind}(${e.dev} ${e.threshold}+${e.excess})` : e.kind === 'ioErrorReason' ? `${e.kind}(${e.devAlias} ${e.reason} action ${e.action})` : e.kind === 'lifecycle' ? `${e.kind}(${e.event}/${e.detail})` : e.kind)).join(', ')}`,
    );
  });
});
