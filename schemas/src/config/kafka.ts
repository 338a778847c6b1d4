/**
 * The one Kafka connection schema: brokers, client id, SASL, TLS (mutual TLS with a
 * client certificate), time-outs. Every app that talks to Kafka (agent, processor, Lambda
 * handler, `qmpipe alerts`, `qmpipe top --kafka`) spreads `kafkaConnectionShape` into its
 * own `kafka` section, so one environment binding (env.ts, KAFKA_ENV) fits them all and
 * the parsed value is what common/src/kafka.ts builds kafkajs clients from.
 */
import { z } from 'zod';
import type { KafkaConnection } from '#common/kafka.js';

const ms = z.number().int().positive();

export const KafkaSasl = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('scram-sha-512'),
    username: z.string().default(''),
    /** A secret: prefer its environment variable (QMPIPE_KAFKA_SASL_PASSWORD, QMPIPE_REMOTE_WRITE_PASSWORD) to the file. */
    password: z.string().default(''),
  })
  .strict();

/** Present: TLS to the server (Kafka brokers; also a remote-write receiver). Without caFile the system's CAs verify it (Amazon MSK). */
export const KafkaTls = z
  .object({
    /** PEM file of the CA that signed the server's certificate. */
    caFile: z.string().min(1).optional(),
    /** Mutual TLS: PEM file of this client's certificate (with keyFile). */
    certFile: z.string().min(1).optional(),
    /** Mutual TLS: PEM file of this client's unencrypted private key (with certFile). */
    keyFile: z.string().min(1).optional(),
    /** false: the server's certificate is not verified (tests only). */
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'mutual TLS needs both certFile and keyFile' });

export const KAFKA_BROKERS_MISSING = 'no Kafka brokers: set kafka.brokers, QMPIPE_KAFKA_BROKERS or --brokers host:port[,..]';

/** The connection fields of a `kafka` section, with the app's default client id. */
export function kafkaConnectionShape(defaultClientId: string) {
  return {
    brokers: z.array(z.string().regex(/^[^\s:,]+:\d+$/, 'host:port')).min(1, KAFKA_BROKERS_MISSING),
    clientId: z.string().min(1).default(defaultClientId),
    connectionTimeoutMs: ms.default(3_000),
    /** Per Kafka request (produce, fetch, metadata, …). */
    requestTimeoutMs: ms.default(30_000),
    tls: KafkaTls.optional(),
    sasl: KafkaSasl.optional(),
  };
}

/** A `kafka` section holding only the connection (alerts, top). */
export function kafkaConnectionSchema(defaultClientId: string) {
  return z.object(kafkaConnectionShape(defaultClientId)).strict();
}

export type KafkaConnectionConfig = z.infer<ReturnType<typeof kafkaConnectionSchema>>;

// The parsed section is what common/src/kafka.ts builds clients from (checked here, at compile time).
const _fits: (c: KafkaConnectionConfig) => KafkaConnection = (c) => c;
void _fits;
