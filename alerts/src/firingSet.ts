/**
 * What `qmpipe alerts forward` knows: the alerts firing now and the transitions not yet
 * posted to Alertmanager. Pure, no clock, no I/O; the functions update the state in place.
 *
 * The alerts topic holds every transition (firing, severity change, resolved), keyed by
 * alert id, so each id's transitions arrive in order. Reading it from the beginning
 * rebuilds the firing set exactly; the forwarder does that on every start.
 *
 * Alertmanager identifies an alert by its labels, and severity is a label: when an
 * alert changes severity, the old-severity Alertmanager alert is resolved (at the time
 * of the change) and the new one fires, keeping the original startsAt. Likewise when an
 * alert's labels change under the same id (a processor upgrade that changed its label
 * set, or new static labels): the identity it fired under is the one resolved.
 *
 * The outbox holds one transition per Alertmanager identity, the latest: while
 * Alertmanager is down, or while the forwarder catches up on the topic, it never grows
 * past the number of distinct identities, and only the final state of each is posted.
 */
import type { AlertRecord } from '#schemas/codecs/outputs.js';
import { alertLabels, labelsKey } from './alertmanager.js';

export interface ForwardState {
  /** The latest firing transition of each firing alert, by alert id. */
  readonly firing: Map<string, AlertRecord>;
  /** Transitions to post, by Alertmanager identity (labelsKey); the latest wins. */
  readonly outbox: Map<string, AlertRecord>;
}

export function initialForwardState(): ForwardState {
  return { firing: new Map(), outbox: new Map() };
}

export function identityOf(a: AlertRecord): string {
  return labelsKey(alertLabels(a));
}

function queue(s: ForwardState, a: AlertRecord): void {
  const key = identityOf(a);
  s.outbox.delete(key); // re-insert: the outbox stays in transition order
  s.outbox.set(key, a);
}

/**
 * `prev` (a firing transition) resolved at `t`, with the resolving transition's details if
 * given, under the identity it fired under (its severity and labels).
 */
function resolvedAs(prev: AlertRecord, t: number, by?: AlertRecord): AlertRecord {
  const base = by ? { ...by, severity: prev.severity, labels: prev.labels, staticLabels: prev.staticLabels } : prev;
  return { ...base, state: 'resolved', t, startsAt: prev.startsAt, endsAt: by?.endsAt ?? t };
}

/** Applies one transition read from the topic; ids must arrive in topic (partition) order. */
export function applyTransition(s: ForwardState, a: AlertRecord): void {
  const prev = s.firing.get(a.id);
  if (a.state === 'firing') {
    if (prev && identityOf(prev) !== identityOf(a)) {
      const why = prev.severity !== a.severity ? `severity changed to ${a.severity}` : 'labels changed';
      queue(s, { ...resolvedAs(prev, a.t), message: `${why}: ${a.message}` });
    }
    s.firing.set(a.id, a);
    queue(s, a);
    return;
  }
  s.firing.delete(a.id);
  // Resolve the identity the alert fired under (the resolved record carries the same
  // severity in practice; if not, the firing one is what Alertmanager holds).
  queue(s, prev && identityOf(prev) !== identityOf(a) ? resolvedAs(prev, a.endsAt ?? a.t, a) : a);
}

/** Queues every firing alert again (the periodic re-send), unless its identity is already queued. */
export function queueResend(s: ForwardState): number {
  let n = 0;
  for (const a of s.firing.values()) {
    const key = identityOf(a);
    if (!s.outbox.has(key)) {
      s.outbox.set(key, a);
      n++;
    }
  }
  return n;
}

/**
 * Takes the transitions to post now and empties the outbox. Resolved transitions that
 * ended before `resolvedSince` (epoch ms) are dropped: used after a start-up catch-up,
 * so the whole history of resolved alerts is not posted again.
 */
export function drainOutbox(s: ForwardState, resolvedSince = -Infinity): AlertRecord[] {
  const out: AlertRecord[] = [];
  for (const a of s.outbox.values()) {
    if (a.state === 'resolved' && (a.endsAt ?? a.t) < resolvedSince) continue;
    out.push(a);
  }
  s.outbox.clear();
  return out;
}

/**
 * Puts back transitions whose post failed, unless a newer transition of the same
 * identity was queued meanwhile (it supersedes them). Keeps them ahead of newer entries.
 */
export function requeue(s: ForwardState, failed: readonly AlertRecord[]): void {
  const newer = [...s.outbox.entries()];
  s.outbox.clear();
  for (const a of failed) s.outbox.set(identityOf(a), a);
  for (const [key, a] of newer) {
    s.outbox.delete(key);
    s.outbox.set(key, a);
  }
}
