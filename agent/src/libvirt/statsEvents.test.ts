import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '#schemas/types.js';
import { LifecycleEvent } from './constants.js';
import type { DomainEvent } from './events.js';
import { toQmpEvent } from './statsEvents.js';

const dom = { name: 'vm1', uuid: '2774ac11-2868-4098-9030-ab646068cfd5', id: 1 };
const chain = (formatNode: string, filename: string) => ({ formatNode, filename }) as BlockDevice['chain'][number];
const ctx = {
  devices: [{ dev: 'vda', chain: [chain('vda[2]', '/var/lib/top.qcow2'), chain('vda[1]', '/dev/loop2')] } as BlockDevice],
  targets: { 'virtio-disk0': 'vda' },
};
const map = (ev: DomainEvent) => {
  const q = toQmpEvent(ev, ctx, 1_000_000);
  return q && { event: q.event, data: JSON.parse(q.data) as unknown, us: q.qemuTimeUs };
};

describe('stats mode: libvirt domain events → the QMP events the processor acts on', () => {
  it('IO_ERROR_REASON enospc → BLOCK_IO_ERROR nospace on the image the path names', () => {
    expect(map({ kind: 'ioErrorReason', callbackId: 1, domain: dom, srcPath: '/dev/loop2', devAlias: 'virtio-disk0', action: 1, reason: 'enospc' })).toEqual({
      event: 'BLOCK_IO_ERROR',
      data: { device: 'vda', 'node-name': 'vda[1]', operation: 'write', action: 'stop', nospace: true, reason: 'enospc' },
      us: 1_000_000,
    });
  });

  it('BLOCK_THRESHOLD → BLOCK_WRITE_THRESHOLD on the named image, or the top one', () => {
    expect(
      map({ kind: 'blockThreshold', callbackId: 1, domain: dom, dev: 'vda[1]', path: '/dev/loop2', threshold: 16n << 20n, excess: 327680n })?.data,
    ).toEqual({
      'node-name': 'vda[1]',
      'write-threshold': 16 << 20,
      'amount-exceeded': 327680,
    });
    expect(map({ kind: 'blockThreshold', callbackId: 1, domain: dom, dev: 'vda', path: null, threshold: 1n, excess: 2n })?.data).toMatchObject({
      'node-name': 'vda[2]',
    });
  });

  it.each([
    [0, 'BLOCK_JOB_COMPLETED', undefined],
    [1, 'BLOCK_JOB_COMPLETED', 'the block job failed'],
    [2, 'BLOCK_JOB_CANCELLED', undefined],
    [3, 'BLOCK_JOB_READY', undefined],
  ])('BLOCK_JOB_2 status %i → %s', (status, event, error) => {
    const q = map({ kind: 'blockJob2', callbackId: 1, domain: dom, dst: 'vda', type: 4, status });
    expect(q?.event).toBe(event);
    expect(q?.data).toMatchObject({ device: 'vda', type: 'commit', ...(error ? { error } : {}) });
  });

  it.each([
    [LifecycleEvent.SUSPENDED, 'STOP'],
    [LifecycleEvent.RESUMED, 'RESUME'],
    [LifecycleEvent.STOPPED, 'SHUTDOWN'],
    [LifecycleEvent.SHUTDOWN, 'SHUTDOWN'],
    [LifecycleEvent.DEFINED, null],
  ])('lifecycle %i → %s', (event, want) => {
    expect(map({ kind: 'lifecycle', callbackId: 1, domain: dom, event, detail: 0 })?.event ?? null).toBe(want);
  });
});
