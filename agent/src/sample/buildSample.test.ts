import { describe, expect, it } from 'vitest';
import { fixtureTicks } from '#test/support/fixtures.js';
import { CPU_TIMES, PROCESS_STATS } from '#test/support/records.js';
import { buildSample, initialBuilderState, toQmpEvent } from './buildSample.js';
import { toBlockCounters } from './counters.js';
import { qdevId } from './blockDevices.js';
import type { Tick } from './tick.js';

const kvm = fixtureTicks('qmp', 'kvm-vcpu-stats.jsonl');
const thin = fixtureTicks('qmp', 'thin-lv-enospc-commit.jsonl');

function without(tick: Tick, ...drop: string[]): Tick {
  return { ...tick, replies: Object.fromEntries(Object.entries(tick.replies).filter(([k]) => !drop.includes(k))) };
}

describe('buildSample', () => {
  it('joins a fast-only tick with the last slow group, and says whether it refreshed', () => {
    const first = buildSample(initialBuilderState(), thin[0]!);
    expect(first.sample.slowRefresh).toBe(true);
    const fast = without(thin[1]!, 'query-block', 'query-named-block-nodes');
    const { sample } = buildSample(first.state, fast);
    expect(sample.slowRefresh).toBe(false);
    expect(sample.blockDevices[0]).toMatchObject({ ioStatus: 'ok' });
    expect(sample.blockDevices[0]!.chain[0]).toMatchObject({ formatDriver: 'qcow2', capacity: 268435456, storageVirtualSize: 100663296, physical: 100663296 });
    const cold = buildSample(initialBuilderState(), fast).sample.blockDevices[0]!;
    expect(cold.ioStatus).toBeNull();
    expect(cold.chain[0]).toMatchObject({ formatDriver: 'unknown', storageDriver: 'host_device', capacity: null, physical: null, physicalSource: 'UNKNOWN' });
  });

  it("carries the QEMU process's CPU times from the host reading, clock ticks as µs; none without a reading", () => {
    const tick: Tick = {
      ...thin[0]!,
      host: { ...thin[0]!.host, process: PROCESS_STATS },
    };
    expect(buildSample(initialBuilderState(), tick).sample.cpu).toEqual(CPU_TIMES);
    expect(buildSample(initialBuilderState(), thin[0]!).sample.cpu).toBeNull(); // not read: null, never 0
  });

  it('reports failed queries as "<command>: <class>" and still builds the rest', () => {
    const tick: Tick = {
      ...without(kvm[3]!, 'query-stats:vm', 'query-stats:vcpu'),
      errors: [{ command: 'query-stats:vm', errorClass: 'CommandNotFound', desc: 'The command query-stats has not been found' }],
    };
    const { sample } = buildSample(buildSample(initialBuilderState(), kvm[0]!).state, tick);
    expect(sample.errors).toEqual(['query-stats:vm: CommandNotFound']);
    expect(sample.stats).toBeNull();
    expect(sample.blockDevices[0]!.chain[0]).toMatchObject({ formatNode: 'd0-format', storageDriver: 'file', physical: 200704, physicalSource: 'ACTUAL_SIZE' });
  });

  it('records malformed replies in errors instead of throwing', () => {
    const garbage: Tick = {
      t: 1,
      replies: {
        'query-status': 'running',
        'query-blockstats': [{ device: 'x', qdev: 7 }, 'junk'],
        'query-blockstats:nodes': 3,
        'query-block': { no: 1 },
        'query-named-block-nodes': null,
        'query-block-jobs': [null],
        'query-stats-schemas': 'x',
        'query-stats:vm': [{ provider: 'kvm', stats: 'x' }],
      },
      errors: [],
      host: { blockdevSizes: {}, net: [] },
    };
    const r = buildSample(initialBuilderState(), garbage);
    expect(r.sample.errors.sort()).toEqual([
      'query-block-jobs: MalformedReply',
      'query-block: MalformedReply',
      'query-blockstats: MalformedReply',
      'query-blockstats:nodes: MalformedReply',
      'query-named-block-nodes: MalformedReply',
      'query-stats-schemas: MalformedReply',
      'query-stats:vm: MalformedReply',
      'query-status: MalformedReply',
    ]);
    expect(r.sample).toMatchObject({ status: 'unknown', running: false, stats: null, slowRefresh: false, jobs: [] });
    expect(r.sample.blockDevices).toEqual([expect.objectContaining({ dev: 'x', device: 'x', qdev: null, chain: [] })]);
    expect(r.snapshot).toBeUndefined();
  });

  it('hands out a new snapshot only when the schema content changes', () => {
    const a = buildSample(initialBuilderState(), kvm[0]!);
    expect(a.snapshot).toBeDefined();
    const again = buildSample(a.state, { ...kvm[1]!, replies: { ...kvm[1]!.replies, 'query-stats-schemas': kvm[0]!.replies['query-stats-schemas'] } });
    expect(again.snapshot).toBeUndefined();
    const changed = (kvm[0]!.replies['query-stats-schemas'] as { stats: unknown[] }[]).map((s) => ({ ...s, stats: s.stats.slice(1) }));
    const b = buildSample(a.state, { ...kvm[2]!, replies: { ...kvm[2]!.replies, 'query-stats-schemas': changed } });
    expect(b.snapshot?.hash).not.toBe(a.snapshot!.hash);
    expect(b.sample.stats!.schemaHash).toBe(b.snapshot!.hash);
    expect(b.sample.stats!.results[1]!.extra.map((e) => e.name)).toEqual(['pf_park_timeouts']);
  });
});

