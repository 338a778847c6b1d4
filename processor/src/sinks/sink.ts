/**
 * A sink: where a partition's outputs go besides its commit (the Kafka transaction of
 * alerts, rates, dead letters and offsets; the Lambda's conditional checkpoint). The
 * partition shell (shell/partitionShell.ts) hands every sink each batch's outputs, and
 * each sink declares when it runs against the commit:
 *
 * - `beforeCommit`: `deliver` resolves once the outputs are durable, and the commit waits
 *   for it; a rejection (after the sink's own retries) commits nothing, and the partition
 *   goes back to its committed offset. It must be idempotent: a take-over replays the
 *   outputs since the last checkpoint and hands them over again (S3 Parquet rollups:
 *   deterministic keys, identical bytes).
 * - `inCommit`: `records` gives what the commit itself carries (the Kafka transaction:
 *   published with the alerts and the offsets, or not at all), encoded, no I/O. Only a
 *   transport with a transaction takes them: the factory builds one when the context
 *   offers one (`SinkContext.transaction`; the Lambda's does not). A silent replay skips
 *   them: the previous owner's transaction carried them (rollup windows to the rollups
 *   topic, which the rollup writer puts in S3: no output waits for S3).
 * - `afterCommit`: runs once the commit succeeded, and for outputs a previous owner
 *   committed (`replayed`): at least once. It queues and returns; it never holds the
 *   partition up on the network and counts what it drops itself (remote write).
 *
 * `flush` sends what the sink holds (the Lambda, before its container is frozen); `stop`
 * ends it (the processor's shutdown). Both bounded by the sink's own settings.
 */
import type { Message } from 'kafkajs';
import type { Logger } from '#common/log.js';
import type { Registry } from '#common/metrics.js';
import type { SinksConfig } from '#schemas/config/sinks.js';
import type { PartitionOutputs, PartitionState } from '../partition/partitionStep.js';
import type { ObjectStore } from './s3Store.js';

export type SinkPhase = 'beforeCommit' | 'afterCommit';

export interface SinkBatch {
  /** The input partition. */
  readonly partition: number;
  readonly outputs: PartitionOutputs;
  /** The partition's state after the batch (what is firing now, the core's counters). */
  readonly state: PartitionState;
  /** Outputs a previous owner already committed (a silent replay after a take-over). */
  readonly replayed: boolean;
}

interface SinkCommon {
  /** Its name in logs and in `processor_sink_failures_total{sink}`. */
  readonly name: string;
  /** The core's optional outputs it reads (the core computes them only when some sink does). */
  readonly reads?: { readonly rates?: boolean; readonly points?: boolean };
  flush?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface DeliverySink extends SinkCommon {
  readonly phase: SinkPhase;
  deliver(batch: SinkBatch): Promise<void>;
}

/** Records one commit carries: topic and encoded messages. */
export interface CommitRecords {
  topic: string;
  messages: Message[];
}

export interface InCommitSink extends SinkCommon {
  readonly phase: 'inCommit';
  records(batch: SinkBatch): CommitRecords[];
}

export type Sink = DeliverySink | InCommitSink;

/** What a sink's factory is built from: the sinks' settings (schemas/src/config/sinks.ts) and the S3 section. */
export type SinkConfig = SinksConfig & { s3: { prefix: string } };

/** What a transport with a transaction (the Kafka runtime) offers in-commit sinks. */
export interface TransactionSettings {
  rollupsTopic: string;
  maxRowsPerRecord: number;
  maxRecordBytes: number;
}

export interface SinkContext {
  /** The bucket of rollup objects (the Lambda keeps its checkpoints there too). */
  store: ObjectStore;
  /** Present when the commit is a Kafka transaction: rollup windows then go into it. */
  transaction?: TransactionSettings;
  /** Where a sink registers its metrics (the Lambda has none). */
  registry?: Registry;
  log: Logger;
}

/** A sink from config, or null when the config turns it off. */
export type SinkFactory = (cfg: SinkConfig, ctx: SinkContext) => Sink | null;
