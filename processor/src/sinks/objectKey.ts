/**
 * Deterministic S3 object keys for rollups, Hive-style partitions.
 *
 * The rollup writer's objects (rollupWriter/objects.ts) each hold the windows of one
 * raw-topic partition and one resolution within one span, an hour for resolutions under
 * 1 h and a day for 1 h and longer (its hour is 00):
 *
 *   <prefix>/resolution=1m/date=YYYY-MM-DD/hour=HH/part-<partition>-<firstWindowStart>-<lastWindowStart>.parquet
 *
 * The Lambda transport writes one object per window (its first and last start are one):
 *
 *   <prefix>/resolution=1m/date=YYYY-MM-DD/hour=HH/part-<partition>-<windowStart>.parquet
 *
 * A key names the windows its object holds, so a listing of one span tells which are
 * stored (`parseRollupObjectKey`): the writer never writes a stored window again.
 */
const HOUR = 3_600_000;
const DAY = 86_400_000;

export function resolutionLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The span one object of a resolution covers: an hour under 1 h, else a day. */
export function spanMs(resolutionMs: number): number {
  return resolutionMs < HOUR ? HOUR : DAY;
}

/** Start of the span holding a window. */
export function spanStart(resolutionMs: number, windowStart: number): number {
  const span = spanMs(resolutionMs);
  return windowStart - (((windowStart % span) + span) % span);
}

/** The folder of a window's span, ending in '/'. */
export function rollupSpanPrefix(prefix: string, resolutionMs: number, windowStart: number): string {
  const d = new Date(spanStart(resolutionMs, windowStart));
  const date = d.toISOString().slice(0, 10);
  const hour = String(d.getUTCHours()).padStart(2, '0');
  const p = prefix.replace(/\/+$/, '');
  return `${p ? `${p}/` : ''}resolution=${resolutionLabel(resolutionMs)}/date=${date}/hour=${hour}/`;
}

/** The key of an object holding the windows from `firstStart` to `lastStart` of one partition and resolution. */
export function rollupObjectKey(prefix: string, resolutionMs: number, partition: number, firstStart: number, lastStart = firstStart): string {
  const range = lastStart === firstStart ? `${firstStart}` : `${firstStart}-${lastStart}`;
  return `${rollupSpanPrefix(prefix, resolutionMs, firstStart)}part-${partition}-${range}.parquet`;
}

export interface RollupObjectName {
  /** Its resolution's label (1m, 1h, 1d), from the folder; null when the key has none. */
  resolution: string | null;
  partition: number;
  firstStart: number;
  lastStart: number;
}

/** Partition and window range of a rollup object's key; null for any other key. */
export function parseRollupObjectKey(key: string): RollupObjectName | null {
  const m = /\/?part-(\d+)-(\d+)(?:-(\d+))?\.parquet$/.exec(key);
  if (!m) return null;
  const firstStart = Number(m[2]);
  const resolution = /(?:^|\/)resolution=([^/]+)\//.exec(key)?.[1] ?? null;
  return { resolution, partition: Number(m[1]), firstStart, lastStart: m[3] === undefined ? firstStart : Number(m[3]) };
}
