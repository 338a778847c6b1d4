/**
 * A VM's reconnect policy state, for its poller:
 *
 * - backoff: attempts since the last tick that produced a sample, not since the last
 *   connect: a VM that accepts the connection and then fails every tick backs off too,
 *   rather than being re-connected every initialRetryTime (common/src/retry.ts);
 * - a warning logged once per distinct failure, not per attempt;
 * - the QMP line limit: starts at `maxLineBytes`; a longer reply (a VM with hundreds of
 *   disks) doubles it, up to `maxLineBytesCeiling`, and the VM is re-connected at once.
 *   At the ceiling the VM cannot be sampled: a protocol error like any other.
 */
import { backoffDelay, type RetryPolicy } from '#common/retry.js';

export class Reconnects {
  attempt = 0;
  lineLimit: number;
  private lastCode = '';

  constructor(
    private readonly policy: RetryPolicy,
    private readonly maxLineBytes: number,
    private readonly maxLineBytesCeiling: number,
  ) {
    this.lineLimit = maxLineBytes;
  }

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

  /** Doubles the line limit up to the ceiling; false when it is there already. */
  raiseLineLimit(): boolean {
    const ceiling = Math.max(this.maxLineBytes, this.maxLineBytesCeiling);
    if (this.lineLimit >= ceiling) return false;
    this.lineLimit = Math.min(ceiling, this.lineLimit * 2);
    return true;
  }
}
