/**
 * The serverless processor: one invocation of AWS Lambda's Kafka event source. For
 * each topic-partition in the event, in offset order:
 *
 *   1. load the partition's checkpoint from S3 (with its ETag);
 *   2. publish the previous invocation's unconfirmed alerts (its outbox), if any;
 *   3. run the batch through the partition shell the long-running processor uses
 *      (shell/partitionShell.ts: the pure step, skipping messages below the checkpoint's
 *      nextOffset since Lambda delivers at least once, then the before-commit sinks:
 *      rollup windows to S3 at deterministic keys, rewrites are harmless);
 *   4. commit: write the dead letters (one object per poison message), then save the
 *      checkpoint with a conditional write (If-Match the loaded ETag, or
 *      If-None-Match * for the first one), holding this batch's alerts as its outbox,
 *      so two invocations racing on one partition cannot both win; the shell then hands
 *      the outputs to the after-commit sinks (remote write);
 *   5. publish the alerts, then clear the outbox with another conditional write.
 *
 * Before returning, the sinks are flushed: Lambda freezes the container afterwards.
 *
 * Alerts are therefore delivered at least once and, short of a crash between 6's two
 * steps, exactly once; a repeat is the same transition with the same id, state and
 * time, which consumers can drop.
 */
import type { Alert } from '#schemas/outputs.js';
import { describeError } from '#common/errors.js';
import { silentLogger, type Logger } from '#common/log.js';
import { decodeCheckpoint, encodeCheckpoint, isUnusableCheckpoint } from '../partition/partitionCheckpoint.js';
import { initialPartitionState, type PartitionEnv, type PartitionOutputs, type PartitionState } from '../partition/partitionStep.js';
import { runPartitionBatch } from '../shell/partitionShell.js';
import type { Sink } from '../sinks/sink.js';
import { flushSinks } from '../sinks/sinks.js';
import { outputCodecs } from '#schemas/codecs/outputs.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { parseKafkaEvent, type PartitionBatch } from './event.js';
import type { WriterSchemas } from '../input/writerSchemas.js';

export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<void>;
}

export interface InvokeDeps {
  env: PartitionEnv;
  /** Writer schemas: re-read when a batch holds a record of an unknown one (an upgraded agent). */
  schemas?: Pick<WriterSchemas, 'ensureKnown'>;
  /** Checkpoints and dead letters. */
  store: ObjectStore;
  /** Where outputs go besides the checkpoint and the alerts topic (sinks/sinks.ts); flushed before the invocation returns. */
  sinks: readonly Sink[];
  alerts: AlertPublisher;
  checkpointPrefix: string;
  deadLetterPrefix: string;
  log?: Logger;
}

export interface PartitionResult {
  topic: string;
  partition: number;
  processed: number;
  skipped: number;
  alerts: number;
  /** Rollup windows the batch completed. */
  windows: number;
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
  await flushSinks(deps.sinks);
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
  const commit = async (outputs: PartitionOutputs): Promise<void> => {
    for (const d of outputs.deadLetters) {
      await deps.store.put(
        deadLetterObjectKey(deps.deadLetterPrefix, d.topic, d.partition, d.offset),
        outputCodecs().deadLetter.encode(d),
        'application/octet-stream',
      );
    }
    state.outbox = outputs.alerts;
    etag = await deps.store.putIfMatch(key, encodeCheckpoint(state), etag);
  };
  const outcome = await runPartitionBatch(state, batch.messages, { env: deps.env, sinks: deps.sinks, log: deps.log ?? silentLogger }, commit);
  if (outcome.result === 'sinkFailed' || outcome.result === 'commitFailed') throw outcome.error; // Lambda retries the event
  const { outputs } = outcome;
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
    windows: outputs.windows.length,
    deadLetters: outputs.deadLetters.length,
    nextOffset: state.nextOffset,
  };
}
