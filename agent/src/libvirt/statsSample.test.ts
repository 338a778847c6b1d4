import { describe, expect, it } from 'vitest';
import { emptyMemoryStats } from '#schemas/memoryStats.js';
import { schemasHash } from '../sample/statsSchema.js';
import { statsToSample } from './statsSample.js';
import type { TypedParam } from './typedParams.js';

const u = (field: string, value: number): TypedParam => ({ field, value: { type: 'ullong', value: BigInt(value) } });
const i = (field: string, value: number): TypedParam => ({ field, value: { type: 'int', value } });
const s = (field: string, value: string): TypedParam => ({ field, value: { type: 'string', value } });
const b = (field: string, value: boolean): TypedParam => ({ field, value: { type: 'boolean', value } });

/** Field names and shapes as libvirt 9.0 returned them for a domain after a disk-only snapshot (see the integration test's log). */
const record: TypedParam[] = [
  i('state.state', 3),
  i('state.reason', 5),
  u('vcpu.0.time', 190000000),
  u('vcpu.0.exits.sum', 251),
  b('vcpu.0.guest_mode.cur', false),
  u('vcpu.1.exits.sum', 17),
  b('vcpu.1.guest_mode.cur', true),
  u('vm.pages_4k.cur', 12),
  u('vm.max_mmu_page_hash_collisions.max', 3),
  { field: 'net.count', value: { type: 'uint', value: 1 } },
  s('net.0.name', 'vnet1'),
  u('net.0.rx.bytes', 86),
  u('net.0.tx.bytes', 7),
  { field: 'block.count', value: { type: 'uint', value: 2 } },
  s('block.0.name', 'vda'),
  s('block.0.path', '/var/lib/top.qcow2'),
  { field: 'block.0.backingIndex', value: { type: 'uint', value: 2 } },
  u('block.0.rd.reqs', 4),
  u('block.0.rd.bytes', 12800),
  u('block.0.wr.reqs', 9),
  u('block.0.wr.bytes', 9437184),
  u('block.0.fl.reqs', 1),
  u('block.0.allocation', 196616),
  u('block.0.capacity', 268435456),
  u('block.0.physical', 204800),
  s('block.1.name', 'vda'),
  s('block.1.path', '/dev/loop2'),
  { field: 'block.1.backingIndex', value: { type: 'uint', value: 1 } },
  u('block.1.allocation', 66125824),
  u('block.1.capacity', 268435456),
  u('block.1.physical', 100663296),
  u('block.1.threshold', 67108864),
];
const images = {
  'vda[2]': { format: 'qcow2', blockDevice: false },
  'vda[1]': { format: 'qcow2', blockDevice: true },
  vda: { format: 'qcow2', blockDevice: false },
};

