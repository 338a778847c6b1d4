/**
 * The commands of one QMP connection: queued (not yet written), on the wire (by id), and
 * abandoned (timed out here while QEMU still runs them). Bookkeeping only, no I/O and no
 * timers: the client (client.ts) writes, reads and runs the one deadline timer.
 *
 * At most `maxInFlight` commands are on the wire. A command that timed out on the wire
 * keeps its slot until its late reply arrives, so QEMU is never sent more than that to
 * read. The timeout covers waiting in the queue as well as the round trip.
 */
import type { QmpError } from './errors.js';
import { InFlight } from './inFlight.js';

export interface Pending {
  id: string;
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: QmpError) => void;
  /** performance.now() deadline. */
  deadline: number;
  timeoutMs: number;
  sentAt: number;
}

export interface Queued {
  pending: Pending;
  line: string;
  msg: object;
}

const NONE: readonly Queued[] = [];

export class CommandQueue {
  /** Sent, awaiting a reply (an array registry, not a Map: see inFlight.ts). */
  private readonly onWire = new InFlight<Pending>();
  /** Ids that timed out locally: their slot stays taken until the reply (or EOF). */
  private readonly abandoned = new Set<string>();
  private readonly queued: Queued[] = [];

  /** Commands sent and not yet answered (abandoned ones included). */
  get inFlight(): number {
    return this.onWire.size + this.abandoned.size;
  }

  enqueue(q: Queued): void {
    this.queued.push(q);
  }

  /** Moves queued commands onto the wire, oldest first, while fewer than `maxInFlight` are on it. */
  takeSendable(maxInFlight: number, now: number): readonly Queued[] {
    if (this.queued.length === 0 || this.inFlight >= maxInFlight) return NONE;
    const out: Queued[] = [];
    while (this.queued.length > 0 && this.inFlight < maxInFlight) {
      const q = this.queued.shift()!;
      q.pending.sentAt = now;
      this.onWire.add(q.pending);
      out.push(q);
    }
    return out;
  }

  /** The command a reply with this id answers; `late` when it had timed out (its slot is now free); undefined for an unknown id. */
  settle(id: string): Pending | 'late' | undefined {
    const p = this.onWire.take(id);
    if (p) return p;
    return this.abandoned.delete(id) ? 'late' : undefined;
  }

  /** Removes the commands past their deadline at `now` (those on the wire become abandoned); `next`: the earliest deadline left (Infinity: none). */
  expire(now: number): { expired: Pending[]; next: number } {
    const expired: Pending[] = [];
    let next = Infinity;
    for (const p of this.onWire.snapshot()) {
      if (p.deadline > now) next = Math.min(next, p.deadline);
      else if (this.onWire.remove(p)) {
        this.abandoned.add(p.id);
        expired.push(p);
      }
    }
    for (let i = 0; i < this.queued.length; ) {
      const p = this.queued[i]!.pending;
      if (p.deadline > now) {
        next = Math.min(next, p.deadline);
        i++;
      } else {
        this.queued.splice(i, 1); // never sent
        expired.push(p);
      }
    }
    return { expired, next };
  }

  /** Empties it (the connection ended): every unanswered command, those on the wire first. */
  drain(): Pending[] {
    this.abandoned.clear();
    return [...this.onWire.drain(), ...this.queued.splice(0).map((q) => q.pending)];
  }
}
