/**
 * Kafka connection settings (the one schema: schemas/src/config/kafka.ts) → kafkajs
 * client options. TLS files are read here, once, at startup. The guards for kafkajs 2.2.4
 * are not installed here but by each command at its start (kafkajsGuards.ts).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { logLevel, type KafkaConfig as KafkaJsConfig, type logCreator, type SASLOptions } from 'kafkajs';
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

export function kafkaClientConfig(cfg: KafkaConnection, logCreator?: KafkaJsConfig['logCreator']): KafkaJsConfig {
  const out: KafkaJsConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: cfg.connectionTimeoutMs,
    requestTimeout: cfg.requestTimeoutMs,
    retry: { initialRetryTime: 300, retries: 5, maxRetryTime: 5_000, factor: 0.2, multiplier: 2 },
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
 * kafkajs messages that are expected and handled by our code, logged at debug:
 * - CONCURRENT_TRANSACTIONS: retried (kafkajs itself, or our transaction retry);
 * - the idempotent-retries warning: a transaction that fails is aborted and the
 *   partition rolls back to its checkpoint, so bounded retries cannot break exactly-once;
 * - the v2 partitioner notice: producers use the default (murmur2) partitioner on purpose.
 */
const EXPECTED = [/another concurrent operation on the same transaction/, /Limiting retries for the idempotent producer/, /switched default partitioner/];

/** Routes kafkajs's own logs into our structured logger (warn and error only; expected ones at debug). */
export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, ...fields } = entry as { message: string } & Record<string, unknown>;
      delete fields.timestamp;
      delete fields.logger;
      const f = { kafkajs: namespace, ...fields };
      const text = `${message} ${String(fields.error ?? '')}`;
      if (EXPECTED.some((re) => re.test(text))) log.debug(message, f);
      else if (level === logLevel.ERROR) log.error(message, f);
      else if (level === logLevel.WARN) log.warn(message, f);
    };
}
