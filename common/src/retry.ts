/**
 * One retry policy: capped exponential backoff with jitter (kafkajs-like defaults).
 * It retries only errors that say they are retriable, and the callback may `bail`.
 * Defaults are injected, never switched on NODE_ENV.
 */
import { isRetriable } from './errors.js';

export interface RetryPolicy {
  initialRetryTime: number;
  multiplier: number;
  factor: number;
  maxRetryTime: number;
  retries: number;
}

export const defaultRetryPolicy = {
  initialRetryTime: 300,
  multiplier: 2,
  factor: 0.2,
  maxRetryTime: 30_000,
  retries: 5,
} satisfies RetryPolicy;

/** The delay before attempt `attempt` (0-based), with jitter from `random` in [0,1). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxRetryTime, policy.initialRetryTime * policy.multiplier ** attempt);
  const jitter = base * policy.factor * (random() * 2 - 1);
  return Math.max(0, Math.min(policy.maxRetryTime, Math.round(base + jitter)));
}

export interface RetryOptions {
  policy?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  shouldRetry?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retry<T>(fn: (bail: (err: unknown) => never, attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const policy = opts.policy ?? defaultRetryPolicy;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const shouldRetry = opts.shouldRetry ?? isRetriable;
  let bailed: { err: unknown } | undefined;
  const bail = (err: unknown): never => {
    bailed = { err };
    throw err;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(bail, attempt);
    } catch (err) {
      if (bailed) throw bailed.err;
      if (attempt >= policy.retries || !shouldRetry(err)) throw err;
      const delay = backoffDelay(policy, attempt, opts.random);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay);
    }
  }
}
