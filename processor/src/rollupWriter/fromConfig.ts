/**
 * The rollup writer of a processor config: its consumer group over the rollups topic, the
 * processor's object store (each put tried `s3Retry.retries` more times with backoff), and
 * `s3Retry.pauseMs` between those attempt series, for as long as S3 is down.
 */
import type { Kafka } from 'kafkajs';
import type { Logger } from '#common/log.js';
import type { Registry } from '#common/metrics.js';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import type { ObjectStore } from '../sinks/s3Store.js';
import { rollupWriterTelemetry } from './telemetry.js';
import { RollupWriter } from './writer.js';

export function rollupWriterFromConfig(
  cfg: ProcessorRuntimeConfig,
  deps: { kafka: Kafka; store: Pick<ObjectStore, 'put' | 'list'>; registry: Registry; log: Logger },
): RollupWriter {
  const w = cfg.rollupWriter;
  return new RollupWriter(
    {
      topic: cfg.kafka.rollupsTopic,
      groupId: w.groupId,
      prefix: cfg.s3.prefix,
      commitIntervalMs: w.commitIntervalMs,
      logIntervalMs: w.logIntervalMs,
      partitionsConcurrently: w.partitionsConcurrently,
      sessionTimeoutMs: cfg.kafka.sessionTimeoutMs,
      retry: { initialRetryTime: cfg.s3Retry.pauseMs, maxRetryTime: cfg.s3Retry.pauseMs },
      maxObjectRows: w.maxObjectRows,
      maxObjectBytes: w.maxObjectBytes,
      maxBufferedBytes: w.maxBufferedBytes,
      flushIdleMs: w.flushIdleMs,
    },
    { kafka: deps.kafka, store: deps.store, telemetry: rollupWriterTelemetry(deps.registry), log: deps.log },
  );
}
