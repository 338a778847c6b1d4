import { describe, expect, it } from 'vitest';
import type { ConnectInfo } from '../sample/seam.js';
import { connectNotices } from './identify.js';

const info = (over: Partial<ConnectInfo>): ConnectInfo => ({
  host: 'h1',
  socketName: 'vm1',
  greeting: { kind: 'greeting', version: { major: 7, minor: 2, micro: 22 }, package: '', capabilities: [] },
  uuid: undefined,
  name: undefined,
  cpus: undefined,
  process: undefined,
  statsSchemas: [],
  connectedAt: 0,
  ...over,
});

describe('connectNotices', () => {
  it('one degraded notice for a VM known to have no balloon device; none when it has one or QEMU did not list its devices', () => {
    expect(connectNotices(info({ balloonPath: null }), 'x').degraded).toEqual([
      "no virtio-balloon device: balloon.current and the guest's memory figures are absent",
    ]);
    expect(connectNotices(info({ balloonPath: '/machine/peripheral/balloon0' }), 'x').degraded).toEqual([]);
    expect(connectNotices(info({ balloonPath: undefined }), 'x').degraded).toEqual([]);
  });

  it('and one for a QEMU without query-stats', () => {
    expect(connectNotices(info({ statsSchemas: undefined, balloonPath: '/machine/peripheral/balloon0' }), 'x')).toEqual({
      connected: 'QEMU 7.2.22 at x',
      degraded: ['query-stats unavailable (QEMU < 7.1): sampling without it'],
    });
  });
});
