/**
 * Exactly-once output for one input partition: a read-process-write Kafka
 * transaction holding the partition's outputs (alerts, rates, dead letters), its
 * state checkpoint and its consumed offset.
 *
 * kafkajs gaps, and how they are handled here:
 * - No KIP-447 (consumer-group-aware fencing). So each input partition gets its own
 *   transactional id, `<prefix>-<topic>-<partition>`: whichever instance owns the
 *   partition now calls initTransactions with that id and fences the previous owner
 *   (its open transaction is aborted, its later commits fail with a fencing error).
 * - No initTransactions: `producer.connect()` asks for an idempotent producer id without
 *   the transactional id, and kafkajs sends InitProducerId with it only in the first
 *   `transaction()`. A new owner would read the checkpoint and the committed offset
 *   unfenced, and a previous owner still alive could commit a batch the new owner then
 *   publishes again. `createTransactionalProducer` begins and aborts an empty
 *   transaction (nothing is sent but InitProducerId), which fences at once.
 * - `sendOffsets` does not retry CONCURRENT_TRANSACTIONS (the coordinator is still
 *   completing the previous transaction's markers). It is retriable by Kafka's
 *   protocol, so we retry the same call with backoff (`retryConcurrent`).
 * - Any other failure aborts the transaction; the caller then restores the
 *   partition's state from its last committed checkpoint and re-reads from the
 *   committed offset, so nothing is half-applied.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { retry } from '#common/retry.js';

export interface PartitionTxnMessages {
  /** topic → messages (key/value already encoded). */
  outputs: Map<string, Message[]>;
  /** The partition's state, when a checkpoint is due with this transaction. */
  checkpoint: { topic: string; partition: number; key: string; value: Buffer } | null;
  offsets: { groupId: string; topic: string; partition: number; nextOffset: number };
}

export function transactionalId(prefix: string, topic: string, partition: number): string {
  return `${prefix}-${topic}-${partition}`;
}

export function isConcurrentTransactions(err: unknown): boolean {
  const e = err as { type?: unknown; cause?: { type?: unknown } } | null;
  return e?.type === 'CONCURRENT_TRANSACTIONS' || e?.cause?.type === 'CONCURRENT_TRANSACTIONS';
}

/** Producer fencing: another instance now owns this transactional id. */
export function isFenced(err: unknown): boolean {
  const t = (err as { type?: unknown } | null)?.type;
  return t === 'INVALID_PRODUCER_EPOCH' || t === 'PRODUCER_FENCED' || t === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';
}

const retryConcurrent = <T>(fn: () => Promise<T>) =>
  retry(() => fn(), {
    policy: { initialRetryTime: 50, multiplier: 2, factor: 0.2, maxRetryTime: 1_000, retries: 8 },
    shouldRetry: isConcurrentTransactions,
  });

/**
 * A connected transactional producer that has fenced every earlier producer of its id:
 * their open transaction is aborted (the coordinator finishes that before it answers),
 * their later commits fail.
 */
export async function createTransactionalProducer(kafka: Kafka, id: string, timeoutMs = 60_000): Promise<Producer> {
  const producer = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1, transactionTimeout: timeoutMs });
  await producer.connect();
  try {
    const txn = await retryConcurrent(() => producer.transaction()); // InitProducerId with the transactional id
    await txn.abort(); // nothing was added: kafkajs sends no EndTxn
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw err;
  }
  return producer;
}

/**
 * kafkajs puts every message of one send to one partition in one record batch, and the
 * broker refuses a batch over its max.message.bytes (1 MB by default): sends hold at most
 * this many value and key bytes (a single larger message goes alone).
 */
export const MAX_SEND_BYTES = 768 << 10;

/** Messages in order, in consecutive groups of at most `maxBytes` key and value bytes; never an empty group. */
export function sendGroups(messages: readonly Message[], maxBytes: number): Message[][] {
  const groups: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const msg of messages) {
    const size = byteLength(msg.key) + byteLength(msg.value);
    if (current.length > 0 && bytes + size > maxBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
    current.push(msg);
    bytes += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function byteLength(v: Message['key']): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Runs one transaction; aborts and rethrows on any failure. */
export async function commitPartitionTransaction(producer: Producer, m: PartitionTxnMessages): Promise<void> {
  const txn = await retryConcurrent(() => producer.transaction());
  try {
    for (const [topic, messages] of m.outputs) {
      for (const group of sendGroups(messages, MAX_SEND_BYTES)) await retryConcurrent(() => txn.send({ topic, messages: group }));
    }
    const c = m.checkpoint;
    if (c) await retryConcurrent(() => txn.send({ topic: c.topic, messages: [{ key: c.key, value: c.value, partition: c.partition }] }));
    const o = m.offsets;
    await retryConcurrent(() =>
      txn.sendOffsets({ consumerGroupId: o.groupId, topics: [{ topic: o.topic, partitions: [{ partition: o.partition, offset: String(o.nextOffset) }] }] }),
    );
    await retryConcurrent(() => txn.commit());
  } catch (err) {
    await txn.abort().catch(() => undefined);
    throw err;
  }
}
