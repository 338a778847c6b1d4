/**
 * What happens to a record Kafka will never take: it is written to the dead-letter
 * file (spool/deadLetter.ts), counted by reason on /metrics
 * (`qmpipe_agent_records_dead_lettered_total`), logged once per reason (then at every
 * power of ten), and its VM is told (`onDeadLetter`, an AgentNotice explaining the gap
 * in its seq). A record the file cannot keep (full, no spool dir, a failed write) is
 * also counted as dropped (`qmpipe_agent_spool_dropped_total{reason="dead-letter-not-kept"}`).
 */
import type { Logger } from '#common/log.js';
import type { DeadLetterFile } from '../spool/deadLetter.js';
import type { SpoolEntry } from '../spool/segment.js';
import type { AgentTelemetry } from '../telemetry.js';

export type OnDeadLetter = (key: string, reason: string) => void;

export class RejectedRecords {
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly file: DeadLetterFile,
    private readonly telemetry: AgentTelemetry,
    private readonly log: Logger,
    private readonly onDeadLetter?: OnDeadLetter,
  ) {}

  handle(e: SpoolEntry, reason: string, now = Date.now()): void {
    const outcome = this.file.write(e, reason, now);
    this.telemetry.deadLettered.inc({ reason });
    if (outcome !== 'kept') this.telemetry.spoolDropped.inc({ reason: 'dead-letter-not-kept' });
    const key = `${reason}/${outcome}`;
    const n = (this.logged.get(key) ?? 0) + 1;
    this.logged.set(key, n);
    if (n === 1 || Number.isInteger(Math.log10(n))) {
      this.log.warn('Kafka will never take this record; dead-lettered', {
        reason,
        vm: e.key,
        bytes: e.value.length,
        kept: outcome === 'kept' ? this.file.path : `no (${outcome}${this.file.lastError ? `: ${this.file.lastError}` : ''})`,
        times: n,
      });
    }
    this.onDeadLetter?.(e.key, reason);
  }
}
