/**
 * The partition shell: what both transports, the Kafka runtime (runtime/kafka/runtime.ts)
 * and the Lambda (lambda/invoke.ts), do with one batch of one input partition:
 *
 *   1. `processBatch`, the pure partition step (it updates the partition's state in place);
 *   2. every `beforeCommit` sink, in list order, each awaited (S3 Parquet rollups: the
 *      offsets must never pass objects that are not durable);
 *   3. the transport's commit (Kafka: one transaction of alerts, rates, dead letters, the
 *      `inCommit` sinks' records (rollup windows), offsets and, when due, the checkpoint;
 *      Lambda: dead-letter objects, then the conditional checkpoint holding the alerts as
 *      its outbox);
 *   4. every `afterCommit` sink (remote write: queued, never waited on the network).
 *
 * A batch whose messages were all below the state's nextOffset (a redelivery) goes
 * nowhere. A silent replay (no commit: a previous owner committed these outputs) hands
 * them to every delivering sink again, marked `replayed` (in-commit records were in the
 * previous owner's commit). Failures come back as the outcome, for
 * the transport to roll back its own way (Kafka: pause or release the partition, which
 * restarts from its checkpoint; Lambda: fail the invocation, which Lambda retries).
 */
import { describeError } from '#common/errors.js';
import type { Logger } from '#common/log.js';
import { processBatch, type InputMessage, type PartitionEnv, type PartitionOutputs, type PartitionState } from '../partition/partitionStep.js';
import type { CommitRecords, Sink, SinkBatch } from '../sinks/sink.js';

export interface ShellDeps {
  env: PartitionEnv;
  sinks: readonly Sink[];
  log: Logger;
  /** Every failed delivery, before or after the commit (the Kafka runtime counts them). */
  onSinkFailure?: (sink: Sink, error: unknown) => void;
}

/** Makes the batch's outputs, the in-commit sinks' records and the state's nextOffset durable together; rejects when it could not. */
export type Commit = (outputs: PartitionOutputs, records: readonly CommitRecords[]) => Promise<void>;

export type BatchOutcome =
  /** Every message was below nextOffset: nothing delivered, nothing committed. */
  | { result: 'nothing'; outputs: PartitionOutputs }
  /** Committed (or, replaying, delivered again) and handed to every sink. */
  | { result: 'done'; outputs: PartitionOutputs }
  /** A before-commit sink failed, or an in-commit one could not give its records: nothing was committed. */
  | { result: 'sinkFailed'; outputs: PartitionOutputs; sink: string; error: unknown }
  | { result: 'commitFailed'; outputs: PartitionOutputs; error: unknown };

/** One batch of one partition through the step, the sinks and the commit (`commit` null: a silent replay). */
export async function runPartitionBatch(
  state: PartitionState,
  messages: readonly InputMessage[],
  deps: ShellDeps,
  commit: Commit | null,
): Promise<BatchOutcome> {
  const { outputs } = processBatch(state, messages, deps.env);
  if (outputs.skipped === messages.length) return { result: 'nothing', outputs };
  const batch: SinkBatch = { partition: state.partition, outputs, state, replayed: commit === null };
  for (const sink of deps.sinks) {
    if (sink.phase !== 'beforeCommit') continue;
    try {
      await sink.deliver(batch);
    } catch (error) {
      deps.onSinkFailure?.(sink, error);
      return { result: 'sinkFailed', outputs, sink: sink.name, error };
    }
  }
  if (commit) {
    const records: CommitRecords[] = [];
    for (const sink of deps.sinks) {
      if (sink.phase !== 'inCommit') continue;
      try {
        records.push(...sink.records(batch));
      } catch (error) {
        deps.onSinkFailure?.(sink, error);
        return { result: 'sinkFailed', outputs, sink: sink.name, error };
      }
    }
    try {
      await commit(outputs, records);
    } catch (error) {
      return { result: 'commitFailed', outputs, error };
    }
  }
  for (const sink of deps.sinks) {
    if (sink.phase !== 'afterCommit') continue;
    try {
      await sink.deliver(batch);
    } catch (error) {
      // The batch is committed: this sink lost it (counted), the others still get it.
      deps.onSinkFailure?.(sink, error);
      deps.log.warn('an after-commit sink failed; the batch stays committed and this sink misses it', {
        sink: sink.name,
        partition: state.partition,
        error: describeError(error),
      });
    }
  }
  return { result: 'done', outputs };
}
