/**
 * Reads a (compacted) topic from the beginning up to its end as of the call, with
 * read_committed isolation, and returns the last value per key (or per `keyOf`). Used to
 * load partition checkpoints and the agent's writer schemas, and by the demo to list the
 * rollup windows published (`keyOf` partition and offset: every record).
 *
 * kafkajs has no manual partition assignment, so this joins a throwaway consumer
 * group (random id, never committed) and stops once every wanted partition has
 * been read to the high watermark measured at the start. Positions come from
 * kafkajs's end-of-batch events: they cover transaction markers and aborted records,
 * and they also come for a fetch that holds nothing else, which kafkajs never hands
 * to eachBatch (a checkpoint partition whose tail is an aborted transaction, or only
 * its abort marker, as a SIGKILL inside a checkpoint transaction leaves it).
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { QmpipeError } from '#common/errors.js';

export interface CompactedValue {
  partition: number;
  offset: number;
  value: Buffer | null;
}

export class CompactedReadError extends QmpipeError {
  constructor(message: string, cause?: unknown) {
    super('KAFKA_COMPACTED_READ', message, { retriable: true, cause });
  }
}

export async function readCompacted(
  kafka: Kafka,
  topic: string,
  opts: {
    partitions?: number[];
    timeoutMs?: number;
    maxMessageBytes?: number;
    /** The key a record's value is kept under; default its Kafka key (records without one are skipped). */
    keyOf?: (partition: number, offset: number, key: Buffer | null) => string | null;
  } = {},
): Promise<Map<string, CompactedValue>> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets
        .filter((o) => (!opts.partitions || opts.partitions.includes(o.partition)) && Number(o.high) > Number(o.low))
        .map((o) => [o.partition, Number(o.high)]),
    );
  } finally {
    await admin.disconnect();
  }
  const out = new Map<string, CompactedValue>();
  if (ends.size === 0) return out;
  const maxBytes = Math.max(opts.maxMessageBytes ?? 0, 1 << 20);
  const consumer = kafka.consumer({
    groupId: `qmpipe-reader-${randomUUID()}`,
    readUncommitted: false,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: maxBytes,
    maxBytes: maxBytes * 2,
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const wanted = new Map(ends);
  const keyOf = opts.keyOf ?? ((_p: number, _o: number, key: Buffer | null) => key?.toString('utf8') ?? null);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new CompactedReadError(`reading ${topic} did not reach its end within ${timeoutMs} ms (left: ${[...ends.keys()].join(',')})`)),
        timeoutMs,
      );
      // After eachBatch (when kafkajs calls it) with the batch's last offset, markers included.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const end = ends.get(payload.partition);
        if (end !== undefined && Number(payload.lastOffset) + 1 >= end) ends.delete(payload.partition);
        if (ends.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = wanted.get(batch.partition);
            if (end === undefined) return;
            for (const m of batch.messages) {
              const key = Number(m.offset) < end ? keyOf(batch.partition, Number(m.offset), m.key) : null;
              if (key !== null) out.set(key, { partition: batch.partition, offset: Number(m.offset), value: m.value });
            }
          },
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          reject(new CompactedReadError(`reading ${topic} failed`, err));
        });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
