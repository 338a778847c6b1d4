/**
 * Deterministic S3 object keys for rollups, Hive-style partitions:
 *
 *   <prefix>/resolution=1m/date=YYYY-MM-DD/hour=HH/part-<partition>-<windowStart>.parquet
 *
 * The key depends only on (prefix, resolution, input partition, window start), so
 * a retried or replayed write overwrites the same object: idempotent, no duplicates.
 * One object per input partition per window, never one per series.
 */
export function resolutionLabel(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function rollupObjectKey(prefix: string, resolutionMs: number, partition: number, windowStart: number): string {
  const d = new Date(windowStart);
  const date = d.toISOString().slice(0, 10);
  const hour = String(d.getUTCHours()).padStart(2, '0');
  const p = prefix.replace(/\/+$/, '');
  return `${p ? `${p}/` : ''}resolution=${resolutionLabel(resolutionMs)}/date=${date}/hour=${hour}/part-${partition}-${windowStart}.parquet`;
}
