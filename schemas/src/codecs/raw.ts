/**
 * Codec for the raw topic (schemas/avro/raw.avsc). Translates between the decoded
 * `RawRecord` (body as a tagged `{kind, value}`) and avsc's wrapped union
 * (`{"qmpipe.raw.Sample": {...}}`).
 */
import { SingleObjectCodec, loadSchema } from './avro.js';
import type { RawBody, RawRecord } from '../types.js';

const NS = 'qmpipe.raw.';
type Wire = Omit<RawRecord, 'body' | 'runId'> & { runId: string | null; body: Record<string, unknown> };

let codec: SingleObjectCodec<Wire> | undefined;

/** The raw-topic codec (schema loaded once). */
export function rawCodec(): SingleObjectCodec<Wire> {
  codec ??= new SingleObjectCodec<Wire>(loadSchema('raw'));
  return codec;
}

export function encodeRaw(rec: RawRecord): Buffer {
  return rawCodec().encode({ vm: rec.vm, seq: rec.seq, runId: rec.runId ?? null, t: rec.t, body: { [NS + rec.body.kind]: rec.body.value } });
}

export function decodeRaw(buf: Buffer): RawRecord {
  const wire = rawCodec().decode(buf);
  let body: RawBody | undefined;
  for (const name in wire.body) {
    body = { kind: name.slice(NS.length), value: wire.body[name] } as RawBody;
    break;
  }
  // No runId (an agent before run ids): left absent, never an empty name.
  if (wire.runId === null) return { vm: wire.vm, seq: wire.seq, t: wire.t, body: body! };
  return { vm: wire.vm, seq: wire.seq, runId: wire.runId, t: wire.t, body: body! };
}
