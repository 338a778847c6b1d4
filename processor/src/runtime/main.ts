/**
 * Composition root of the long-running processor: config → Kafka topics and writer
 * schemas → S3 → core → consumer-group runtime → /metrics. Returns a handle whose
 * `stop()` finishes the batch in progress (its transaction commits) and disconnects.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import kafkajs from 'kafkajs';
import type { Logger } from '#common/log.js';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { serveMetrics } from '#common/metrics.js';
import type { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';
import { decodeRaw, rawCodec } from '#schemas/codecs/raw.js';
import { createCore } from '../core/step.js';
import { createS3Client, S3ObjectStore } from '../sinks/s3Store.js';
import { ProcessorRuntime } from './kafka/runtime.js';
import { schemaTopicReader, WriterSchemas } from './kafka/writerSchemas.js';
import { ensureProcessorTopics } from './kafka/topics.js';
import { createRollupWriter } from '../sinks/rollupWriter.js';
import { processorTelemetry } from './telemetry.js';
import { remoteWriteSinkFrom } from '../sinks/remoteWrite/fromConfig.js';

export interface RunningProcessor {
  stop(): Promise<void>;
  metricsPort: number | null;
}

/** The agents' writer schemas (registered with the raw codec), read now and again when a record needs one. */
export async function loadWriterSchemas(
  kafka: kafkajs.Kafka,
  k: { schemaTopic: string; schemaWaitMs: number; schemaRetryAfterMs: number },
  log: Logger,
  onMalformed?: () => void,
): Promise<{ schemas: WriterSchemas; count: number }> {
  const schemas = new WriterSchemas(
    rawCodec(),
    schemaTopicReader(kafka, k.schemaTopic),
    log,
    { waitMs: k.schemaWaitMs, retryAfterMs: k.schemaRetryAfterMs },
    onMalformed,
  );
  const count = await schemas.load();
  if (count === 0) log.warn("no writer schema in the schema topic yet; only this build's own is known", { topic: k.schemaTopic });
  return { schemas, count };
}

export async function startProcessor(cfg: ProcessorRuntimeConfig, log: Logger): Promise<RunningProcessor> {
  const kafka = new kafkajs.Kafka(kafkaClientConfig(cfg.kafka, kafkaLogCreator(log)));
  const partitions = await withAdmin(kafka, (a) => ensureProcessorTopics(a, cfg.kafka));
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
  const remoteWrite = remoteWriteSinkFrom(cfg.remoteWrite, { registry: telemetry.registry, log: log.child({ component: 'remote-write' }) });
  const core = createCore(cfg.core, { emitRates: cfg.kafka.ratesTopic !== 'off' || remoteWrite !== null, emitPoints: remoteWrite !== null });
  const runtime = new ProcessorRuntime(cfg, {
    kafka,
    log,
    telemetry,
    env: { core, decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs, maxRecordBytes: cfg.input.maxRecordBytes },
    schemas,
    rollups: createRollupWriter(store, cfg.s3.prefix),
    remoteWrite,
  });
  const metrics = cfg.metrics.listen === 'off' ? null : await serveMetrics(telemetry.registry, ...hostPort(cfg.metrics.listen));
  await runtime.start();
  log.info('processor started', { rawTopic: cfg.kafka.rawTopic, partitions, writerSchemas: count, group: cfg.kafka.groupId, metrics: metrics?.port ?? null });
  return {
    metricsPort: metrics?.port ?? null,
    async stop() {
      await runtime.stop();
      await remoteWrite?.stop(cfg.remoteWrite.stopTimeoutMs);
      await metrics?.close();
      s3.destroy();
      log.info('processor stopped');
    },
  };
}

async function withAdmin<T>(kafka: kafkajs.Kafka, fn: (a: kafkajs.Admin) => Promise<T>): Promise<T> {
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
