/**
 * Config files, read once at startup: file → JSON → (caller's env overrides) → zod.
 * Every failure is a ConfigError naming the file or the zod path of the first issue.
 * No network here (style §4).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './errors.js';

export function readJsonFile(file: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read ${label} ${file}`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ConfigError(`${label} ${file} is not JSON`, { cause });
  }
}

export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, label: string): z.infer<S> {
  const res = schema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(root)';
    throw new ConfigError(`${label}: ${path}: ${issue.message}`, { context: { path, issues: res.error.issues.length } });
  }
  return res.data;
}

/**
 * Kafka overrides shared by the agent and the processor, applied to the raw
 * `kafka` object of a config before validation:
 *   QMPIPE_KAFKA_BROKERS (comma-separated), QMPIPE_KAFKA_SASL_USERNAME, QMPIPE_KAFKA_SASL_PASSWORD
 */
export function applyKafkaEnv(kafka: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  if (env.QMPIPE_KAFKA_BROKERS) kafka.brokers = env.QMPIPE_KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.QMPIPE_KAFKA_SASL_USERNAME !== undefined || env.QMPIPE_KAFKA_SASL_PASSWORD !== undefined) {
    const sasl = (kafka.sasl ??= { mechanism: 'scram-sha-512' }) as Record<string, unknown>;
    if (env.QMPIPE_KAFKA_SASL_USERNAME !== undefined) sasl.username = env.QMPIPE_KAFKA_SASL_USERNAME;
    if (env.QMPIPE_KAFKA_SASL_PASSWORD !== undefined) sasl.password = env.QMPIPE_KAFKA_SASL_PASSWORD;
  }
}