describe('toBlockCounters', () => {
  it('maps QMP names, keeps unknown numeric fields in extra and ignores flags and lists', () => {
    const { counters, extra } = toBlockCounters({
      rd_bytes: 1,
      wr_operations: 2,
      flush_total_time_ns: 3,
      failed_unmap_operations: 4,
      invalid_wr_operations: 5,
      unmap_merged: 6,
      idle_time_ns: 7,
      wr_highest_offset: 8,
      zone_append_bytes: 9,
      account_failed: true,
      timed_stats: [],
      constructor: 10,
    });
    expect(counters).toMatchObject({ rdBytes: 1, wrOps: 2, flushTimeNs: 3, failedUnmapOps: 4, invalidWrOps: 5, unmapMerged: 6, idleTimeNs: 7, wrBytes: 0 });
    expect(extra).toEqual({ wr_highest_offset: 8, zone_append_bytes: 9, constructor: 10 });
    expect(toBlockCounters({}).counters.idleTimeNs).toBeNull();
  });
});

describe('qdevId', () => {
  it.each([
    ['/machine/peripheral/vda/virtio-backend', 'vda'],
    ['/machine/peripheral/virtio-disk0/virtio-backend', 'virtio-disk0'],
    ['/machine/peripheral-anon/device[1]/virtio-backend', null],
    ['ide0-hd0', 'ide0-hd0'],
    ['', null],
  ])('%s → %s', (qdev, id) => expect(qdevId(qdev)).toBe(id));
});

describe('toQmpEvent', () => {
  it('maps the timestamp to microseconds and data to JSON', () => {
    const msg = {
      event: 'BLOCK_WRITE_THRESHOLD',
      data: { 'node-name': 'lv0-storage', 'amount-exceeded': 327680 },
      timestamp: { seconds: 1795312015, microseconds: 235770 },
    };
    expect(toQmpEvent(msg)).toEqual({
      event: 'BLOCK_WRITE_THRESHOLD',
      qemuTimeUs: 1795312015235770,
      data: '{"node-name":"lv0-storage","amount-exceeded":327680}',
    });
    expect(toQmpEvent({ event: 'STOP', timestamp: { seconds: 2, microseconds: 3 } })).toEqual({ event: 'STOP', qemuTimeUs: 2000003, data: '{}' });
    expect(toQmpEvent({ return: {} })).toBeUndefined();
  });
});

describe('buildSample on corrupted replies (seeded fuzz)', () => {
  const WEIRD: unknown[] = [null, 0, -1, 1e300, 'x', true, [], [null], {}, { 'node-name': 7 }, [[1]], { stats: 'x' }];

  /** xorshift32: deterministic, so a failure reproduces. */
  function rng(seed: number): () => number {
    let x = seed;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }

  function corrupt(v: unknown, rand: () => number, depth = 0): unknown {
    if (rand() < 0.04 || depth > 8) return WEIRD[Math.floor(rand() * WEIRD.length)];
    if (Array.isArray(v)) return v.map((x) => corrupt(x, rand, depth + 1));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, corrupt(x, rand, depth + 1)]));
    return v;
  }

  it('never throws, and the result still encodes as Avro', async () => {
    const { encodeRaw } = await import('#schemas/codecs/raw.js');
    const vm = { host: 'h', uuid: 'u', name: 'n', instanceId: 'i', qemuVersion: '7.2.22' };
    const rand = rng(0x5eed);
    let state = initialBuilderState();
    let seq = 0;
    let flagged = 0;
    for (let round = 0; round < 3; round++) {
      for (const tick of [...thin, ...kvm.slice(0, 3)]) {
        const bad = { ...tick, replies: corrupt(tick.replies, rand) as Tick['replies'] };
        const r = buildSample(state, bad);
        state = r.state;
        if (r.sample.errors.length > 0) flagged++;
        expect(() => encodeRaw({ vm, seq: ++seq, t: tick.t, body: { kind: 'Sample', value: r.sample } })).not.toThrow();
      }
    }
    expect(seq).toBe(3 * (thin.length + 3));
    expect(flagged).toBeGreaterThan(seq / 4); // the corruption did hit the mappers (49 of 132 flagged)
  });
});
