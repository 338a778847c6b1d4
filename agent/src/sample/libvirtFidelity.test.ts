/**
 * libvirt fidelity: cut the libvirt-managed VM's QMP transcript at each
 * `virsh domstats --block --backing` timestamp and compare our chain with libvirt's
 * block.N.* (test/fixtures/libvirt/README.md). count, capacity, path and the
 * block device's physical must be equal; allocation within 8 MiB (one second of guest
 * writes: the two reads are not atomic). A file layer's physical is its actual-size
 * (allocated blocks), which grows with those same writes, so it gets the same
 * tolerance: at domstats #35 libvirt read 75767808 where the poll 67 ms earlier saw
 * 72622080. libvirt's backingIndex is its own vda[N] id, ours the depth, so elements
 * are matched by order (block.0 = top).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Sample } from '#schemas/types.js';
import { fixtureLines, fixturePath } from '#test/support/fixtures.js';
import { replayLines, type ReplayStats } from '#tools/transcript/replay.js';
import type { RawRecord } from '#schemas/types.js';

interface DomStats {
  t: number;
  stats: Record<string, string>;
}

const domstats: DomStats[] = readFileSync(fixturePath('libvirt', 'domstats.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as DomStats);
const lines = fixtureLines('libvirt', 'qmp.jsonl');

function lastSampleUntil(until: number): Sample | undefined {
  let last: Sample | undefined;
  const gen: Generator<RawRecord, ReplayStats> = replayLines(lines, { until });
  for (let r = gen.next(); !r.done; r = gen.next()) if (r.value.body.kind === 'Sample') last = r.value.body.value;
  return last;
}

const MiB = 1024 * 1024;

describe('libvirt domstats fidelity (libvirt/qmp.jsonl vs domstats.jsonl)', () => {
  const rows = domstats.map((d) => ({ d, sample: lastSampleUntil(d.t) }));

  it('has a sample for every domstats line; physical is exact for all but one', () => {
    expect(rows).toHaveLength(47);
    expect(rows.every((r) => r.sample !== undefined)).toBe(true);
    const exact = rows.filter((r) => r.sample!.blockDevices[0]!.chain.every((e, n) => e.physical === Number(r.d.stats[`block.${n}.physical`])));
    expect(exact.length).toBe(46);
  });

  it.each(domstats.map((d, i) => [i, d.t] as const))('matches block.* of domstats #%i (t=%i)', (i) => {
    const { d, sample } = rows[i]!;
    const s = d.stats;
    const chain = sample!.blockDevices[0]!.chain;
    expect(chain.length).toBe(Number(s['block.count']));
    chain.forEach((e, n) => {
      expect(s[`block.${n}.name`]).toBe('vda');
      expect(e.filename).toBe(s[`block.${n}.path`]);
      expect(e.capacity).toBe(Number(s[`block.${n}.capacity`]));
      if (e.physicalSource === 'ACTUAL_SIZE') {
        // A file's allocated blocks grow with the same guest writes as allocation.
        expect(Math.abs(e.physical! - Number(s[`block.${n}.physical`]))).toBeLessThanOrEqual(8 * MiB);
      } else {
        expect(e.physical).toBe(Number(s[`block.${n}.physical`]));
      }
      expect(Math.abs(e.allocation - Number(s[`block.${n}.allocation`]))).toBeLessThanOrEqual(8 * MiB);
    });
  });

  it('covers the interesting shapes: grown device, file top layer, commit into the base', () => {
    const physical = rows.map((r) => r.sample!.blockDevices[0]!.chain.map((e) => `${e.physicalSource}:${e.physical}`).join(' '));
    expect(physical[0]).toBe('HOST_DEVICE_SIZE:100663296');
    expect(physical).toContain('HOST_DEVICE_SIZE:167772160');
    expect(physical.at(-1)).toBe('ACTUAL_SIZE:109322240 HOST_DEVICE_SIZE:167772160');
    const dev = rows[0]!.sample!.blockDevices[0]!;
    expect(dev.dev).toBe('virtio-disk0'); // qdev id; libvirt names it by target (vda)
    expect(dev.chain[0]!.formatNode).toBe('libvirt-1-format');
  });
});
