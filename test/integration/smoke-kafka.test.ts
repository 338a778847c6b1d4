/**
 * Smoke test of the local broker: an Avro-encoded record round-trips through Kafka, and
 * transactions work on the single node (the processor uses transactional producers):
 * a read_committed consumer sees committed records and never aborted ones.
 */
import avsc from 'avsc';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { consumeUntil, createTopics, kafkaClient, randomName } from './helpers/index.js';

const { Partitioners } = kafkajs;

const SmokeRecord = avsc.Type.forSchema({
  type: 'record',
  name: 'SmokeRecord',
  namespace: 'dev.qmpipe.test',
  fields: [
    { name: 'vm', type: 'string' },
    { name: 'metric', type: 'string' },
    { name: 'value', type: 'long' },
    { name: 'ts', type: 'long' },
  ],
});

describe('kafka smoke', () => {
  it('produces and consumes an Avro record', async () => {
    const topic = randomName('it-avro');
    await createTopics([topic]);
    const record = { vm: 'vm-1', metric: 'wr_bytes', value: 123_456_789, ts: 1_700_000_000_000 };
    const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: record.vm, value: SmokeRecord.toBuffer(record) }] });
    await producer.disconnect();

    const [msg] = await consumeUntil(topic, (ms) => ms.length >= 1);
    expect(msg!.key!.toString()).toBe('vm-1');
    expect(SmokeRecord.fromBuffer(msg!.value!)).toEqual(record);
  });

  it('commits and aborts transactions (read_committed sees only committed records)', async () => {
    const topic = randomName('it-txn');
    await createTopics([topic]);
    const producer = kafkaClient().producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: randomName('it-txn-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (const [value, commit] of [
      ['one', true],
      ['two', false],
      ['three', true],
    ] as const) {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ key: 'k', value }] });
      if (commit) await txn.commit();
      else await txn.abort();
    }
    await producer.disconnect();

    const seen = await consumeUntil(topic, (ms) => ms.some((m) => m.value?.toString() === 'three'));
    expect(seen.map((m) => m.value!.toString())).toEqual(['one', 'three']);
  });
});
