/**
 * QMP messages a connection read and did not deliver, reported the way an operator can
 * see them: each one counted (the caller's counter, `qmpipe_agent_qmp_messages_dropped_total{vm,reason}`
 * in the agent), and one warning line per interval at most, however many arrive.
 *
 *   too-deep       nested deeper than qmp.maxJsonDepth (depth.ts): never parsed
 *   handler-error  delivering it threw (an event handler, the recorder): the read path goes on
 *
 * One report per VM outlives its connections, so a VM that reconnects does not log more.
 */
import type { Logger } from '#common/log.js';

export type QmpDropReason = 'too-deep' | 'handler-error';

export interface QmpDrop {
  reason: QmpDropReason;
  /** What was dropped: `event NAME`, `reply q7`, `message`. */
  what: string;
  error?: string;
}

/** At most one warning line per VM this often. */
export const DROP_LOG_INTERVAL_MS = 60_000;

export class DropReport {
  private unlogged = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly log: Logger,
    private readonly count: (reason: QmpDropReason) => void = () => {},
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = DROP_LOG_INTERVAL_MS,
  ) {}

  note(drop: QmpDrop): void {
    this.count(drop.reason);
    this.unlogged++;
    const t = this.now();
    if (t - this.loggedAt < this.intervalMs) return;
    this.log.warn('QMP message dropped (one line a minute at most; every drop is counted)', { ...drop, droppedSinceLastLine: this.unlogged });
    this.loggedAt = t;
    this.unlogged = 0;
  }
}
