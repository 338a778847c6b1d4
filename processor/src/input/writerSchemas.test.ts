import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '#common/log.js';
import { fingerprintOf, loadSchema, MAGIC, SingleObjectCodec, schemaTopicMessage } from '#schemas/codecs/avro.js';
import { WriterSchemas } from './writerSchemas.js';

const reader = loadSchema('rate');
const newer = avro.Type.forSchema({
  ...(reader.schema() as object),
  fields: [...(reader.schema() as { fields: unknown[] }).fields, { name: 'x', type: 'int', default: 0 }],
} as avro.Schema);
const recordOf = (t: avro.Type) => Buffer.concat([MAGIC, fingerprintOf(t), Buffer.alloc(4)]);

function topic(...snapshots: Array<Map<string, Buffer | null>>) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    async read() {
      return snapshots[Math.min(reads++, snapshots.length - 1)]!;
    },
  };
}

describe('writer schemas from the schema topic', () => {
  it('a malformed message is skipped and counted once, however often the topic is read', async () => {
    let malformed = 0;
    const t = topic(new Map([['bad', Buffer.from('{"type":')]]));
    const s = new WriterSchemas(new SingleObjectCodec(reader), t, silentLogger, { waitMs: 0, retryAfterMs: 0 }, () => malformed++);
    expect(await s.load()).toBe(0);
    expect(await s.load()).toBe(0);
    expect(malformed).toBe(1);
  });

  it('an unknown fingerprint: the topic is read again until the schema is there (bounded), then not again for a while if it never comes', async () => {
    const codec = new SingleObjectCodec(reader);
    const m = schemaTopicMessage(newer);
    const t = topic(new Map(), new Map(), new Map([[m.key, Buffer.from(m.value)]]));
    const s = new WriterSchemas(codec, t, silentLogger, { waitMs: 5_000, retryAfterMs: 60_000, pollMs: 1 });
    await s.ensureKnown([recordOf(reader), recordOf(newer)]);
    expect(codec.hasWriter(fingerprintOf(newer).toString('hex'))).toBe(true);
    expect(t.reads).toBe(3);
    const ghost = Buffer.from(recordOf(newer));
    ghost.fill(7, 2, 10);
    const t2 = topic(new Map());
    const s2 = new WriterSchemas(codec, t2, silentLogger, { waitMs: 20, retryAfterMs: 60_000, pollMs: 5 });
    await s2.ensureKnown([ghost]);
    const after = t2.reads;
    expect(after).toBeGreaterThan(1);
    await s2.ensureKnown([ghost, ghost]);
    expect(t2.reads).toBe(after); // given up on for retryAfterMs
  });
});
