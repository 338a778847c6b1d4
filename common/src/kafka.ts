/**
 * Kafka connection settings (the one schema: schemas/src/config/kafka.ts) → kafkajs
 * client options. TLS files are read here, once, at startup. The guards for kafkajs 2.2.4
 * are not installed here but by each command at its start (kafkajsGuards.ts).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { logLevel, type KafkaConfig as KafkaJsConfig, type logCreator, type SASLOptions } from 'kafkajs';
import { kafkaLogLevel } from './kafkaLogLevels.js';
import type { Logger } from './log.js';

/** What a client needs to connect (the parsed `kafka` section of any app's config). */
export interface KafkaConnection {
  clientId: string;
  brokers: string[];
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined; rejectUnauthorized: boolean } | undefined;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | undefined;
}

/** Every client's retry policy (consumers and producers inherit it); its `retries` tells kafkaLogCreator which attempt is the last. */
export const KAFKA_RETRY = { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000, factor: 0.2, multiplier: 2 } as const;

export function kafkaClientConfig(cfg: KafkaConnection, logCreator?: KafkaJsConfig['logCreator']): KafkaJsConfig {
  const out: KafkaJsConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: cfg.connectionTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    retry: KAFKA_RETRY,
    logLevel: logLevel.WARN,
  };
  if (logCreator) out.logCreator = logCreator;
  if (cfg.tls) out.ssl = tlsOptions(cfg.tls);
  if (cfg.sasl) out.sasl = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password: cfg.sasl.password } as SASLOptions;
  return out;
}

function tlsOptions(t: NonNullable<KafkaConnection['tls']>): ConnectionOptions {
  const o: ConnectionOptions = { rejectUnauthorized: t.rejectUnauthorized };
  if (t.caFile) o.ca = [readFileSync(t.caFile, 'utf8')];
  if (t.certFile) o.cert = readFileSync(t.certFile, 'utf8');
  if (t.keyFile) o.key = readFileSync(t.keyFile, 'utf8');
  return o;
}

/**
 * Routes kafkajs's own logs into our structured logger, each at the level that means
 * something to an operator (kafkaLogLevels.ts: error only for what needs acting on).
 */
export function kafkaLogCreator(log: Logger): logCreator {
  return () => (entry) => {
    const level = kafkaLogLevel(entry, KAFKA_RETRY.retries);
    if (level === null) return;
    const { message, ...fields } = entry.log as { message: string } & Record<string, unknown>;
    delete fields.timestamp;
    delete fields.logger;
    log[level](message, { kafkajs: entry.namespace, ...fields });
  };
}
