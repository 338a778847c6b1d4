import { describe, expect, it } from 'vitest';
import { toBlockDevices, type BlockContext } from './blockDevices.js';

const ctx = (deviceNames: Record<string, string>): BlockContext => ({ named: new Map(), watermarks: new Map(), blockInfo: [], blockdevSizes: {}, deviceNames });

describe('device names by qdev id', () => {
  it('a qdev id is data: constructor, toString, __proto__ without a libvirt name keep their own name', () => {
    for (const id of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const reply = [{ device: '', qdev: `/machine/peripheral/${id}/virtio-backend`, 'node-name': 'n0', stats: {} }];
      expect(toBlockDevices(reply, ctx({ 'virtio-disk0': 'vda' })).devices[0]!.dev).toBe(id);
    }
  });

  it('the management layer names a known qdev id', () => {
    const reply = [{ device: '', qdev: '/machine/peripheral/virtio-disk0/virtio-backend', 'node-name': 'n0', stats: {} }];
    expect(toBlockDevices(reply, ctx({ 'virtio-disk0': 'vda' })).devices[0]!.dev).toBe('vda');
  });
});
