/**
 * What `/healthz` answers (common/src/metrics.ts serveMetrics): 200 `ok`, or 503 with a
 * one-line reason. Each app decides its own health from what its shell last saw (the
 * agent: its Kafka publisher; the processor: its consumer group and partitions).
 */
export type Health = { ok: true } | { ok: false; reason: string };

export const HEALTHY: Health = { ok: true };

/** Unhealthy, for `reason` on one line. */
export function unhealthy(reason: string): Health {
  return { ok: false, reason: reason.replace(/\s*\n\s*/g, ' ') };
}
