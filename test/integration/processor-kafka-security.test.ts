/**
 * A processor config with SASL_SSL against the test broker's secured listener
 * (infra/kafka/start.sh: SCRAM-SHA-512, a throwaway CA and random passwords per run): the
 * processor's own topic set-up, transactional producer and read_committed loader work
 * with the same connection options as the agent's (kafka-security.test.ts).
 */
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaClientConfig } from '#common/kafka.js';
import { loadProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { readCompacted } from '#processor/input/readCompacted.js';
import { ensureProcessorTopics } from '#processor/runtime/kafka/topics.js';
import { commitPartitionTransaction, createTransactionalProducer } from '#processor/runtime/kafka/transactions.js';
import { sleep } from './agent-support.js';
import { kafkaClient, randomName, stack } from './helpers/index.js';
import { until } from './helpers/until.js';

const sec = stack().kafkaSecurity;

describe('processor → Kafka over SASL_SSL', () => {
  it('topic set-up, a transaction (outputs, checkpoint, offsets) and the read_committed loader work with the processor config', async () => {
    const name = randomName('it-sec-proc');
    const cfg = loadProcessorRuntimeConfig({
      raw: {
        kafka: {
          brokers: sec.saslSslBrokers,
          groupId: `${name}-group`,
          rawTopic: `${name}-raw`,
          alertsTopic: `${name}-alerts`,
          deadLetterTopic: `${name}-dlq`,
          checkpointTopic: `${name}-checkpoints`,
          rollupsTopic: `${name}-rollups`,
          transactionalIdPrefix: name,
          replicationFactor: 1,
          connectionTimeoutMs: 2000,
          requestTimeoutMs: 10_000,
          tls: { caFile: sec.caFile },
          sasl: { mechanism: 'scram-sha-512' },
        },
        s3: { bucket: 'unused-by-this-test' },
      },
      env: { QMPIPE_KAFKA_SASL_USERNAME: sec.scram.username, QMPIPE_KAFKA_SASL_PASSWORD: sec.scram.password },
    });
    expect(cfg.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: sec.scram.username, password: sec.scram.password });
    const kafka = new kafkajs.Kafka({ ...kafkaClientConfig(cfg.kafka), logLevel: kafkajs.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const partitions = await ensureProcessorTopics(admin, cfg.kafka, 2);
      expect(partitions).toBe(2);
      expect(await admin.listTopics()).toEqual(
        expect.arrayContaining([cfg.kafka.rawTopic, cfg.kafka.alertsTopic, cfg.kafka.checkpointTopic, cfg.kafka.deadLetterTopic, cfg.kafka.rollupsTopic]),
      );
      const producer = await createTransactionalProducer(kafka, `${name}-0`);
      try {
        await commitPartitionTransaction(producer, {
          outputs: new Map([[cfg.kafka.alertsTopic, [{ key: 'vm-1', value: 'alert-1' }]]]),
          checkpoint: { topic: cfg.kafka.checkpointTopic, partition: 0, key: `${cfg.kafka.rawTopic}:0`, value: Buffer.from('state-0') },
          offsets: { groupId: cfg.kafka.groupId, topic: cfg.kafka.rawTopic, partition: 0, nextOffset: 42 },
        });
      } finally {
        await producer.disconnect();
      }
      // commit() returns before the broker has written the commit markers, so the committed
      // data becomes visible (last stable offset, group offsets) a moment later: poll.
      const read = async (topic: string, key: string): Promise<string | undefined> => {
        for (const deadline = Date.now() + 15_000; ; await sleep(200)) {
          const v = (await readCompacted(kafka, topic, { timeoutMs: 15_000 })).get(key)?.value?.toString();
          if (v !== undefined || Date.now() > deadline) return v;
        }
      };
      expect(await read(cfg.kafka.checkpointTopic, `${cfg.kafka.rawTopic}:0`)).toBe('state-0');
      expect(await read(cfg.kafka.alertsTopic, 'vm-1')).toBe('alert-1');
      const committed = async (): Promise<string | undefined> =>
        (await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [cfg.kafka.rawTopic] }))[0]!.partitions.find((p) => p.partition === 0)?.offset;
      await until("the transaction's consumer offset", async () => (await committed()) === '42', 15_000, 200);
    } finally {
      await admin.disconnect();
    }
    // The same topic through the PLAINTEXT listener: one broker, one log.
    const plain = kafkaClient('it-sec-plain').admin();
    await plain.connect();
    try {
      expect(await plain.listTopics()).toContain(cfg.kafka.alertsTopic);
    } finally {
      await plain.disconnect();
    }
  });
});
