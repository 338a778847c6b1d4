/**
 * The serverless processor: one invocation of AWS Lambda's Kafka event source. For
 * each topic-partition in the event, in offset order:
 *
 *   1. load the partition's checkpoint from S3 (with its ETag);
 *   2. publish the previous invocation's unconfirmed alerts (its outbox), if any;
 *   3. run the same pure partition step as the long-running processor (messages
 *      below the checkpoint's nextOffset are skipped: Lambda delivers at least once);
 *   4. write completed rollup windows and dead letters (deterministic keys, one
 *      object per window or poison message: rewrites are harmless);
 *   5. save the checkpoint with a conditional write (If-Match the loaded ETag, or
 *      If-None-Match * for the first one), holding this batch's alerts as its outbox,
 *      so two invocations racing on one partition cannot both win;
 *   6. publish the alerts, then clear the outbox with another conditional write.
 *
 * Alerts are therefore delivered at least once and, short of a crash between 6's two
 * steps, exactly once; a repeat is the same transition with the same id, state and
 * time, which consumers can drop.
 */
import type { Alert } from '#schemas/outputs.js';
import { describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { decodeCheckpoint, encodeCheckpoint, isUnusableCheckpoint } from '../partition/partitionCheckpoint.js';
import { initialPartitionState, processBatch, type PartitionEnv, type PartitionState } from '../partition/partitionStep.js';
import type { RollupWriter } from '../sinks/rollupWriter.js';
import type { RemoteWriteSink } from '../sinks/remoteWrite/sink.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { parseKafkaEvent, type PartitionBatch } from './event.js';
import type { WriterSchemas } from '../runtime/kafka/writerSchemas.js';

export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<void>;
}

export interface InvokeDeps {
  env: PartitionEnv;
  /** Writer schemas: re-read when a batch holds a record of an unknown one (an upgraded agent). */
  schemas?: Pick<WriterSchemas, 'ensureKnown'>;
  store: ObjectStore;
  rollups: RollupWriter;
  alerts: AlertPublisher;
  checkpointPrefix: string;
  deadLetterPrefix: string;
  log?: Logger;
  /** Gets each partition's outputs once its checkpoint is written; flushed before the invocation returns. */
  remoteWrite?: { sink: RemoteWriteSink; flushTimeoutMs: number } | null;
}

export interface PartitionResult {
  topic: string;
  partition: number;
  processed: number;
  skipped: number;
  alerts: number;
  objects: string[];
  deadLetters: number;
  nextOffset: number;
}

/** The checkpoint of a Lambda-processed partition carries the alerts not yet confirmed published. */
type LambdaState = PartitionState & { outbox?: Alert[] };

export function deadLetterObjectKey(prefix: string, topic: string, partition: number, offset: number): string {
  return `${prefix.replace(/\/+$/, '')}/${topic}/${partition}/${offset}.avro`;
}

export function checkpointObjectKey(prefix: string, topic: string, partition: number): string {
  return `${prefix.replace(/\/+$/, '')}/${topic}/${partition}.ckpt`;
}

/**
 * The checkpoint's state, or null when this release cannot use it (written by a newer
 * one, or damaged): the partition then goes on from the event's first offset with an
 * empty state, and the checkpoint is replaced (conditionally, as always).
 */
function usableCheckpoint(body: Buffer, batch: PartitionBatch, deps: InvokeDeps): LambdaState | null {
  try {
    return decodeCheckpoint(body, { topic: batch.topic, partition: batch.partition });
  } catch (err) {
    if (!isUnusableCheckpoint(err)) throw err;
    deps.log?.error('checkpoint unusable by this release (written by a newer one, or damaged): the partition goes on from this event with an empty state', {
      topic: batch.topic,
      partition: batch.partition,
      error: describeError(err),
    });
    return null;
  }
}

export async function invoke(event: unknown, deps: InvokeDeps): Promise<PartitionResult[]> {
  const results: PartitionResult[] = [];
  for (const batch of parseKafkaEvent(event)) results.push(await invokePartition(batch, deps));
  // Lambda freezes the container once the handler returns: send now (what stays queued goes with the next invocation).
  if (deps.remoteWrite) await deps.remoteWrite.sink.flush(deps.remoteWrite.flushTimeoutMs);
  return results;
}

async function invokePartition(batch: PartitionBatch, deps: InvokeDeps): Promise<PartitionResult> {
  const key = checkpointObjectKey(deps.checkpointPrefix, batch.topic, batch.partition);
  const loaded = await deps.store.get(key);
  let etag = loaded?.etag ?? null;
  const state: LambdaState =
    (loaded && usableCheckpoint(loaded.body, batch, deps)) || initialPartitionState(batch.topic, batch.partition, batch.messages[0]?.offset ?? 0);
  if (state.outbox && state.outbox.length > 0) {
    await deps.alerts.publish(state.outbox);
    state.outbox = [];
    etag = await deps.store.putIfMatch(key, encodeCheckpoint(state), etag);
  }
  await deps.schemas?.ensureKnown(batch.messages.map((m) => m.value));
  const { outputs } = processBatch(state, batch.messages, deps.env);
  const objects = await deps.rollups.write(batch.partition, outputs.windows);
  for (const d of outputs.deadLetters) {
    await deps.store.put(
      deadLetterObjectKey(deps.deadLetterPrefix, d.topic, d.partition, d.offset),
      outputCodecs().deadLetter.encode(d),
      'application/octet-stream',
    );
  }
  state.outbox = outputs.alerts;
  etag = await deps.store.putIfMatch(key, encodeCheckpoint(state), etag);
  deps.remoteWrite?.sink.offer(outputs, state.core);
  if (outputs.alerts.length > 0) {
    await deps.alerts.publish(outputs.alerts);
    state.outbox = [];
    await deps.store.putIfMatch(key, encodeCheckpoint(state), etag);
  }
  return {
    topic: batch.topic,
    partition: batch.partition,
    processed: batch.messages.length - outputs.skipped,
    skipped: outputs.skipped,
    alerts: outputs.alerts.length,
    objects,
    deadLetters: outputs.deadLetters.length,
    nextOffset: state.nextOffset,
  };
}
