/**
 * The alerts topic as a stream of decoded transitions: a thin kafkajs shell.
 *
 * Wire shape: schemas/avro/alert.avsc (qmpipe.processor.Alert), Avro single-object
 * encoding, key = alert id, written inside the processor's transactions; so this
 * consumer reads with isolation.level=read_committed (kafkajs readUncommitted: false).
 * Records that do not decode are logged (the first few) and counted, never fatal.
 *
 * "Caught up" means every partition has been read to the end offset it had at start
 * (admin.fetchTopicOffsets, which lists read_committed offsets: the last stable offset).
 * Progress comes from kafkajs's END_BATCH_PROCESS event, which also fires for batches
 * holding only transaction markers, so a topic ending in a commit marker catches up too.
 * The consumer group is random per run and commits nothing: every run reads the topic
 * itself (from the beginning, or from now).
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type EachBatchPayload } from 'kafkajs';
import { QmpipeError, describeError } from '#common/errors.js';
import { kafkaClientConfig, kafkaLogCreator, type KafkaConnection } from '#common/kafka.js';
import type { Logger } from '#common/log.js';
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';

const { Kafka } = kafkajs;

export type AlertSourceErrorCode = 'ALERTS_TOPIC_MISSING' | 'ALERTS_TOPIC_UNAVAILABLE' | 'ALERTS_CONSUMER_CRASHED';

export class AlertSourceError extends QmpipeError {
  constructor(code: AlertSourceErrorCode, message: string, opts: { retriable: boolean; cause?: unknown; topic: string }) {
    super(code, message, { retriable: opts.retriable, cause: opts.cause, context: { topic: opts.topic } });
  }
}

export interface AlertSourceOptions {
  kafka: KafkaConnection;
  topic: string;
  from: 'beginning' | 'now';
  /** `until-end`: transitions past the start-time end offsets are not delivered. */
  mode: 'until-end' | 'follow';
  log: Logger;
}

/** Called by the source; never concurrently (one partition's batch at a time). */
export interface AlertHandlers {
  /** Decoded transitions of one batch, in partition order. */
  onAlerts(alerts: AlertRecord[]): void;
  /** Once: every partition has been read to its end offset at start. */
  onCaughtUp(): void;
}

export interface AlertSourceStats {
  decoded: number;
  undecodable: number;
}

export interface AlertSource {
  readonly stats: AlertSourceStats;
  /** Rejects with an AlertSourceError if the consumer stops on its own (a non-retriable crash). */
  readonly crashed: Promise<never>;
  /** Disconnects; in-flight batch handling finishes first. Idempotent. */
  stop(): Promise<void>;
}

const LOGGED_DECODE_FAILURES = 10;

/** kafkajs nests the same message in its retry errors' causes: the top message is enough. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Start-time end offsets of partitions that have something to read: partition → end. */
async function endOffsets(kafka: InstanceType<typeof Kafka>, topic: string): Promise<Map<number, number>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) {
      throw new AlertSourceError('ALERTS_TOPIC_MISSING', `topic ${topic} does not exist (the processor creates it on start)`, { retriable: true, topic });
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  } catch (cause) {
    if (cause instanceof AlertSourceError) throw cause;
    throw new AlertSourceError('ALERTS_TOPIC_UNAVAILABLE', `cannot read the end offsets of topic ${topic}: ${messageOf(cause)}`, {
      retriable: true,
      cause,
      topic,
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function startAlertSource(opts: AlertSourceOptions, handlers: AlertHandlers): Promise<AlertSource> {
  const { topic, log } = opts;
  // kafkajs logs errors it retries (e.g. "group coordinator not available" while a fresh
  // broker creates __consumer_offsets) at ERROR: they are warnings here; what we give up on
  // is logged as an error by us.
  const kjs = log.child({ component: 'kafkajs' });
  const kafka = new Kafka(kafkaClientConfig(opts.kafka, kafkaLogCreator({ ...kjs, error: kjs.warn })));
  const pending = opts.from === 'now' ? new Map<number, number>() : await endOffsets(kafka, topic);
  const ends = new Map(pending);
  const stats: AlertSourceStats = { decoded: 0, undecodable: 0 };
  const codec = outputCodecs().alert;
  let caughtUp = false;
  const checkCaughtUp = (): void => {
    if (caughtUp || pending.size > 0) return;
    caughtUp = true;
    handlers.onCaughtUp();
  };

  const consumer: Consumer = kafka.consumer({
    groupId: `qmpipe-alerts-${randomBytes(6).toString('hex')}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    const end = pending.get(payload.partition);
    if (end !== undefined && Number(payload.lastOffset) + 1 >= end) {
      pending.delete(payload.partition);
      checkCaughtUp();
    }
  });
  let rejectCrash: (err: AlertSourceError) => void = () => {};
  const crashed = new Promise<never>((_, reject) => {
    rejectCrash = reject;
  });
  crashed.catch(() => {}); // observed by callers that care
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) {
      log.warn('alerts consumer restarting', { topic, error: describeError(payload.error) });
      return;
    }
    rejectCrash(
      new AlertSourceError('ALERTS_CONSUMER_CRASHED', `alerts consumer stopped: ${describeError(payload.error)}`, {
        retriable: true,
        cause: payload.error,
        topic,
      }),
    );
  });

  const eachBatch = async ({ batch }: EachBatchPayload): Promise<void> => {
    const end = ends.get(batch.partition);
    const out: AlertRecord[] = [];
    for (const m of batch.messages) {
      if (opts.mode === 'until-end' && (end === undefined || Number(m.offset) >= end)) continue;
      try {
        if (!m.value) throw new QmpipeError('AVRO_TRUNCATED', 'tombstone (no value)');
        out.push(codec.decode(m.value));
        stats.decoded++;
      } catch (err) {
        stats.undecodable++;
        if (stats.undecodable <= LOGGED_DECODE_FAILURES) {
          log.warn('skipping an alert record that does not decode', {
            topic,
            partition: batch.partition,
            offset: m.offset,
            error: describeError(err),
            ...(stats.undecodable === LOGGED_DECODE_FAILURES ? { note: 'further failures are only counted' } : {}),
          });
        }
      }
    }
    if (out.length > 0) handlers.onAlerts(out);
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: opts.from === 'beginning' });
    await consumer.run({ autoCommit: false, eachBatch });
  } catch (cause) {
    await consumer.disconnect().catch(() => {});
    throw new AlertSourceError('ALERTS_TOPIC_UNAVAILABLE', `cannot consume topic ${topic}: ${messageOf(cause)}`, { retriable: true, cause, topic });
  }
  checkCaughtUp(); // nothing to read at start (empty topic, or from now)

  let stopping: Promise<void> | undefined;
  return {
    stats,
    crashed,
    stop: () => (stopping ??= consumer.disconnect().catch((err: unknown) => log.warn('alerts consumer disconnect failed', { error: describeError(err) }))),
  };
}
