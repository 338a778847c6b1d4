/**
 * Options of `qmpipe alerts tail|forward`, validated once at start-up (strict zod,
 * defaults here) by the common config loader: the environment's Kafka connection and log
 * level (schemas/src/config/env.ts: QMPIPE_KAFKA_*, QMPIPE_LOG_LEVEL; the one Kafka
 * connection schema, schemas/src/config/kafka.ts), then the flags, which win. Every
 * failure is a ConfigError naming the option. No network here.
 */
import { z } from 'zod';
import { loadConfig } from '#common/config.js';
import { ConfigError } from '#common/errors.js';
import { KAFKA_CLIENT_ENV } from '#schemas/config/env.js';
import { kafkaConnectionSchema } from '#schemas/config/kafka.js';
import { LogConfig } from '#schemas/config/log.js';

const ms = z.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });

const Common = {
  log: LogConfig.prefault({}),
  topic: z.string().min(1).default('qmpipe.alerts'),
};

export const TailOptions = z
  .object({
    kafka: kafkaConnectionSchema('qmpipe-alerts-tail'),
    ...Common,
    /** `until-end`: print what the topic holds at start and exit; `follow`: keep printing. */
    mode: z.enum(['until-end', 'follow']).default('until-end'),
    /** Where to start: the oldest transition the topic holds, or only new ones. */
    from: z.enum(['beginning', 'now']).default('beginning'),
    format: z.enum(['human', 'json']).default('human'),
  })
  .strict();
export type TailOptions = z.infer<typeof TailOptions>;

export const ForwardOptions = z
  .object({
    kafka: kafkaConnectionSchema('qmpipe-alerts-forward'),
    ...Common,
    /** Alertmanager base URL, e.g. http://127.0.0.1:9093 (alerts go to <url>/api/v2/alerts). */
    alertmanager: httpUrl,
    /** How often firing alerts are posted again; each post keeps them firing for 4× this. */
    resendIntervalMs: ms.default(60_000),
    /** After the start-up catch-up, resolved transitions older than this are not posted again. */
    resolvedHorizonMs: ms.default(3_600_000),
    /** Most alerts per POST. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
    /** Per-request timeout. */
    requestTimeoutMs: ms.default(10_000),
    /** After a post failed (retries exhausted), the next attempt comes this much later. */
    retryAfterMs: ms.default(5_000),
    /** Optional link put in each alert's generatorURL (with ?alert=<id>). */
    generatorUrl: httpUrl.optional(),
  })
  .strict();
export type ForwardOptions = z.infer<typeof ForwardOptions>;

/** `250ms`, `30s`, `5m`, `1h`, or plain milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`--${option}: '${text}' is not a duration (e.g. 500ms, 30s, 5m, 1h)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** Flags (as dotted setting paths, e.g. `kafka.brokers`) over the environment, validated. */
export function parseTailOptions(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = {}): TailOptions {
  return loadConfig(TailOptions, 'tail options', KAFKA_CLIENT_ENV, { raw: { kafka: { brokers: [] } }, env, overrides: flags });
}

export function parseForwardOptions(flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv = {}): ForwardOptions {
  return loadConfig(ForwardOptions, 'forward options', KAFKA_CLIENT_ENV, { raw: { kafka: { brokers: [] } }, env, overrides: flags });
}

/** How long a posted firing alert stays firing in Alertmanager (Prometheus uses 4× its resend delay). */
export function validForMs(o: Pick<ForwardOptions, 'resendIntervalMs'>): number {
  return 4 * o.resendIntervalMs;
}
