import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { SingleObjectCodec, SchemaError, rabin64, fingerprintOf } from './avro.js';
import { decodeRaw, encodeRaw, rawCodec } from './raw.js';
import { emptyBlockCounters } from '../blockCounters.js';
import { emptyMemoryStats } from '../memoryStats.js';
import type { RawRecord, Sample } from '../types.js';

describe('rabin64 (CRC-64-AVRO)', () => {
  it('matches the Avro spec test vectors', () => {
    // From the Avro Java test suite (TestSchemaNormalization / fingerprint "fp64" cases).
    expect(rabin64(Buffer.from('"int"')).toString(16)).toBe(BigInt.asUintN(64, 8247732601305521295n).toString(16));
    expect(rabin64(Buffer.from('"string"')).toString(16)).toBe(BigInt.asUintN(64, -8142146995180207161n).toString(16));
    expect(rabin64(Buffer.from('"null"')).toString(16)).toBe(BigInt.asUintN(64, 7195948357588979594n).toString(16));
  });
});

const sample: Sample = {
  status: 'running',
  running: true,
  stats: {
    schemaHash: 'abc',
    results: [
      { target: 'vcpu', provider: 'kvm', qomPath: '/machine/unattached/device[0]', values: [1, 0, 3, 5, 6, 7, -1], extra: [{ name: 'new_stat', values: [9] }] },
    ],
  },
  blockDevices: [
    {
      dev: 'vda',
      device: '',
      qdev: '/machine/peripheral/vda/virtio-backend',
      nodeName: 'lv0-format',
      ioStatus: 'ok',
      // Every field of the table (blockCounters.ts), idle time null: a new counter needs no edit here.
      counters: {
        ...emptyBlockCounters(),
        rdBytes: 1,
        wrBytes: 2 ** 40,
        rdOps: 3,
        wrOps: 4,
        flushOps: 5,
        rdTimeNs: 6,
        wrTimeNs: 7,
        flushTimeNs: 8,
        failedWrOps: 1,
      },
      extra: { zone_append_bytes: 0 },
      chain: [
        {
          backingIndex: 0,
          formatNode: 'lv0-format',
          formatDriver: 'qcow2',
          storageNode: 'lv0-storage',
          storageDriver: 'host_device',
          filename: '/dev/loop2',
          allocation: 100,
          allocationValid: true,
          capacity: 268435456,
          physical: 100663296,
          physicalSource: 'HOST_DEVICE_SIZE',
          actualSize: 0,
          storageVirtualSize: 100663296,
          writeThreshold: 0,
        },
      ],
    },
  ],
  jobs: [{ id: 'commit0', type: 'commit', status: 'running', len: 10, offset: 5, ioStatus: 'ok', ready: false, paused: false }],
  net: [{ name: 'tap0', rxBytes: 1, rxPackets: 2, rxErrors: 0, rxDropped: 0, txBytes: 3, txPackets: 4, txErrors: 0, txDropped: 0 }],
  slowRefresh: true,
  cpu: { timeUs: 18_010_000, userUs: 12_340_000, systemUs: null, vcpus: [{ index: 1, timeUs: 270_000 }] },
  libvirtState: { state: 3, reason: 2 },
  memory: { ...emptyMemoryStats(), currentBytes: 167772160, maximumBytes: 167772160, rssBytes: 183_000_000, minorFaults: 12 },
  errors: ['query-stats: CommandNotFound'],
};
const vm = { host: 'h1', uuid: 'u-1', name: 'vm1', instanceId: 'i1', qemuVersion: '7.2.22' };

describe('raw codec', () => {
  const cases: RawRecord[] = [
    { vm, seq: 1, t: 1795311980793, body: { kind: 'Sample', value: sample } },
    {
      vm,
      seq: 2,
      t: 2,
      body: {
        kind: 'StatsSchemaSnapshot',
        value: {
          hash: 'h',
          schemas: [{ provider: 'kvm', target: 'vm', stats: [{ name: 'exits', type: 'cumulative', unit: null, base: 0, exponent: 0, bucketSize: null }] }],
        },
      },
    },
    { vm, seq: 3, t: 3, body: { kind: 'QmpEvent', value: { event: 'STOP', qemuTimeUs: 1_795_311_990_000_123, data: '{}' } } },
    { vm, seq: 4, t: 4, body: { kind: 'AgentNotice', value: { kind: 'stale', message: 'no reply for 3 s', count: 0 } } },
  ];
  it.each(cases)('round-trips a $body.kind', (rec) => {
    const buf = encodeRaw(rec);
    expect(buf.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(buf.subarray(2, 10)).toEqual(rawCodec().fingerprint);
    expect(JSON.parse(JSON.stringify(decodeRaw(buf)))).toEqual(rec);
  });

  it('encodes records larger than its scratch buffer, and a small one after them, each as an own buffer', () => {
    const big: RawRecord = { vm, seq: 5, t: 5, body: { kind: 'AgentNotice', value: { kind: 'note', message: 'x'.repeat(100_000), count: 1 } } };
    const a = encodeRaw(big);
    const b = encodeRaw(cases[3]!);
    expect(decodeRaw(a)).toEqual(big);
    expect(decodeRaw(b)).toEqual(cases[3]);
    expect(a.buffer).not.toBe(b.buffer); // no view into the shared scratch
    const bad = { ...cases[3]!, seq: 'not a long' } as unknown as RawRecord;
    expect(() => encodeRaw(bad)).toThrow(SchemaError);
    expect(decodeRaw(encodeRaw(cases[2]!))).toEqual(cases[2]); // the codec still works after a failed encode
  });

  it('rejects bad markers, truncation, unknown fingerprints and corrupt bodies with typed errors', () => {
    const good = encodeRaw(cases[0]!);
    const codes = (b: Buffer) => {
      try {
        decodeRaw(b);
        return 'ok';
      } catch (e) {
        return e instanceof SchemaError ? e.code : 'untyped';
      }
    };
    expect(codes(Buffer.from('{"json":1}'))).toBe('AVRO_BAD_MARKER');
    expect(codes(good.subarray(0, 5))).toBe('AVRO_TRUNCATED');
    const unknown = Buffer.from(good);
    unknown[5] ^= 0xff;
    expect(codes(unknown)).toBe('AVRO_UNKNOWN_FINGERPRINT');
    expect(codes(good.subarray(0, good.length - 7))).toBe('AVRO_CORRUPT');
  });

  it('resolves an older writer schema against the reader schema', () => {
    const v1 = avro.Type.forSchema({ type: 'record', name: 'A', fields: [{ name: 'x', type: 'long' }] });
    const v2 = avro.Type.forSchema({
      type: 'record',
      name: 'A',
      fields: [
        { name: 'x', type: 'long' },
        { name: 'y', type: 'string', default: 'd' },
      ],
    });
    const writer = new SingleObjectCodec<{ x: number }>(v1);
    const reader = new SingleObjectCodec<{ x: number; y: string }>(v2);
    reader.addWriter(JSON.stringify(v1.schema()));
    expect(fingerprintOf(v1)).not.toEqual(fingerprintOf(v2));
    expect({ ...reader.decode(writer.encode({ x: 7 })) }).toEqual({ x: 7, y: 'd' });
  });
});
