/**
 * A per-VM cap on QMP events, pure: `admit(state, name, now) → { state, admit }`.
 *
 * A guest retrying a failing write with werror=report makes QEMU emit BLOCK_IO_ERROR
 * as fast as it can; every event is a record, and one VM must not push the other VMs'
 * records out of the spool. Events take tokens from a bucket of `perSecond` that fills
 * at `perSecond` a second. The first event of each name in a second passes even with
 * the bucket empty (a STOP, a job's end, must not drown in a flood of another kind;
 * QEMU has few event names). What is refused is counted by name, for the summary
 * notice the poller publishes (at most one a tick).
 */
export interface EventBudget {
  readonly tokens: number;
  /** Epoch ms of the last refill. */
  readonly at: number;
  /** The second (epoch s) `seen` is about, and the names admitted in it. */
  readonly second: number;
  readonly seen: ReadonlySet<string>;
  /** Refused since the last `takeSuppressed`, by event name. */
  readonly suppressed: ReadonlyMap<string, number>;
}

export function initialEventBudget(perSecond: number, now: number): EventBudget {
  return { tokens: perSecond, at: now, second: Math.floor(now / 1000), seen: new Set(), suppressed: new Map() };
}

export function admitEvent(s: EventBudget, name: string, now: number, perSecond: number): { state: EventBudget; admit: boolean } {
  const tokens = Math.min(perSecond, s.tokens + (Math.max(0, now - s.at) * perSecond) / 1000);
  const second = Math.floor(now / 1000);
  const seen = second === s.second ? s.seen : new Set<string>();
  const first = !seen.has(name);
  if (tokens >= 1 || first) {
    const nextSeen = first ? new Set(seen).add(name) : seen;
    return { state: { ...s, tokens: Math.max(0, tokens - 1), at: now, second, seen: nextSeen }, admit: true };
  }
  const suppressed = new Map(s.suppressed).set(name, (s.suppressed.get(name) ?? 0) + 1);
  return { state: { ...s, tokens, at: now, second, seen, suppressed }, admit: false };
}

/** What was refused since the last call (count, and a line naming the kinds), and the state without it. */
export function takeSuppressed(s: EventBudget): { state: EventBudget; count: number; summary: string } {
  let count = 0;
  const parts: string[] = [];
  for (const [name, n] of [...s.suppressed].sort((a, b) => b[1] - a[1])) {
    count += n;
    if (parts.length < 5) parts.push(`${name} ×${n}`);
  }
  if (s.suppressed.size > parts.length) parts.push('…');
  return { state: count === 0 ? s : { ...s, suppressed: new Map() }, count, summary: parts.join(', ') };
}

/** The budget of one VM, held for the poller: `admit` per event, `notice` per tick. */
export class EventGate {
  private state: EventBudget;

  constructor(
    private readonly perSecond: number,
    now: number,
    private readonly onSuppressed: () => void,
  ) {
    this.state = initialEventBudget(perSecond, now);
  }

  admit(name: string, now: number): boolean {
    const r = admitEvent(this.state, name, now, this.perSecond);
    this.state = r.state;
    if (!r.admit) this.onSuppressed();
    return r.admit;
  }

  /** The `events-suppressed` notice for what was refused since the last one, if anything was. */
  notice(): { kind: 'events-suppressed'; message: string; count: number } | undefined {
    const r = takeSuppressed(this.state);
    if (r.count === 0) return undefined;
    this.state = r.state;
    return {
      kind: 'events-suppressed',
      message: `${r.count} QMP events over qmp.maxEventsPerSecond (${this.perSecond}) not published: ${r.summary}`,
      count: r.count,
    };
  }
}
