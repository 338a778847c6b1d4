/**
 * AWS Lambda entry point (`dist/processor/src/lambda/handler.handler`, see
 * infra/deploy/serverless/template.yaml). Configuration comes from the environment:
 *
 *   QMPIPE_S3_BUCKET (required), QMPIPE_S3_ENDPOINT, QMPIPE_S3_FORCE_PATH_STYLE=true,
 *   QMPIPE_ROLLUP_PREFIX [rollups], QMPIPE_CHECKPOINT_PREFIX [checkpoints],
 *   QMPIPE_DEADLETTER_PREFIX [deadletters], QMPIPE_KAFKA_BROKERS (required),
 *   QMPIPE_ALERTS_TOPIC [qmpipe.alerts], QMPIPE_SCHEMA_TOPIC [qmpipe.schemas],
 *   QMPIPE_CORE_CONFIG (JSON of the core config, optional), AWS_REGION.
 *
 * Clients are created once per container (cold start) and reused.
 */
import kafkajs from 'kafkajs';
import { parseConfig } from '#common/config.js';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { createLogger } from '#common/log.js';
import { ProcessorConfig } from '#schemas/config/processor.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '../core/step.js';
import { loadWriterSchemas } from '../runtime/main.js';
import { alertMessages } from '#schemas/codecs/outputs.js';
import { createRollupWriter } from '../sinks/rollupWriter.js';
import { createS3Client, S3ObjectStore } from '../sinks/s3Store.js';
import { invoke, type AlertPublisher, type InvokeDeps, type PartitionResult } from './invoke.js';

const log = createLogger({ app: 'qmpipe-lambda' });
let ready: Promise<InvokeDeps> | undefined;

export async function handler(event: unknown): Promise<{ partitions: PartitionResult[] }> {
  ready ??= depsFromEnv(process.env);
  const partitions = await invoke(event, await ready);
  log.info('invocation done', { partitions: partitions.map((p) => ({ p: p.partition, n: p.processed, alerts: p.alerts, objects: p.objects.length })) });
  return { partitions };
}

/** A Kafka producer publishing alerts (idempotent, acks=all, key = alert id). */
export function kafkaAlertPublisher(producer: kafkajs.Producer, topic: string): AlertPublisher {
  return { async publish(alerts) { await producer.send({ topic, acks: -1, messages: alertMessages(alerts) }); } };
}

export async function depsFromEnv(env: NodeJS.ProcessEnv): Promise<InvokeDeps> {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`qmpipe lambda: environment variable ${k} is required`);
    return v;
  };
  const kafka = new kafkajs.Kafka(kafkaClientConfig({ clientId: 'qmpipe-lambda', brokers: need('QMPIPE_KAFKA_BROKERS').split(','), connectionTimeoutMs: 3_000, requestTimeoutMs: 30_000 }, kafkaLogCreator(log)));
  await loadWriterSchemas(kafka, env.QMPIPE_SCHEMA_TOPIC ?? 'qmpipe.schemas', log);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bucket = need('QMPIPE_S3_BUCKET');
  const s3 = createS3Client({ bucket, region: env.AWS_REGION ?? 'us-east-1', endpoint: env.QMPIPE_S3_ENDPOINT, forcePathStyle: env.QMPIPE_S3_FORCE_PATH_STYLE === 'true' });
  const store = new S3ObjectStore(s3, bucket);
  const coreConfig = parseConfig(ProcessorConfig, env.QMPIPE_CORE_CONFIG ? JSON.parse(env.QMPIPE_CORE_CONFIG) : {}, 'QMPIPE_CORE_CONFIG');
  return {
    env: { core: createCore(coreConfig), decode: decodeRaw, allowedLatenessMs: Number(env.QMPIPE_ALLOWED_LATENESS_MS ?? 10_000) },
    store,
    rollups: createRollupWriter(store, env.QMPIPE_ROLLUP_PREFIX ?? 'rollups'),
    alerts: kafkaAlertPublisher(producer, env.QMPIPE_ALERTS_TOPIC ?? 'qmpipe.alerts'),
    checkpointPrefix: env.QMPIPE_CHECKPOINT_PREFIX ?? 'checkpoints',
    deadLetterPrefix: env.QMPIPE_DEADLETTER_PREFIX ?? 'deadletters',
  };
}
