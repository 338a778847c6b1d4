/**
 * Reads the processor runtime config once: file → JSON → environment overrides →
 * zod (`ProcessorRuntimeConfig`).
 *
 * Environment overrides (secrets stay out of files):
 *   QMPIPE_KAFKA_BROKERS           comma-separated host:port list
 *   QMPIPE_KAFKA_SASL_USERNAME / QMPIPE_KAFKA_SASL_PASSWORD
 *   QMPIPE_S3_ENDPOINT, QMPIPE_S3_BUCKET
 *   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the SDK's own chain when unset in the file)
 */
import { applyKafkaEnv, parseConfig, readJsonFile } from '#common/config.js';
import { ProcessorRuntimeConfig } from '#schemas/config/processorRuntime.js';

export function parseProcessorRuntimeConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): ProcessorRuntimeConfig {
  return parseConfig(ProcessorRuntimeConfig, applyEnv(raw, env), 'processor config');
}

export function loadProcessorRuntimeConfig(file: string, env: NodeJS.ProcessEnv = process.env): ProcessorRuntimeConfig {
  return parseProcessorRuntimeConfig(readJsonFile(file, 'processor config'), env);
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const cfg = structuredClone(raw) as Record<string, Record<string, unknown> | undefined>;
  applyKafkaEnv((cfg.kafka ??= {}), env);
  const s3 = (cfg.s3 ??= {});
  if (env.QMPIPE_S3_ENDPOINT) s3.endpoint = env.QMPIPE_S3_ENDPOINT;
  if (env.QMPIPE_S3_BUCKET) s3.bucket = env.QMPIPE_S3_BUCKET;
  return cfg;
}
