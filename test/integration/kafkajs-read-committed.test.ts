/**
 * kafkajs 2.2.4's read_committed consumer handed records of aborted transactions to the
 * application (common/src/kafkajsReadCommittedGuard.ts), against the real broker: two
 * transactional producers write to one partition, interleaved, and abort in the other
 * order (as the take-over of several input partitions after a SIGKILL does on the alerts
 * topic). Only the committed record may be read.
 */
import { describe, expect, it } from 'vitest';
import { consumeUntil, createTopics, kafkaClient, randomName } from './helpers/index.js';

describe('kafkajs read_committed (real Kafka)', () => {
  it('two aborted transactions, interleaved and aborted out of order: none of their records is read', async () => {
    const topic = randomName('rc-aborted');
    await createTopics([topic], 1);
    const kafka = kafkaClient('it-read-committed');
    const p1 = kafka.producer({ transactionalId: `${topic}-1`, idempotent: true, maxInFlightRequests: 1 });
    const p2 = kafka.producer({ transactionalId: `${topic}-2`, idempotent: true, maxInFlightRequests: 1 });
    const p3 = kafka.producer({ transactionalId: `${topic}-3`, idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([p1.connect(), p2.connect(), p3.connect()]);
    try {
      const t1 = await p1.transaction();
      await t1.send({ topic, messages: [{ key: 'a', value: 'aborted-1' }] }); // offset 0
      const t2 = await p2.transaction();
      await t2.send({ topic, messages: [{ key: 'b', value: 'aborted-2' }] }); // offset 1
      await t2.abort(); // marker at 2: the broker lists p2's transaction first
      await t1.abort(); // marker at 3
      const t3 = await p3.transaction();
      await t3.send({ topic, messages: [{ key: 'c', value: 'committed' }] });
      await t3.commit();
    } finally {
      await Promise.all([p1.disconnect(), p2.disconnect(), p3.disconnect()]);
    }
    const read = await consumeUntil(topic, (ms) => ms.some((m) => m.value?.toString() === 'committed'), { readUncommitted: false });
    expect(read.map((m) => m.value?.toString())).toEqual(['committed']);
  });
});
