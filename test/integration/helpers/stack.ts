import { S3Client } from '@aws-sdk/client-s3';
import kafkajs from 'kafkajs';
import type { Consumer, KafkaMessage, Message } from 'kafkajs';
import { inject } from 'vitest';
import { randomName } from './names.js';
import type { MachineInfo, StackInfo } from './context.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';

const { Kafka, logLevel } = kafkajs;

// The apps run in-process here: install the guards as every command does at its start (test
// clients must not spin next to what is measured, nor read records of aborted transactions).
installKafkajsGuards();

function kafkaLogLevel(): number {
  const name = (process.env.KAFKAJS_LOG_LEVEL ?? '').toUpperCase() as keyof typeof logLevel;
  return name in logLevel ? logLevel[name] : logLevel.NOTHING;
}

export function stack(): StackInfo {
  return inject('qmpipeStack');
}

export function machine(): MachineInfo {
  return inject('qmpipeMachine');
}

/**
 * A kafkajs client for the local broker with fast retries. Logs are off (kafkajs logs
 * retried, harmless errors such as CONCURRENT_TRANSACTIONS at ERROR); set
 * KAFKAJS_LOG_LEVEL=debug|info|warn|error to see them.
 */
export function kafkaClient(clientId = 'qmpipe-it'): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    brokers: stack().kafkaBrokers,
    logLevel: kafkaLogLevel(),
    retry: { initialRetryTime: 100, retries: 8 },
  });
}

/** Creates topics (1 partition each unless given; replication factor 1, the single-broker stack) and waits until they have leaders. */
export async function createTopics(names: string[], numPartitions = 1): Promise<void> {
  const admin = kafkaClient('qmpipe-it-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })), waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Subscribes a fresh consumer group to `topic` from the beginning and collects messages
 * until `done(messages)` is true or the timeout passes. Always disconnects.
 */
export async function consumeUntil(
  topic: string,
  done: (messages: KafkaMessage[]) => boolean,
  opts: { timeoutMs?: number; groupId?: string; readUncommitted?: boolean } = {},
): Promise<KafkaMessage[]> {
  const consumer: Consumer = kafkaClient('qmpipe-it-consumer').consumer({
    groupId: opts.groupId ?? `it-group-${Math.random().toString(16).slice(2, 10)}`,
    readUncommitted: opts.readUncommitted ?? false,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumeUntil(${topic}): timed out after ${messages.length} messages`)), opts.timeoutMs ?? 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            messages.push(message);
            if (done(messages)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/** An S3 client for the local S3Proxy (path-style, SigV4, us-east-1). */
export function s3Client(): S3Client {
  const { s3 } = stack();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Writes `batches` (topic → messages) in one transaction of a fresh transactional producer, then commits or aborts it. */
export async function produceInTransaction(batches: ReadonlyArray<{ topic: string; messages: Message[] }>, outcome: 'commit' | 'abort'): Promise<void> {
  const p = kafkaClient('it-tx').producer({
    transactionalId: randomName('it-tx'),
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await p.connect();
  try {
    const tx = await p.transaction();
    for (const b of batches) await tx.send(b);
    await (outcome === 'commit' ? tx.commit() : tx.abort());
  } finally {
    await p.disconnect();
  }
}
