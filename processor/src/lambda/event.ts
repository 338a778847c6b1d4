/**
 * AWS Lambda's Kafka event source (Amazon MSK and self-managed Kafka) delivers
 *
 *   { "eventSource": "aws:kafka" | "SelfManagedKafka", "bootstrapServers": "...",
 *     "records": { "<topic>-<partition>": [ { "topic", "partition", "offset",
 *        "timestamp", "timestampType", "key"?: base64, "value": base64, "headers": [...] } ] } }
 *
 * This module validates that shape and turns it into per-partition batches of
 * raw bytes, in offset order. Pure.
 */
import { z } from 'zod';
import { QmpipeError } from '#common/errors.js';
import { parseSentAt, SENT_AT_HEADER, sentAtValue } from '#schemas/codecs/sentAt.js';

const kafkaEventRecord = z.object({
  topic: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  timestamp: z.number().int(),
  timestampType: z.string().optional(),
  key: z.string().nullish(),
  value: z.string().nullish(),
  headers: z.array(z.record(z.string(), z.array(z.number()))).optional(),
});

export const kafkaEvent = z.object({
  eventSource: z.string().optional(),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(kafkaEventRecord)),
});

export type KafkaEvent = z.infer<typeof kafkaEvent>;

export interface PartitionMessage {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The agent's send time (qmpipe-sent-at header), when the message has it. */
  sentAt?: number | undefined;
}
export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: PartitionMessage[];
}

export class LambdaEventError extends QmpipeError {
  constructor(message: string, cause?: unknown) {
    super('LAMBDA_EVENT_INVALID', message, { retriable: false, cause });
  }
}

export function parseKafkaEvent(input: unknown): PartitionBatch[] {
  const parsed = kafkaEvent.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LambdaEventError(`not a Kafka event: ${issue.path.join('.') || '(root)'}: ${issue.message}`, parsed.error);
  }
  const batches = new Map<string, PartitionBatch>();
  for (const recs of Object.values(parsed.data.records)) {
    for (const r of recs) {
      const id = `${r.topic}\u0000${r.partition}`;
      let b = batches.get(id);
      if (!b) batches.set(id, (b = { topic: r.topic, partition: r.partition, messages: [] }));
      b.messages.push({
        offset: r.offset,
        timestamp: r.timestamp,
        key: r.key == null ? null : Buffer.from(r.key, 'base64'),
        value: r.value == null ? null : Buffer.from(r.value, 'base64'),
        sentAt: parseSentAt(r.headers?.find((h) => Object.hasOwn(h, SENT_AT_HEADER))?.[SENT_AT_HEADER]),
      });
    }
  }
  for (const b of batches.values()) b.messages.sort((a, c) => a.offset - c.offset);
  return [...batches.values()].sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

/** Builds an event like Lambda would, from messages read off a real broker (tests, local invocation). */
export function toKafkaEvent(batches: PartitionBatch[], bootstrapServers = ''): KafkaEvent {
  const records: KafkaEvent['records'] = {};
  for (const b of batches) {
    records[`${b.topic}-${b.partition}`] = b.messages.map((m) => ({
      topic: b.topic,
      partition: b.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      timestampType: 'CREATE_TIME',
      key: m.key ? m.key.toString('base64') : null,
      value: m.value ? m.value.toString('base64') : null,
      headers: m.sentAt === undefined ? [] : [{ [SENT_AT_HEADER]: [...Buffer.from(sentAtValue(m.sentAt), 'latin1')] }],
    }));
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records };
}
