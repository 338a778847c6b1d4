/**
 * Alert transition → Alertmanager's postable alert (API v2, `POST /api/v2/alerts`,
 * body: a JSON array of these). Pure.
 *
 * Alertmanager semantics this mapping relies on (prometheus/alertmanager api/v2/api.go):
 * - An alert's identity is its label set (the fingerprint); annotations are not part of
 *   it. So the severity label makes warning and critical two alerts: a severity change
 *   must resolve the old one (firingSet.ts does that).
 * - Empty label values are removed by Alertmanager; we leave them out ourselves.
 * - An alert with `endsAt` in the past is resolved; with `endsAt` in the future it is
 *   firing until then unless re-posted (like Prometheus, we send firing alerts with
 *   endsAt = now + validFor and re-send them every resend interval, validFor being 4×
 *   that interval). Without endsAt Alertmanager would use its resolve_timeout.
 * - Validation rejects `endsAt` before `startsAt` (HTTP 400), so endsAt is never earlier.
 *
 * Labels are what the alert is about, so routes and silences match them and a silence
 * keeps holding while the alert lasts: alertname, severity, host, vm, vm_uuid, device,
 * image (the image's filename, or its node name: it stays when a snapshot or pivot moves
 * the image down or up its chain), block_job (not `job`, Prometheus' own label), and the
 * configured static labels (cluster, region…). Where the image is now (backing_index,
 * node) changes with a snapshot, so it is an annotation, with the runbook_url.
 */
import type { AlertRecord } from '#schemas/codecs/outputs.js';

/** The body element of `POST /api/v2/alerts` (openapi.yaml `postableAlert`). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface MappingOptions {
  /** Wall-clock time of the post (epoch ms): firing alerts end validForMs after it. */
  now: number;
  /** How long a firing alert stays firing in Alertmanager without being re-sent. */
  validForMs: number;
  /** Optional link back to the source, e.g. a dashboard: `?alert=<id>` is appended. */
  generatorUrl?: string | undefined;
}

/** `qmpipe_` + the type with dashes as underscores: `time-to-full` → `qmpipe_time_to_full`. */
export function alertName(type: string): string {
  return `qmpipe_${type.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/**
 * The Alertmanager label set of a transition (its identity there); empty values left out.
 * Static labels come first: the processor's config refuses one named like the alert's own.
 */
export function alertLabels(a: AlertRecord): Record<string, string> {
  const l = a.labels;
  const all: Array<[string, string]> = [
    ...a.staticLabels.map((s): [string, string] => [s.name, s.value]),
    ['alertname', alertName(a.type)],
    ['severity', a.severity],
    ['host', l.host],
    ['vm', l.vm],
    ['vm_uuid', l.vmUuid],
    ['device', l.device],
    ['image', l.image],
    ['block_job', l.blockJob],
  ];
  return Object.fromEntries(all.filter(([, v]) => v !== ''));
}

/** A stable string for a label set (sorted), to key alerts by their Alertmanager identity. */
export function labelsKey(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/** Where an alert is: `vm dev[1] job commit0`. Shared with the tail formatter. */
export function subjectOf(a: AlertRecord): string {
  const l = a.labels;
  let s = l.vm || l.vmUuid;
  if (l.device) s += ` ${l.device}${l.backingIndex === null ? '' : `[${l.backingIndex}]`}`;
  if (l.blockJob) s += ` job ${l.blockJob}`;
  return s;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function alertAnnotations(a: AlertRecord): Record<string, string> {
  const l = a.labels;
  const out: Record<string, string> = {
    summary: `${a.type} (${a.severity}) on ${subjectOf(a)}${l.node ? ` ${l.node}` : ''}`,
    description: a.message,
    value: String(a.value),
    threshold: String(a.threshold),
    observed_at: iso(a.t),
    alert_id: a.id,
  };
  if (l.backingIndex !== null) out.backing_index = String(l.backingIndex);
  if (l.node) out.node = l.node;
  if (a.runbookUrl) out.runbook_url = a.runbookUrl;
  if (a.eta !== null) out.eta = iso(a.eta);
  if (a.pausedMs !== null) out.paused_ms = String(a.pausedMs);
  return out;
}

/**
 * The postable form of one transition. Firing: endsAt = max(now, startsAt) + validFor.
 * Resolved: endsAt = the transition's endsAt (or its time), never before startsAt.
 */
export function toAlertmanager(a: AlertRecord, opts: MappingOptions): PostableAlert {
  const endsAt = a.state === 'resolved' ? Math.max(a.endsAt ?? a.t, a.startsAt) : Math.max(opts.now, a.startsAt) + opts.validForMs;
  const out: PostableAlert = {
    labels: alertLabels(a),
    annotations: alertAnnotations(a),
    startsAt: iso(a.startsAt),
    endsAt: iso(endsAt),
  };
  if (opts.generatorUrl) {
    const sep = opts.generatorUrl.includes('?') ? '&' : '?';
    out.generatorURL = `${opts.generatorUrl}${sep}alert=${encodeURIComponent(a.id)}`;
  }
  return out;
}
