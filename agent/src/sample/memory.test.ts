import { describe, expect, it } from 'vitest';
import { emptyMemoryStats } from '#schemas/memoryStats.js';
import { balloonActual, balloonPath, foldMemory, guestMemory, memorySize, sampleMemory } from './memory.js';
import type { Tick } from './tick.js';

/** guest-stats as QEMU 7.2 answers it: figures the guest never reported are uint64 −1, which JSON.parse reads as 2^64. */
const GUEST_STATS = JSON.parse(`{"stats": {"stat-htlb-pgfail": 0, "stat-available-memory": 104538112, "stat-free-memory": 118784000,
  "stat-minor-faults": 61520, "stat-major-faults": 3, "stat-total-memory": 139542528, "stat-swap-in": 0, "stat-swap-out": 0,
  "stat-disk-caches": 1929216, "stat-htlb-pgalloc": 18446744073709551615}, "last-update": 1796284800}`) as unknown;

const tick = (replies: Tick['replies']): Tick => ({ t: 1, replies, errors: [], host: { blockdevSizes: {}, net: [] } });

describe('balloonPath', () => {
  it('finds the virtio-balloon among the peripherals, named by id or anonymous', () => {
    const peripheral = [
      { name: 'type', type: 'string' },
      { name: 'vda', type: 'child<virtio-blk-pci>' },
      { name: 'balloon0', type: 'child<virtio-balloon-pci>' },
    ];
    expect(balloonPath([{ path: '/machine/peripheral', reply: peripheral }])).toBe('/machine/peripheral/balloon0');
    const anon = [{ name: 'device[2]', type: 'child<virtio-balloon-pci-non-transitional>' }];
    expect(
      balloonPath([
        { path: '/machine/peripheral', reply: peripheral.slice(0, 2) },
        { path: '/machine/peripheral-anon', reply: anon },
      ]),
    ).toBe('/machine/peripheral-anon/device[2]');
  });

  it('is undefined without one, for replies of the wrong shape, and for a name that is not a plain id', () => {
    expect(balloonPath([{ path: '/machine/peripheral', reply: [{ name: 'vda', type: 'child<virtio-blk-pci>' }] }])).toBeUndefined();
    expect(balloonPath([{ path: '/machine/peripheral', reply: { error: 1 } }])).toBeUndefined();
    expect(balloonPath([{ path: '/machine/peripheral', reply: [{ name: '../x', type: 'child<virtio-balloon-pci>' }] }])).toBeUndefined();
  });
});

describe('memory replies', () => {
  it('query-memory-size-summary: base + plugged; query-balloon: actual', () => {
    expect(memorySize({ 'base-memory': 167772160 })).toBe(167772160);
    expect(memorySize({ 'base-memory': 167772160, 'plugged-memory': 1073741824 })).toBe(1241513984);
    expect(memorySize({})).toBeNull();
    expect(balloonActual({ actual: 134217728 })).toBe(134217728);
    expect(balloonActual({ actual: -1 })).toBeNull();
  });

  it("guest-stats: the guest's figures; one never reported (2^64 − 1) is null, not a huge number", () => {
    expect(guestMemory(GUEST_STATS)).toEqual({
      ...emptyMemoryStats(),
      swapInBytes: 0,
      swapOutBytes: 0,
      majorFaults: 3,
      minorFaults: 61520,
      unusedBytes: 118784000,
      availableBytes: 139542528,
      usableBytes: 104538112,
      lastUpdate: 1796284800,
      diskCachesBytes: 1929216,
      hugetlbPgalloc: null,
      hugetlbPgfail: 0,
    });
  });

  it('guest-stats before the guest reported: every figure null (last-update 0 too)', () => {
    const never = JSON.parse('18446744073709551615') as number; // uint64 −1 as JSON.parse reads it
    const stats = Object.fromEntries(['stat-swap-in', 'stat-free-memory', 'stat-total-memory'].map((k) => [k, never]));
    expect(guestMemory({ stats, 'last-update': 0 })).toEqual(emptyMemoryStats());
    expect(guestMemory({ 'last-update': 0 })).toBeUndefined();
  });
});

describe('foldMemory and sampleMemory', () => {
  it('keeps the last slow reading across fast ticks, adds each tick’s RSS, reports malformed replies', () => {
    const errors: string[] = [];
    const known = foldMemory(
      { ...emptyMemoryStats(), maximumBytes: 167772160 },
      tick({ 'query-balloon': { actual: 167772160 }, 'qom-get:guest-stats': GUEST_STATS }),
      errors,
    );
    expect(errors).toEqual([]);
    expect(known).toMatchObject({ currentBytes: 167772160, maximumBytes: 167772160, minorFaults: 61520, rssBytes: null });
    expect(foldMemory(known, tick({}), errors)).toBe(known); // a fast tick: nothing new
    expect(sampleMemory(known, 183412)).toMatchObject({ currentBytes: 167772160, rssBytes: 183412 * 1024 });
    expect(foldMemory(known, tick({ 'query-balloon': { nope: 1 } }), errors)).toBe(known);
    expect(errors).toEqual(['query-balloon: MalformedReply']);
  });

  it('no balloon and no RSS: null; RSS alone: only rss', () => {
    expect(sampleMemory(emptyMemoryStats(), undefined)).toBeNull();
    expect(sampleMemory(emptyMemoryStats(), 1000)).toEqual({ ...emptyMemoryStats(), rssBytes: 1_024_000 });
  });
});
