/**
 * Reads the agent config once at startup: file → JSON → environment overrides for
 * secrets → zod (`AgentConfig`, strict, defaults in the schema). Fails fast with a
 * `ConfigError` naming the zod path. No network here.
 *
 * Environment overrides (secrets stay out of files):
 *   QMPIPE_KAFKA_BROKERS         comma-separated host:port list
 *   QMPIPE_KAFKA_SASL_USERNAME   kafka.sasl.username
 *   QMPIPE_KAFKA_SASL_PASSWORD   kafka.sasl.password
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '#common/errors.js';
import { AgentConfig } from '#schemas/config/agent.js';

export type { AgentConfig } from '#schemas/config/agent.js';

export function parseAgentConfig(raw: unknown, env: NodeJS.ProcessEnv = {}): AgentConfig {
  const withEnv = applyEnv(raw, env);
  const res = AgentConfig.safeParse(withEnv);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(root)';
    throw new ConfigError(`agent config: ${path}: ${issue.message}`, { context: { path, issues: res.error.issues.length } });
  }
  return res.data;
}

export function loadAgentConfig(file: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read agent config ${file}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`agent config ${file} is not JSON`, { cause });
  }
  return parseAgentConfig(raw, env);
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const cfg = structuredClone(raw) as Record<string, Record<string, unknown> | undefined>;
  const kafka = (cfg.kafka ??= {});
  if (env.QMPIPE_KAFKA_BROKERS) kafka.brokers = env.QMPIPE_KAFKA_BROKERS.split(',').map((s) => s.trim()).filter(Boolean);
  if (env.QMPIPE_KAFKA_SASL_USERNAME !== undefined || env.QMPIPE_KAFKA_SASL_PASSWORD !== undefined) {
    const sasl = (kafka.sasl ??= { mechanism: 'scram-sha-512' }) as Record<string, unknown>;
    if (env.QMPIPE_KAFKA_SASL_USERNAME !== undefined) sasl.username = env.QMPIPE_KAFKA_SASL_USERNAME;
    if (env.QMPIPE_KAFKA_SASL_PASSWORD !== undefined) sasl.password = env.QMPIPE_KAFKA_SASL_PASSWORD;
  }
  return cfg;
}
