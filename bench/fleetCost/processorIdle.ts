/**
 * One `qmpipe processor` with no records: its CPU and wake-ups per second once it has
 * joined its group and opened a transactional producer per input partition (the
 * connections kafkajs 2.2.4 would spin on without the request-queue guard).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import kafkajs from 'kafkajs';
import { schemaTopicMessage } from '#schemas/codecs/avro.js';
import { rawCodec } from '#schemas/codecs/raw.js';
import { spawnProcessorChild } from '../processorChild.js';
import type { BenchStack } from '../stack.js';
import { delta, sleep, snapshot, type ProcDelta } from './procfs.js';

export async function processorIdle(s: BenchStack, partitions: number, settleMs: number, windowMs: number, windows: number): Promise<ProcDelta[]> {
  const id = `bench-idle-proc-${Date.now()}`;
  const kafka = new kafkajs.Kafka({ brokers: s.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: `${id}-raw`, numPartitions: partitions },
      { topic: `${id}-schemas`, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  await admin.disconnect();
  await new S3Client({
    endpoint: s.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s.s3.accessKeyId, secretAccessKey: s.s3.secretAccessKey },
  }).send(new CreateBucketCommand({ Bucket: id }));
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: `${id}-schemas`, messages: [schemaTopicMessage(rawCodec().type)] });
  await p.disconnect();
  const child = spawnProcessorChild({
    kafka: {
      brokers: s.brokers,
      rawTopic: `${id}-raw`,
      schemaTopic: `${id}-schemas`,
      groupId: `${id}-g`,
      alertsTopic: `${id}-alerts`,
      deadLetterTopic: `${id}-dlq`,
      checkpointTopic: `${id}-ck`,
      transactionalIdPrefix: id,
    },
    s3: { bucket: id, endpoint: s.s3.endpoint, forcePathStyle: true, accessKeyId: s.s3.accessKeyId, secretAccessKey: s.s3.secretAccessKey },
    metrics: { listen: 'off' },
    log: { level: 'warn' },
  });
  try {
    await Promise.race([sleep(settleMs), child.exited]);
    const out: ProcDelta[] = [];
    for (let i = 0; i < windows; i++) {
      const a = snapshot(child.pid);
      await Promise.race([sleep(windowMs), child.exited]);
      out.push(delta(a, snapshot(child.pid)));
    }
    return out;
  } finally {
    await child.stop();
  }
}
