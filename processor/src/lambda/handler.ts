/**
 * AWS Lambda entry point (`dist/processor/src/lambda/handler.handler`, see
 * infra/deploy/serverless/template.yaml). Configuration comes from the environment
 * through the same loader and schema family as the long-running processor
 * (schemas/src/config/lambda.ts; the variables are listed in schemas/CONFIG.md),
 * so Kafka TLS and SASL are set the same way.
 *
 * Clients are created once per container (cold start) and reused. The sinks are the
 * long-running processor's, built by the same factory from the same settings
 * (sinks/sinks.ts); none of its Kafka start-up (runtime/) is imported here.
 */
import kafkajs from 'kafkajs';
import { kafkaClientConfig, kafkaLogCreator } from '#common/kafka.js';
import { describeError } from '#common/errors.js';
import { installKafkajsGuards } from '#common/kafkajsGuards.js';
import { createLogger } from '#common/log.js';
import { loadLambdaConfig } from '#schemas/config/lambda.js';
import { decodeRaw } from '#schemas/codecs/raw.js';
import { createCore } from '../core/step.js';
import { loadWriterSchemas } from '../input/writerSchemas.js';
import { alertMessages } from '#schemas/codecs/outputs.js';
import { createS3Client, S3ObjectStore } from '../sinks/s3Store.js';
import { buildSinks, coreOutputsFor } from '../sinks/sinks.js';
import { invoke, type AlertPublisher, type InvokeDeps, type PartitionResult } from './invoke.js';

installKafkajsGuards(); // the Lambda entry point: before any kafkajs client
const log = createLogger({ app: 'qmpipe-lambda' });

/**
 * A handler whose dependencies are made once per container by `init`. A failed init (a
 * Kafka hiccup at cold start) fails that invocation only: the next one tries again,
 * rather than every invocation of the warm container failing on the cached rejection.
 */
export function createHandler(init: () => Promise<InvokeDeps>): (event: unknown) => Promise<{ partitions: PartitionResult[] }> {
  let ready: Promise<InvokeDeps> | undefined;
  return async (event) => {
    ready ??= init().catch((err: unknown) => {
      ready = undefined;
      log.error('handler init failed; the next invocation tries again', { error: describeError(err) });
      throw err;
    });
    const partitions = await invoke(event, await ready);
    log.info('invocation done', { partitions: partitions.map((p) => ({ p: p.partition, n: p.processed, alerts: p.alerts, windows: p.windows })) });
    return { partitions };
  };
}

export const handler = createHandler(() => depsFromEnv(process.env));

/** A Kafka producer publishing alerts (idempotent, acks=all, key = alert id). */
export function kafkaAlertPublisher(producer: kafkajs.Producer, topic: string): AlertPublisher {
  return {
    async publish(alerts) {
      await producer.send({ topic, acks: -1, messages: alertMessages(alerts) });
    },
  };
}

export async function depsFromEnv(env: NodeJS.ProcessEnv): Promise<InvokeDeps> {
  const cfg = loadLambdaConfig(env);
  const kafka = new kafkajs.Kafka(kafkaClientConfig(cfg.kafka, kafkaLogCreator(log)));
  const { schemas } = await loadWriterSchemas(kafka, cfg.kafka, log);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const store = new S3ObjectStore(createS3Client(cfg.s3), cfg.s3.bucket);
  const sinks = buildSinks(cfg, { store, log });
  const core = createCore(cfg.core, coreOutputsFor(sinks));
  return {
    env: { core, decode: decodeRaw, allowedLatenessMs: cfg.rollups.allowedLatenessMs, maxRecordBytes: cfg.input.maxRecordBytes },
    schemas,
    store,
    sinks,
    alerts: kafkaAlertPublisher(producer, cfg.kafka.alertsTopic),
    checkpointPrefix: cfg.checkpointPrefix,
    deadLetterPrefix: cfg.deadLetterPrefix,
    log,
  };
}
