/**
 * Composition root of the long-running processor: config → Kafka topics → S3 → by role,
 * the stream (writer schemas → sinks → core → consumer-group runtime over the raw topic)
 * and the rollup writer (rollups topic → S3) → /metrics and /healthz. Returns a handle
 * whose `stop()` finishes the batch in progress (its transaction commits), stops the
 * sinks, then the writer (it commits what is stored), and disconnects.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import kafkajs from 'kafkajs';
import type { Logger } from '#common/log.js';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { serveMetrics } from '#common/metrics.js';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '../core/step.js';
import { createS3Client, S3ObjectStore } from '../sinks/s3Store.js';
import { ProcessorRuntime } from './kafka/runtime.js';
import { loadWriterSchemas } from '../input/writerSchemas.js';
import { ensureProcessorTopics, partitionCount } from './kafka/topics.js';
import { buildSinks, coreOutputsFor, stopSinks } from '../sinks/sinks.js';
import { GroupProgress, processorHealth } from './health.js';
import { processorTelemetry, type ProcessorTelemetry } from './telemetry.js';
import { rollupWriterFromConfig } from '../rollupWriter/fromConfig.js';
import type { RollupWriter } from '../rollupWriter/writer.js';

export interface RunningProcessor {
  stop(): Promise<void>;
  metricsPort: number | null;
}

export async function startProcessor(cfg: ProcessorRuntimeConfig, log: Logger): Promise<RunningProcessor> {
  const kafka = new kafkajs.Kafka(kafkaClientConfig(cfg.kafka, kafkaLogCreator(log)));
  const partitions = await withAdmin(kafka, (a) =>
    cfg.kafka.createTopics === 'on' ? ensureProcessorTopics(a, cfg.kafka) : partitionCount(a, cfg.kafka.rawTopic),
  );
  const telemetry = processorTelemetry();
  const s3 = createS3Client(cfg.s3);
  const r = cfg.s3Retry;
  const store = new S3ObjectStore(s3, cfg.s3.bucket, {
    policy: { initialRetryTime: r.initialRetryTime, maxRetryTime: r.maxRetryTime, retries: r.retries, multiplier: 2, factor: 0.2 },
  });
  const progress = new GroupProgress();
  const stream = cfg.role === 'rollup-writer' ? null : await startStream(cfg, { kafka, store, telemetry, progress, log });
  let writer: RollupWriter | null = null;
  if (cfg.role !== 'stream') {
    if (cfg.s3.createBucket === 'on')
      await s3.send(new CreateBucketCommand({ Bucket: cfg.s3.bucket })).catch((e: { name?: string }) => {
        if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
      });
    writer = rollupWriterFromConfig(cfg, { kafka, store, registry: telemetry.registry, log: log.child({ component: 'rollup-writer' }) });
    await writer.start();
  }
  // /healthz follows the stream's consumer group; a writer alone reports healthy.
  const limits = { sessionTimeoutMs: cfg.kafka.sessionTimeoutMs, stallMs: cfg.metrics.healthStallSeconds * 1000 };
  const health = stream ? () => processorHealth(progress, Date.now(), limits) : undefined;
  const metrics = cfg.metrics.listen === 'off' ? null : await serveMetrics(telemetry.registry, ...hostPort(cfg.metrics.listen), health);
  await stream?.start();
  log.info('processor started', {
    role: cfg.role,
    rawTopic: cfg.kafka.rawTopic,
    rollupsTopic: cfg.kafka.rollupsTopic,
    partitions,
    group: cfg.kafka.groupId,
    metrics: metrics?.port ?? null,
  });
  return {
    metricsPort: metrics?.port ?? null,
    async stop() {
      await stream?.stop();
      await writer?.stop();
      await metrics?.close();
      s3.destroy();
      log.info('processor stopped');
    },
  };
}

/** The consumer of the raw topic (writer schemas, sinks, core, transactions), built; `start` joins its group. */
async function startStream(
  cfg: ProcessorRuntimeConfig,
  deps: { kafka: kafkajs.Kafka; store: S3ObjectStore; telemetry: ProcessorTelemetry; progress: GroupProgress; log: Logger },
): Promise<{ start(): Promise<void>; stop(): Promise<void> }> {
  const { kafka, store, telemetry, progress, log } = deps;
  const { schemas, count } = await loadWriterSchemas(kafka, cfg.kafka, log, () => telemetry.malformedSchemas.inc());
  const transaction = { rollupsTopic: cfg.kafka.rollupsTopic, maxRowsPerRecord: cfg.rollups.maxRowsPerRecord, maxRecordBytes: cfg.rollups.maxRecordBytes };
  const sinks = buildSinks(cfg, { store, transaction, registry: telemetry.registry, log });
  const reads = coreOutputsFor(sinks);
  const core = createCore(cfg.core, { emitRates: cfg.kafka.ratesTopic !== 'off' || reads.emitRates, emitPoints: reads.emitPoints });
  const runtime = new ProcessorRuntime(cfg, {
    kafka,
    log,
    telemetry,
    progress,
    env: { core, decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs, maxRecordBytes: cfg.input.maxRecordBytes },
    schemas,
    sinks,
  });
  return {
    async start() {
      await runtime.start();
      log.info('stream processor started', { writerSchemas: count });
    },
    async stop() {
      await runtime.stop();
      await stopSinks(sinks);
    },
  };
}

export async function withAdmin<T>(kafka: kafkajs.Kafka, fn: (a: kafkajs.Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

function hostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i), Number(listen.slice(i + 1))];
}
