/**
 * The one topic tailer: reads topics that the processor writes in transactions, for a person
 * or a forwarder (`qmpipe alerts tail|forward`, `qmpipe top --kafka`). A thin kafkajs shell;
 * decoding stays with the caller.
 *
 * - read_committed (kafkajs readUncommitted: false), a random consumer group per run that
 *   commits nothing: every run reads the topics itself, from the beginning or from now.
 * - "Caught up": every partition read to the end offset it had at start
 *   (admin.fetchTopicOffsets lists read_committed ends: the last stable offset). Progress comes
 *   from kafkajs's END_BATCH_PROCESS event, which also fires for batches holding only
 *   transaction markers, so a partition ending in a commit marker catches up too.
 * - `until-end`: records at or past the start-time end are not handed over; `follow`: all.
 * - A consumer that stops on its own (a non-retriable crash) rejects `crashed`.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { QmpipeError, describeError } from '../errors.js';
import { kafkaClientConfig, kafkaLogCreator, type KafkaConnection } from '../kafka.js';
import type { Logger } from '../log.js';

export type TailerErrorCode = 'KAFKA_TOPIC_MISSING' | 'KAFKA_TOPIC_UNAVAILABLE' | 'KAFKA_CONSUMER_CRASHED';

export class TailerError extends QmpipeError {
  constructor(code: TailerErrorCode, message: string, opts: { cause?: unknown; topics: readonly string[] }) {
    super(code, message, { retriable: true, cause: opts.cause, context: { topics: opts.topics.join(',') } });
  }
}

export interface TailerOptions {
  kafka: KafkaConnection;
  topics: readonly string[];
  from: 'beginning' | 'now';
  mode: 'until-end' | 'follow';
  /** Prefix of the random consumer group, e.g. `qmpipe-alerts`. */
  group: string;
  /** Said after "topic X does not exist" (who creates it). */
  missingHint: string;
  log: Logger;
  /** kafkajs maxWaitTimeInMs of each fetch (default kafkajs's 5 s). */
  maxWaitTimeMs?: number;
}

/** Called one batch at a time, never concurrently. */
export interface TailHandlers {
  /** One partition's records of one batch, in offset order (`until-end`: only those before the start-time end). */
  onRecords(topic: string, partition: number, records: KafkaMessage[]): void;
  /** Once: every partition has been read to its end offset at start. */
  onCaughtUp(): void;
}

export interface Tailer {
  /** Rejects with a TailerError if the consumer stops on its own. */
  readonly crashed: Promise<never>;
  /** Disconnects; in-flight batch handling finishes first. Idempotent. */
  stop(): Promise<void>;
}

/** kafkajs nests the same message in its retry errors' causes: the top message is enough. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** Start-time end offsets of the partitions that have something to read, by `topic:partition`. */
async function endOffsets(kafka: kafkajs.Kafka, o: TailerOptions): Promise<Map<string, number>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const ends = new Map<string, number>();
    for (const topic of o.topics) {
      if (!existing.has(topic)) throw new TailerError('KAFKA_TOPIC_MISSING', `topic ${topic} does not exist (${o.missingHint})`, { topics: o.topics });
      for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(partitionKey(topic, p.partition), Number(p.high));
    }
    return ends;
  } catch (cause) {
    if (cause instanceof TailerError) throw cause;
    throw new TailerError('KAFKA_TOPIC_UNAVAILABLE', `cannot read the end offsets of ${o.topics.join(', ')}: ${messageOf(cause)}`, { cause, topics: o.topics });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function startTailer(o: TailerOptions, handlers: TailHandlers): Promise<Tailer> {
  const kafka = new kafkajs.Kafka(kafkaClientConfig(o.kafka, kafkaLogCreator(o.log.child({ component: 'kafkajs' }))));
  const ends = o.from === 'now' ? new Map<string, number>() : await endOffsets(kafka, o);
  const pending = new Map(ends);
  let caughtUp = false;
  const checkCaughtUp = (): void => {
    if (caughtUp || pending.size > 0) return;
    caughtUp = true;
    handlers.onCaughtUp();
  };

  const consumer: Consumer = kafka.consumer({
    groupId: `${o.group}-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    ...(o.maxWaitTimeMs === undefined ? {} : { maxWaitTimeInMs: o.maxWaitTimeMs }),
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const key = partitionKey(payload.topic, payload.partition);
    const end = pending.get(key);
    if (end !== undefined && Number(payload.lastOffset) + 1 >= end) {
      pending.delete(key);
      checkCaughtUp();
    }
  });
  let rejectCrash: (err: TailerError) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    rejectCrash = reject;
  });
  crashed.catch(() => {}); // observed by callers that care
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      o.log.warn('consumer restarting', { topics: o.topics, error: describeError(payload.error) });
      return;
    }
    rejectCrash(new TailerError('KAFKA_CONSUMER_CRASHED', `consumer stopped: ${describeError(payload.error)}`, { cause: payload.error, topics: o.topics }));
  });

  const eachBatch = async ({ batch }: EachBatchPayload): Promise<void> => {
    const end = ends.get(partitionKey(batch.topic, batch.partition));
    const records = o.mode === 'follow' ? batch.messages : batch.messages.filter((m) => end !== undefined && Number(m.offset) < end);
    if (records.length > 0) handlers.onRecords(batch.topic, batch.partition, records);
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.from === 'beginning' });
    await consumer.run({ autoCommit: false, eachBatch });
  } catch (cause) {
    await consumer.disconnect().catch(() => {});
    throw new TailerError('KAFKA_TOPIC_UNAVAILABLE', `cannot consume ${o.topics.join(', ')}: ${messageOf(cause)}`, { cause, topics: o.topics });
  }
  checkCaughtUp(); // nothing to read at start (empty topics, or from now)

  let stopping: Promise<void> | undefined;
  return {
    crashed,
    stop: () => (stopping ??= consumer.disconnect().catch((err: unknown) => o.log.warn('consumer disconnect failed', { error: describeError(err) }))),
  };
}
