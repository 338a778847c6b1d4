/**
 * Tumbling event-time windows (default 1 min and 1 h). A window [start, start+res)
 * closes when the partition's watermark (max event time seen − allowed lateness)
 * reaches its end. A point for a window that has already closed is late: it is
 * counted and left out, never reopening a window whose object was written.
 *
 * Pure: `addPoints(state, points, config) -> {state, closed}`. State is plain JSON
 * and owned by the caller: it is updated in place and returned (no copies on the
 * hot path), so keep the old value only through a serialized checkpoint.
 */
import { emptyAggregate, mergePoint, quantile, type Aggregate } from './aggregate.js';
import type { RollupPoint } from './point.js';

export interface RollupConfig {
  resolutionsMs: number[];
  allowedLatenessMs: number;
}

interface OpenWindow { res: number; start: number; series: Record<string, Aggregate> }

export interface RollupState {
  maxEventT: number | null;
  /** End of the newest closed window, by resolution: points before it are late. */
  closedUpTo: Record<string, number>;
  open: Record<string, OpenWindow>;
  late: number;
}

/** One row of a rollup object: a series' aggregate over one window. */
export interface RollupRow {
  vm: string;
  series: string;
  kind: Aggregate['kind'];
  unit: string;
  count: number;
  min: number | null; max: number | null; avg: number | null; last: number | null;
  increase: number | null; meanRate: number | null; peakRate: number | null; resets: number | null;
  p50: number | null; p90: number | null; p99: number | null; buckets: string | null;
  maxAllocation: number | null; minFree: number | null; maxGrowth: number | null; physicalEnd: number | null;
}

export interface ClosedWindow { resolutionMs: number; windowStart: number; rows: RollupRow[] }

export function initialRollupState(): RollupState {
  return { maxEventT: null, closedUpTo: {}, open: {}, late: 0 };
}

const SEP = '\u0000';

export function addPoints(state: RollupState, points: Iterable<RollupPoint>, cfg: RollupConfig): { state: RollupState; closed: ClosedWindow[] } {
  for (const p of points) {
    if (state.maxEventT === null || p.t > state.maxEventT) state.maxEventT = p.t;
    for (const res of cfg.resolutionsMs) {
      const start = p.t - (((p.t % res) + res) % res);
      if (start + res <= (state.closedUpTo[res] ?? -Infinity)) {
        state.late++;
        continue;
      }
      const wkey = `${res}:${start}`;
      const win = (state.open[wkey] ??= { res, start, series: {} });
      const skey = p.vm + SEP + p.series;
      mergePoint((win.series[skey] ??= emptyAggregate(p)), p);
    }
  }
  const watermark = state.maxEventT === null ? -Infinity : state.maxEventT - cfg.allowedLatenessMs;
  return { state, closed: closeWindows(state, (w) => w.start + w.res <= watermark) };
}

/** Closes every open window (input ended: a replay, or the demo's last flush). */
export function closeAll(state: RollupState): { state: RollupState; closed: ClosedWindow[] } {
  return { state, closed: closeWindows(state, () => true) };
}

function closeWindows(state: RollupState, due: (w: OpenWindow) => boolean): ClosedWindow[] {
  const closed: ClosedWindow[] = [];
  for (const [key, w] of Object.entries(state.open)) {
    if (!due(w)) continue;
    delete state.open[key];
    state.closedUpTo[w.res] = Math.max(state.closedUpTo[w.res] ?? -Infinity, w.start + w.res);
    const rows = Object.entries(w.series)
      .map(([skey, agg]) => toRow(skey, agg))
      .sort((a, b) => (a.vm === b.vm ? cmp(a.series, b.series) : cmp(a.vm, b.vm)));
    closed.push({ resolutionMs: w.res, windowStart: w.start, rows });
  }
  return closed.sort((a, b) => a.windowStart - b.windowStart || a.resolutionMs - b.resolutionMs);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toRow(skey: string, a: Aggregate): RollupRow {
  const i = skey.indexOf(SEP);
  const hist = a.kind === 'histogram' && a.lower && a.buckets;
  return {
    vm: skey.slice(0, i),
    series: skey.slice(i + 1),
    kind: a.kind,
    unit: a.unit,
    count: a.count,
    min: a.min ?? null,
    max: a.max ?? null,
    avg: a.sum === undefined || a.count === 0 ? null : a.sum / a.count,
    last: a.last ?? null,
    increase: a.increase ?? null,
    meanRate: a.increase !== undefined && a.seconds ? a.increase / a.seconds : null,
    peakRate: a.peakRate ?? null,
    resets: a.resets ?? null,
    p50: hist ? quantile(a.lower!, a.buckets!, 0.5) : null,
    p90: hist ? quantile(a.lower!, a.buckets!, 0.9) : null,
    p99: hist ? quantile(a.lower!, a.buckets!, 0.99) : null,
    buckets: hist ? JSON.stringify(a.buckets) : null,
    maxAllocation: a.maxAllocation ?? null,
    minFree: a.minFree === undefined || a.minFree === Infinity ? null : a.minFree,
    maxGrowth: a.maxGrowth === undefined || a.maxGrowth === -Infinity ? null : a.maxGrowth,
    physicalEnd: a.physicalEnd ?? null,
  };
}
