/**
 * raw.avsc evolves so that processors upgraded first keep decoding what agents not yet
 * upgraded write. The chain element's `capacity` became nullable (unknown is not zero):
 * a record of the previous writer schema (`capacity: long`) decodes with its value. The
 * record's `runId` was added (optional, default null): an older agent's record decodes
 * without one.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { element, device, sampleRec } from '#test/support/records.js';
import { SingleObjectCodec, fingerprintOf, loadSchema } from './avro.js';
import { decodeRaw, encodeRaw } from './raw.js';

/** `schema` with every record field named `name` given `type` (a deep copy). */
function withFieldType(schema: unknown, name: string, type: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withFieldType(s, name, type));
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(schema)) out[k] = withFieldType(v, name, type);
  if (out.name === name && 'type' in out && !('fields' in out)) {
    out.type = type;
    delete out.default;
  }
  return out;
}

describe('raw.avsc: chain capacity is nullable', () => {
  const rec = { ...sampleRec(1_000, { blockDevices: [device({ chain: [element({ capacity: 268435456 })] })] }), seq: 7 };

  it('round-trips a known capacity and an unknown one (null, not 0)', () => {
    expect(decodeRaw(encodeRaw(rec)).body).toEqual(rec.body);
    const unknown = { ...sampleRec(1_000, { blockDevices: [device({ chain: [element({ capacity: null })] })] }), seq: 7 };
    const back = decodeRaw(encodeRaw(unknown));
    expect(back.body.kind === 'Sample' && back.body.value.blockDevices[0]!.chain[0]!.capacity).toBeNull();
  });

  it('decodes a record of the previous writer schema (capacity: long)', () => {
    const previous = avro.Type.forSchema(withFieldType(loadSchema('raw').schema({ exportAttrs: true }), 'capacity', 'long') as avro.Schema);
    const reader = new SingleObjectCodec(loadSchema('raw'));
    reader.addWriter(previous);
    const wire = { vm: rec.vm, seq: rec.seq, runId: null, t: rec.t, body: { 'qmpipe.raw.Sample': rec.body.value } };
    const buf = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintOf(previous), previous.toBuffer(wire)]);
    const got = reader.decode(buf) as { body: Record<string, { blockDevices: Array<{ chain: Array<{ capacity: unknown }> }> }> };
    expect(got.body['qmpipe.raw.Sample']!.blockDevices[0]!.chain[0]!.capacity).toBe(268435456);
  });
});

/** `schema` without its top-level field `name` (a deep copy). */
function withoutField(schema: unknown, name: string): unknown {
  const s = JSON.parse(JSON.stringify(schema)) as { fields: Array<{ name: string }> };
  s.fields = s.fields.filter((f) => f.name !== name);
  return s;
}

describe('raw.avsc: the run id', () => {
  const rec = { ...sampleRec(1_000), seq: 7 };

  it('round-trips a run id, and a record without one decodes without one', () => {
    expect(decodeRaw(encodeRaw({ ...rec, runId: 'c0ffee00-0000-4000-8000-000000000001' })).runId).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect('runId' in decodeRaw(encodeRaw(rec))).toBe(false);
  });

  it('decodes a record of the writer schema before run ids', () => {
    const previous = avro.Type.forSchema(withoutField(loadSchema('raw').schema({ exportAttrs: true }), 'runId') as avro.Schema);
    const reader = new SingleObjectCodec(loadSchema('raw'));
    reader.addWriter(previous);
    const wire = { vm: rec.vm, seq: rec.seq, t: rec.t, body: { 'qmpipe.raw.Sample': rec.body.value } };
    const buf = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintOf(previous), previous.toBuffer(wire)]);
    const got = reader.decode(buf) as { seq: number; runId: unknown };
    expect([got.seq, got.runId]).toEqual([7, null]);
  });
});

/** `schema` without the Sample record's field `name` (a deep copy). */
function withoutSampleField(schema: unknown, name: string): unknown {
  const s = JSON.parse(JSON.stringify(schema)) as { fields: Array<{ name: string; type: unknown }> };
  const body = s.fields.find((f) => f.name === 'body')!.type as Array<{ name: string; fields: Array<{ name: string }> }>;
  const sample = body.find((r) => r.name === 'Sample' || r.name === 'qmpipe.raw.Sample')!;
  sample.fields = sample.fields.filter((f) => f.name !== name);
  return s;
}

describe('raw.avsc: the CPU times', () => {
  const cpu = { timeUs: 18_010_000, userUs: 12_340_000, systemUs: 5_670_000, vcpus: [{ index: 0, timeUs: 10_000_000 }] };

  it('round-trips CPU times, an unknown part of them (null), and a Sample without them (null, not 0)', () => {
    const back = decodeRaw(encodeRaw({ ...sampleRec(1_000, { cpu }), seq: 7 }));
    expect(back.body.kind === 'Sample' && back.body.value.cpu).toEqual(cpu);
    const partial = decodeRaw(encodeRaw({ ...sampleRec(1_000, { cpu: { ...cpu, userUs: null, systemUs: null } }), seq: 7 }));
    expect(partial.body.kind === 'Sample' && partial.body.value.cpu).toMatchObject({ timeUs: 18_010_000, userUs: null, systemUs: null });
    const none = decodeRaw(encodeRaw({ ...sampleRec(1_000), seq: 7 }));
    expect(none.body.kind === 'Sample' && none.body.value.cpu).toBeNull();
  });

  it("decodes a record of the writer schema before CPU times, memory and libvirt's state: all three null", () => {
    const before = ['cpu', 'memory', 'libvirtState'].reduce((s, f) => withoutSampleField(s, f), loadSchema('raw').schema({ exportAttrs: true }) as unknown);
    const previous = avro.Type.forSchema(before as avro.Schema);
    const reader = new SingleObjectCodec(loadSchema('raw'));
    reader.addWriter(previous);
    const rec = { ...sampleRec(1_000), seq: 7 };
    const wire = { vm: rec.vm, seq: rec.seq, runId: null, t: rec.t, body: { 'qmpipe.raw.Sample': rec.body.value } };
    const buf = Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintOf(previous), previous.toBuffer(wire)]);
    const got = reader.decode(buf) as { body: Record<string, { cpu: unknown; memory: unknown; libvirtState: unknown; status: string }> };
    expect(got.body['qmpipe.raw.Sample']).toMatchObject({ status: 'running', cpu: null, memory: null, libvirtState: null });
  });
});
