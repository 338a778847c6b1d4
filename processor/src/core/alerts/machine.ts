/**
 * The alert state machine every rule shares. A rule observes a level each time its
 * input changes (none, warning, critical), applying its own hysteresis (it gets the
 * current level, so entering and leaving use different thresholds). The machine
 * de-duplicates: it emits `firing` when an alert starts or changes severity,
 * `resolved` (with endsAt) when it ends, and nothing while the level holds.
 * Times are the records' times. Ids are stable: a hash of the type and what the alert
 * is about (host, VM, device, image, block job), never where the image sits in its
 * chain, so a snapshot or pivot that moves an image keeps its alerts' ids.
 */
import { createHash } from 'node:crypto';
import type { NameTable } from '#common/names.js';
import type { AlertType } from '#schemas/config/processor.js';
import type { Alert, AlertLabels, Severity } from '#schemas/outputs.js';
import type { AlertRouting } from './routing.js';

export const NONE = 0;
export const WARNING = 1;
export const CRITICAL = 2;
export type Level = typeof NONE | typeof WARNING | typeof CRITICAL;

/** What a rule saw. `level` NONE resolves a firing alert. */
export interface Observation {
  level: Level;
  value: number;
  threshold: number;
  /** A thunk is only called when a transition is emitted (no strings on the hot path). */
  message: string | (() => string);
  eta?: number | null;
  pausedMs?: number | null;
}

/** A firing alert, as held in the VM's state (plain JSON). */
export interface AlertState {
  id: string;
  type: AlertType;
  labels: AlertLabels;
  level: Level;
  startsAt: number;
  value: number;
  /** Rule-specific memory (quiet intervals, event counts, pause start…). */
  memo: Record<string, number>;
}

/** Firing alerts by alertKey (it holds device, image and job names: a NameTable). */
export type AlertTable = NameTable<AlertState>;

/** What identifies an alert within its VM (its position in a chain and its node name do not). */
export type AlertIdentity = Pick<AlertLabels, 'device' | 'image' | 'blockJob'>;

/** The VM-local key of an alert (cheap; the stable id is only hashed when it fires). */
export function alertKey(type: AlertType, l: AlertIdentity): string {
  return `${type}|${l.device}|${l.image}|${l.blockJob}`;
}

/** Stable alert id: sha256 of the type, host, VM uuid, device, image and block job, 16 hex digits. */
export function alertId(type: AlertType, l: AlertLabels): string {
  const text = [type, l.host, l.vmUuid, l.device, l.image, l.blockJob].join('\u0000');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function severityOf(level: Level): Severity {
  return level === CRITICAL ? 'critical' : 'warning';
}

function toAlert(s: AlertState, state: 'firing' | 'resolved', obs: Observation, t: number, routing: AlertRouting): Alert {
  return {
    kind: 'alert',
    id: s.id,
    type: s.type,
    state,
    severity: severityOf(s.level),
    labels: s.labels,
    t,
    startsAt: s.startsAt,
    endsAt: state === 'resolved' ? t : null,
    value: obs.value,
    threshold: obs.threshold,
    message: typeof obs.message === 'function' ? obs.message() : obs.message,
    eta: obs.eta ?? null,
    pausedMs: obs.pausedMs ?? null,
    runbookUrl: routing.runbooks.get(s.type) ?? '',
    staticLabels: routing.labels,
  };
}

/** Where the alert is now (its chain position and node follow the image; the identity stays). */
function follow(cur: AlertState, labels: AlertLabels): void {
  if (cur.labels.backingIndex !== labels.backingIndex || cur.labels.node !== labels.node) cur.labels = labels;
}

/**
 * Applies an observation to the alert `key` of `table`, pushing a transition to `out` if
 * there is one; `labels` says where the alert's subject is now (its next transition carries it).
 */
export function observe(
  table: AlertTable,
  key: string,
  type: AlertType,
  labels: AlertLabels,
  obs: Observation,
  t: number,
  out: Alert[],
  routing: AlertRouting,
): AlertState | undefined {
  const cur = table[key];
  if (obs.level === NONE) {
    if (cur) {
      delete table[key];
      follow(cur, labels);
      out.push(toAlert(cur, 'resolved', obs, t, routing));
    }
    return undefined;
  }
  if (!cur) {
    const s: AlertState = { id: alertId(type, labels), type, labels, level: obs.level, startsAt: t, value: obs.value, memo: {} };
    table[key] = s;
    out.push(toAlert(s, 'firing', obs, t, routing));
    return s;
  }
  cur.value = obs.value;
  follow(cur, labels);
  if (cur.level !== obs.level) {
    cur.level = obs.level;
    out.push(toAlert(cur, 'firing', obs, t, routing));
  }
  return cur;
}

/** Resolves every alert of a table (eviction), with one message. */
export function resolveAll(table: AlertTable, message: string, t: number, out: Alert[], routing: AlertRouting): void {
  for (const key of Object.keys(table).sort()) {
    const s = table[key]!;
    observe(table, key, s.type, s.labels, { level: NONE, value: s.value, threshold: 0, message }, t, out, routing);
  }
}
