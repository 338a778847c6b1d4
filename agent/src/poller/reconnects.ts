/**
 * A VM's reconnect policy state, for its poll loop:
 *
 * - backoff: attempts since the last tick that produced a sample, not since the last
 *   connect: a VM that accepts the connection and then fails every tick backs off too,
 *   rather than being re-connected every initialRetryTime (common/src/retry.ts);
 * - a warning logged once per distinct failure, not per attempt.
 */
import { backoffDelay, type RetryPolicy } from '#common/retry.js';

export class Reconnects {
  attempt = 0;
  private lastCode = '';

  constructor(private readonly policy: RetryPolicy) {}

  /** A tick produced a sample: the next failure starts the backoff over. */
  succeeded(): void {
    this.attempt = 0;
    this.lastCode = '';
  }

  /** Whether this failure differs from the last one (then it is worth a log line). */
  isNew(code: string): boolean {
    const fresh = code !== this.lastCode;
    this.lastCode = code;
    return fresh;
  }

  /** The delay before the next attempt (and one attempt more). */
  nextDelay(): number {
    return backoffDelay(this.policy, Math.min(this.attempt++, 30));
  }
}
