/**
 * Composition root of the long-running processor: config → Kafka topics and writer
 * schemas → S3 → sinks → core → consumer-group runtime → /metrics. Returns a handle whose
 * `stop()` finishes the batch in progress (its transaction commits), stops the sinks and
 * disconnects.
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
import { processorTelemetry } from './telemetry.js';

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
  const { schemas, count } = await loadWriterSchemas(kafka, cfg.kafka, log, () => telemetry.malformedSchemas.inc());
  const s3 = createS3Client(cfg.s3);
  if (cfg.s3.createBucket === 'on')
    await s3.send(new CreateBucketCommand({ Bucket: cfg.s3.bucket })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
    });
  const r = cfg.s3Retry;
  const store = new S3ObjectStore(s3, cfg.s3.bucket, {
    policy: { initialRetryTime: r.initialRetryTime, maxRetryTime: r.maxRetryTime, retries: r.retries, multiplier: 2, factor: 0.2 },
  });
  const sinks = buildSinks(cfg, { store, registry: telemetry.registry, log });
  const reads = coreOutputsFor(sinks);
  const core = createCore(cfg.core, { emitRates: cfg.kafka.ratesTopic !== 'off' || reads.emitRates, emitPoints: reads.emitPoints });
  const progress = new GroupProgress();
  const runtime = new ProcessorRuntime(cfg, {
    kafka,
    log,
    telemetry,
    progress,
    env: { core, decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs, maxRecordBytes: cfg.input.maxRecordBytes },
    schemas,
    sinks,
  });
  const limits = { sessionTimeoutMs: cfg.kafka.sessionTimeoutMs, stallMs: cfg.metrics.healthStallSeconds * 1000 };
  const health = () => processorHealth(progress, Date.now(), limits);
  const metrics = cfg.metrics.listen === 'off' ? null : await serveMetrics(telemetry.registry, ...hostPort(cfg.metrics.listen), health);
  await runtime.start();
  log.info('processor started', { rawTopic: cfg.kafka.rawTopic, partitions, writerSchemas: count, group: cfg.kafka.groupId, metrics: metrics?.port ?? null });
  return {
    metricsPort: metrics?.port ?? null,
    async stop() {
      await runtime.stop();
      await stopSinks(sinks);
      await metrics?.close();
      s3.destroy();
      log.info('processor stopped');
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
