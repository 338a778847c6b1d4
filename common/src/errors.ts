/**
 * The base of every typed error in qmpipe. Each boundary (QMP, Kafka, S3, config,
 * Avro) defines a small hierarchy on top of it. Errors carry a stable `code`, say
 * whether retrying can help, and keep their `cause`. Never throw strings.
 */
export interface QmpipeErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  context?: Record<string, unknown>;
}

export class QmpipeError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: string, message: string, opts: QmpipeErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }
}

/** Whether an error says that trying again may succeed. Never throws. */
export function isRetriable(err: unknown): boolean {
  return err instanceof QmpipeError ? err.retriable : false;
}

/** A message for logs, including the cause chain, for any thrown value. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause === undefined) return err.message;
  const inner = describeError(cause);
  // Wrappers that repeat their cause's message (kafkajs' retries-exceeded error does) say it once.
  return err.message.includes(inner) ? err.message : inner.startsWith(err.message) ? inner : `${err.message}: ${inner}`;
}

/** Raised when a config file or value does not validate. `path` is the zod path. */
export class ConfigError extends QmpipeError {
  constructor(message: string, opts: QmpipeErrorOptions = {}) {
    super('CONFIG_INVALID', message, opts);
  }
}
