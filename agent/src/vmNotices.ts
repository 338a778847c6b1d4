/**
 * AgentNotices that explain a gap in a VM's `seq`: its records dropped by a full spool
 * (`spool-dropped`) or refused by Kafka for good (`dead-lettered`). Counts are summed
 * per VM and kind and published at most once a second: a notice is a record too, and
 * one that is itself dropped or refused (a topic without a Write ACL refuses every
 * record) must not set off a notice per notice.
 */
export type GapKind = 'spool-dropped' | 'dead-lettered';

export interface NoticeTarget {
  /** Publishes the notice if this poller's VM is `uuid`; returns whether it did. */
  notice(uuid: string, kind: string, message: string, count: number): boolean;
}

export class GapNotices {
  private readonly pending = new Map<string, { uuid: string; kind: GapKind; count: number; reasons: Set<string> }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly targets: () => Iterable<NoticeTarget>,
    private readonly intervalMs = 1000,
  ) {}

  add(uuid: string, kind: GapKind, reason: string, count: number): void {
    const key = `${kind}\n${uuid}`;
    const p = this.pending.get(key) ?? { uuid, kind, count: 0, reasons: new Set<string>() };
    p.count += count;
    p.reasons.add(reason);
    this.pending.set(key, p);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Publishes what is pending (also on stop, before the pollers stop). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const p of due) {
      const why = [...p.reasons].join(', ');
      const message =
        p.kind === 'spool-dropped'
          ? `${p.count} records dropped by the agent's spool (${why})`
          : `${p.count} records Kafka will never take were dead-lettered (${why})`;
      for (const t of this.targets()) if (t.notice(p.uuid, p.kind, message, p.count)) break;
    }
  }
}
