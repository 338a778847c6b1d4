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
 * - `signal`: giving up while starting (`qmpipe top --once --timeout`). kafkajs's own
 *   retries of the end-offset read run on timers that nothing cancels (an unreachable broker
 *   kept the process alive 7 s past its timeout), so with a signal that read is retried here
 *   (common/src/retry.ts, sleeping on the signal) and one attempt is at most the connection
 *   timeout; on abort the consumer is disconnected and startTailer rejects at once.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type EachBatchPayload, type KafkaMessage } from 'kafkajs';
import { QmpipeError, describeError } from '../errors.js';
import { defaultRetryPolicy, retry } from '../retry.js';
import { sleep } from '../sleep.js';
import { kafkaClientConfig, kafkaLogCreator, type KafkaConnection } from '../kafka.js';
import type { Logger } from '../log.js';

export type TailerErrorCode = 'KAFKA_TOPIC_MISSING' | 'KAFKA_TOPIC_UNAVAILABLE' | 'KAFKA_CONSUMER_CRASHED' | 'KAFKA_GAVE_UP';

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
  /** Give up starting when it aborts: startTailer rejects (KAFKA_GAVE_UP) and leaves nothing running. Ignored once started. */
  signal?: AbortSignal;
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

/** What went wrong last while starting, for the message of giving up. */
interface Attempts {
  last?: unknown;
}

/** endOffsets, under a signal: retried here, on sleeps the signal ends. */
function endOffsetsUntil(kafka: kafkajs.Kafka, o: TailerOptions, signal: AbortSignal, seen: Attempts): Promise<Map<string, number>> {
  const unavailable = (e: unknown): boolean => !signal.aborted && e instanceof TailerError && e.code === 'KAFKA_TOPIC_UNAVAILABLE';
  return retry((bail) => (signal.aborted ? bail(signal.reason) : endOffsets(kafka, o)), {
    policy: { ...defaultRetryPolicy, maxRetryTime: 5_000 },
    shouldRetry: unavailable,
    onRetry: (err) => (seen.last = err),
    sleep: (ms) => sleep(ms, signal),
  });
}

/** `work`, or a KAFKA_GAVE_UP rejection as soon as the signal aborts (what went wrong last in its message). */
async function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, o: TailerOptions, seen: Attempts): Promise<T> {
  if (!signal) return work;
  let onAbort: () => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => {
    onAbort = () => {
      const why = seen.last === undefined ? `gave up reading ${o.topics.join(', ')} (not started yet)` : `${messageOf(seen.last)} (gave up)`;
      reject(new TailerError('KAFKA_GAVE_UP', why, { cause: seen.last, topics: o.topics }));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  gaveUp.catch(() => {});
  work.catch(() => {}); // an attempt still under way when giving up ends on its own
  try {
    return await Promise.race([work, gaveUp]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export async function startTailer(o: TailerOptions, handlers: TailHandlers): Promise<Tailer> {
  const config = kafkaClientConfig(o.kafka, kafkaLogCreator(o.log.child({ component: 'kafkajs' })));
  const kafka = new kafkajs.Kafka(config);
  const seen: Attempts = {};
  const ends =
    o.from === 'now'
      ? new Map<string, number>()
      : await unlessAborted(
          o.signal ? endOffsetsUntil(new kafkajs.Kafka({ ...config, retry: { ...config.retry, retries: 0 } }), o, o.signal, seen) : endOffsets(kafka, o),
          o.signal,
          o,
          seen,
        );
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
    const started = async (): Promise<void> => {
      await consumer.connect();
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.from === 'beginning' });
      await consumer.run({ autoCommit: false, eachBatch });
    };
    await unlessAborted(started(), o.signal, o, seen);
  } catch (cause) {
    await consumer.disconnect().catch(() => {});
    if (cause instanceof TailerError) throw cause;
    throw new TailerError('KAFKA_TOPIC_UNAVAILABLE', `cannot consume ${o.topics.join(', ')}: ${messageOf(cause)}`, { cause, topics: o.topics });
  }
  checkCaughtUp(); // nothing to read at start (empty topics, or from now)

  let stopping: Promise<void> | undefined;
  return {
    crashed,
    stop: () => (stopping ??= consumer.disconnect().catch((err: unknown) => o.log.warn('consumer disconnect failed', { error: describeError(err) }))),
  };
}
