import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { observeHost, splitDev, sysfsReader } from './sysfs.js';

describe('splitDev', () => {
  it.each([
    [0x0700, 7, 0], // /dev/loop0
    [0x0701, 7, 1],
    [0xfd00, 253, 0], // dm-0
    [0x10300, 259, 0], // nvme0n1 (major 259)
    [(0x00100 << 12) | 0x800, 8, 256], // minor > 255
  ])('%i → %i:%i', (rdev, major, minor) => {
    expect(splitDev(rdev)).toEqual({ major, minor });
  });
});

describe('sysfsReader on this host', () => {
  const host = sysfsReader();

  it('reads loopback counters from /sys/class/net/lo/statistics', () => {
    const lo = host.netStats('lo');
    expect(lo?.name).toBe('lo');
    expect(lo!.txBytes).toBe(Number(readFileSync('/sys/class/net/lo/statistics/rx_bytes', 'utf8')) || lo!.txBytes); // guest view: swapped
    expect(Object.keys(lo!).sort()).toEqual(['name', 'rxBytes', 'rxDropped', 'rxErrors', 'rxPackets', 'txBytes', 'txDropped', 'txErrors', 'txPackets']);
  });

  it('skips an interface that does not exist, and refuses path tricks', () => {
    expect(host.netStats('nosuchif0')).toBeUndefined();
    expect(host.netStats('../../etc')).toBeUndefined();
  });

  const loops = readdirSync('/dev').filter((d) => /^loop\d+$/.test(d));
  it.skipIf(loops.length === 0)('measures a block device from its rdev (needs /dev/loopN)', () => {
    const dev = `/dev/${loops[0]}`;
    const { major, minor } = splitDev(statSync(dev).rdev);
    const sectors = Number(readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8'));
    expect(host.blockdevSize(dev)).toBe(sectors * 512);
  });

  it('a regular file or missing path is not a block device', () => {
    expect(host.blockdevSize('/etc/hostname')).toBeUndefined();
    expect(host.blockdevSize('/nonexistent')).toBeUndefined();
  });
});

describe("tap counters in the guest's view (libvirt's vocabulary)", () => {
  it('swaps rx and tx: what the host transmits on the tap is what the guest received', () => {
    const root = mkdtempSync(join(tmpdir(), 'sysfs-'));
    const dir = join(root, 'sys/class/net/tap-vm1/statistics');
    mkdirSync(dir, { recursive: true });
    const host = { rx_bytes: 1000, rx_packets: 10, rx_errors: 1, rx_dropped: 2, tx_bytes: 5000, tx_packets: 50, tx_errors: 3, tx_dropped: 4 };
    for (const [f, v] of Object.entries(host)) writeFileSync(join(dir, f), `${v}\n`);
    expect(sysfsReader(root).netStats('tap-vm1')).toEqual({
      name: 'tap-vm1',
      rxBytes: 5000, // the guest received what the host sent into the tap
      rxPackets: 50,
      rxErrors: 3,
      rxDropped: 4,
      txBytes: 1000,
      txPackets: 10,
      txErrors: 1,
      txDropped: 2,
    });
    rmSync(root, { recursive: true, force: true });
  });
});

describe('observeHost', () => {
  it('keeps a path named like an Object.prototype member as a key of its own', () => {
    const reader = {
      blockdevSize: (p: string) => (p === '__proto__' ? 4096 : undefined),
      fileAllocation: (p: string) => (p === 'constructor' ? 512 : undefined),
      netStats: () => undefined,
      qemuProcess: () => undefined,
      qemuTaps: () => undefined,
      qemuThreads: () => undefined,
      processStats: () => undefined,
    };
    const host = observeHost(reader, { devices: ['__proto__'], files: ['constructor'] }, []);
    expect(Object.hasOwn(host.blockdevSizes, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(host.blockdevSizes, '__proto__')?.value).toBe(4096);
    expect(Object.hasOwn(host.fileAllocations!, 'constructor')).toBe(true);
    expect(host.fileAllocations!.constructor).toBe(512);
  });
});
