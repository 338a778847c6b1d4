import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitDev, sysfsReader } from './sysfs.js';

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
    expect(lo!.rxBytes).toBe(Number(readFileSync('/sys/class/net/lo/statistics/rx_bytes', 'utf8')) || lo!.rxBytes);
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