describe('stats mode: a libvirt stats record → Sample', () => {
  const { sample, snapshot } = statsToSample(record, images);

  it('maps the run state (paused for an I/O error is io-error)', () => {
    expect({ status: sample.status, running: sample.running }).toEqual({ status: 'io-error', running: false });
    expect(sample.libvirtState).toEqual({ state: 3, reason: 5 }); // libvirt's own, carried as they are
  });

  it('one device per disk, its images in chain order, named by libvirt image id', () => {
    expect(sample.blockDevices).toHaveLength(1);
    const [d] = sample.blockDevices;
    expect(d).toMatchObject({ dev: 'vda', device: 'vda', counters: { rdOps: 4, rdBytes: 12800, wrOps: 9, wrBytes: 9437184, flushOps: 1, failedWrOps: 0 } });
    expect(
      d!.chain.map((e) => [e.backingIndex, e.formatNode, e.storageDriver, e.filename, e.allocation, e.physical, e.physicalSource, e.writeThreshold]),
    ).toEqual([
      [0, 'vda[2]', 'file', '/var/lib/top.qcow2', 196616, 204800, 'ACTUAL_SIZE', 0],
      [1, 'vda[1]', 'host_device', '/dev/loop2', 66125824, 100663296, 'HOST_DEVICE_SIZE', 67108864],
    ]);
  });

  it("KVM's scalars by target, described by a snapshot without units or histograms", () => {
    expect(snapshot?.schemas.map((x) => [x.target, x.stats.map((d) => `${d.name}:${d.type}:${d.unit}`)])).toEqual([
      ['vcpu', ['exits:cumulative:null', 'guest_mode:instant:null']],
      ['vm', ['pages_4k:instant:null', 'max_mmu_page_hash_collisions:peak:null']],
    ]);
    expect(sample.stats?.schemaHash).toBe(snapshot?.hash);
    expect(sample.stats?.results.map((r) => [r.target, r.qomPath, r.values])).toEqual([
      ['vcpu', 'vcpu0', [251, 0]],
      ['vcpu', 'vcpu1', [17, 1]],
      ['vm', null, [12, 3]],
    ]);
  });

  it('interfaces with their counters', () => {
    expect(sample.net).toEqual([{ name: 'vnet1', rxBytes: 86, rxPackets: 0, rxErrors: 0, rxDropped: 0, txBytes: 7, txPackets: 0, txErrors: 0, txDropped: 0 }]);
  });

  it('the cpu-total group and vcpu.N.time → CPU times in µs (libvirt prints ns)', () => {
    const withCpu = statsToSample(
      [...record, u('cpu.time', 5_123_456_789), u('cpu.user', 3_000_000_999), u('cpu.system', 1_500_000_000), u('vcpu.1.time', 70_000_000)],
      images,
    );
    expect(withCpu.sample.cpu).toEqual({
      timeUs: 5_123_456,
      userUs: 3_000_000,
      systemUs: 1_500_000,
      vcpus: [
        { index: 0, timeUs: 190_000 },
        { index: 1, timeUs: 70_000 },
      ],
    });
    const none = statsToSample(
      record.filter((p) => !p.field.endsWith('.time')),
      images,
    );
    expect(none.sample.cpu).toBeNull(); // the groups not asked for: null, not 0
  });

  it('the balloon group → memory in bytes (libvirt prints KiB); last-update 0 (never reported) and absent figures are null', () => {
    const withBalloon = statsToSample(
      [
        ...record,
        u('balloon.current', 163840),
        u('balloon.maximum', 163840),
        u('balloon.minor_fault', 61520),
        u('balloon.last-update', 0),
        u('balloon.rss', 183412),
      ],
      images,
    );
    expect(withBalloon.sample.memory).toEqual({
      ...emptyMemoryStats(),
      currentBytes: 167772160,
      maximumBytes: 167772160,
      minorFaults: 61520,
      rssBytes: 183412 * 1024,
    });
    expect(statsToSample(record, images).sample.memory).toBeNull();
  });

  it('a record with no KVM stats (TCG) has no stats and no snapshot', () => {
    const r = statsToSample(
      record.filter((p) => !/\.(sum|cur|max)$/.test(p.field)),
      images,
    );
    expect(r.snapshot).toBeNull();
    expect(r.sample.stats).toBeNull();
  });

  it('the snapshot is built once per set of stats: the next tick gets the same one, another set its own hash', () => {
    const again = statsToSample(
      record.map((p) => ({ ...p })),
      images,
    );
    expect(again.snapshot).toBe(snapshot);
    expect(snapshot!.hash).toBe(schemasHash(snapshot!.schemas));
    const fewer = statsToSample(
      record.filter((p) => p.field !== 'vm.pages_4k.cur'),
      images,
    );
    expect(fewer.snapshot!.hash).not.toBe(snapshot!.hash);
    expect(fewer.snapshot!.hash).toBe(schemasHash(fewer.snapshot!.schemas));
    expect(fewer.snapshot!.schemas.find((x) => x.target === 'vm')!.stats.map((d) => d.name)).toEqual(['max_mmu_page_hash_collisions']);
    expect(fewer.sample.stats!.results.find((r) => r.target === 'vm')!.values).toEqual([3]);
  });
});
