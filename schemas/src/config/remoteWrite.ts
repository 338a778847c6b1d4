/**
 * The processor's Prometheus remote-write sink (processor/src/sinks/remoteWrite), the
 * same section in the long-running processor's config and the Lambda handler's.
 * Secrets (basic-auth password, bearer token) come from the environment (env.ts).
 */
import { z } from 'zod';
import { KafkaTls } from './kafka.js';

const ms = z.number().int().positive();

export const RemoteWriteConfig = z
  .object({
    /**
     * Receiver URL (protocol 1.0: protobuf + snappy), e.g. Prometheus started with
     * --web.enable-remote-write-receiver: http://host:9090/api/v1/write; Mimir, Thanos
     * Receive and VictoriaMetrics take the same requests. `off` writes nothing.
     */
    url: z.union([z.literal('off'), z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL, or off' })]).default('off'),
    /** HTTP basic auth (password from QMPIPE_REMOTE_WRITE_PASSWORD); not together with bearerToken. */
    basicAuth: z
      .object({
        username: z.string().min(1),
        /** A secret: prefer its environment variable (QMPIPE_KAFKA_SASL_PASSWORD, QMPIPE_REMOTE_WRITE_PASSWORD) to the file. */
        password: z.string(),
      })
      .strict()
      .optional(),
    /** Authorization: Bearer token (QMPIPE_REMOTE_WRITE_BEARER_TOKEN). */
    bearerToken: z.string().min(1).optional(),
    /** For https URLs: a private CA, a client certificate (PEM files). */
    tls: KafkaTls.optional(),
    /** Most samples per request. */
    batchSize: z.number().int().min(1).default(2_000),
    /**
     * Samples held while the receiver is slow or down; past it the oldest are dropped and
     * counted (processor_remote_write_samples_total{result="dropped"}). About 100 B each.
     */
    maxQueueSamples: z.number().int().min(1).default(500_000),
    /** Per-request timeout. */
    timeoutMs: ms.default(10_000),
    /** Backoff between attempts of a failing request (common/src/retry.ts); attempts are not limited. */
    retry: z
      .object({
        initialRetryTime: ms.default(300),
        maxRetryTime: ms.default(30_000),
      })
      .strict()
      .prefault({}),
    /** Extra labels on every series, e.g. {"cluster": "eu-1"}. */
    labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name'), z.string()).default({}),
    /** On shutdown, how long queued samples may still be sent. */
    stopTimeoutMs: ms.default(5_000),
  })
  .strict()
  .refine((c) => !(c.basicAuth && c.bearerToken), { message: 'basicAuth and bearerToken: give one, not both', path: ['bearerToken'] });

export type RemoteWriteConfig = z.infer<typeof RemoteWriteConfig>;
