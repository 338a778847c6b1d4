/**
 * Per-series, per-window aggregates, and how points merge into them. Pure and
 * plain-JSON, so open windows can be checkpointed with the rest of the state.
 *
 *   gauge:     count, min, max, sum (avg = sum/count), last
 *   counter:   increase = Σ delta (across resets), seconds = Σ dt, peak per-interval rate, resets
 *   histogram: merged bucket deltas (quantiles computed when the window closes)
 *   chain:     max allocation, min free, max growth, physical at window end
 */
import type { RollupPoint } from './point.js';

export interface Aggregate {
  kind: RollupPoint['kind'];
  unit: string;
  count: number;
  lastT: number;
  min?: number;
  max?: number;
  sum?: number;
  last?: number;
  increase?: number;
  seconds?: number;
  peakRate?: number;
  resets?: number;
  lower?: number[];
  buckets?: number[];
  maxAllocation?: number;
  minFree?: number | null;
  maxGrowth?: number | null;
  physicalEnd?: number | null;
}

export function emptyAggregate(p: RollupPoint): Aggregate {
  const unit = p.kind === 'chain' ? 'bytes' : p.unit;
  return { kind: p.kind, unit, count: 0, lastT: 0 };
}

/** Folds one point into an aggregate (mutates and returns `agg`; callers own it). */
export function mergePoint(agg: Aggregate, p: RollupPoint): Aggregate {
  agg.count++;
  const newest = p.t >= agg.lastT;
  if (newest) agg.lastT = p.t;
  switch (p.kind) {
    case 'gauge':
      agg.min = Math.min(agg.min ?? Infinity, p.value);
      agg.max = Math.max(agg.max ?? -Infinity, p.value);
      agg.sum = (agg.sum ?? 0) + p.value;
      if (newest) agg.last = p.value;
      return agg;
    case 'counter': {
      agg.increase = (agg.increase ?? 0) + p.delta;
      agg.seconds = (agg.seconds ?? 0) + p.dt;
      if (p.dt > 0) agg.peakRate = Math.max(agg.peakRate ?? 0, p.delta / p.dt);
      agg.resets = (agg.resets ?? 0) + (p.reset ? 1 : 0);
      return agg;
    }
    case 'histogram': {
      const b = agg.buckets ?? new Array<number>(p.deltas.length).fill(0);
      for (let i = 0; i < p.deltas.length; i++) b[i] = (b[i] ?? 0) + p.deltas[i]!;
      agg.buckets = b;
      agg.lower = p.lower;
      return agg;
    }
    case 'chain':
      agg.maxAllocation = Math.max(agg.maxAllocation ?? 0, p.allocation);
      if (p.free !== null) agg.minFree = Math.min(agg.minFree ?? Infinity, p.free);
      else agg.minFree ??= null;
      if (p.growth !== null) agg.maxGrowth = Math.max(agg.maxGrowth ?? -Infinity, p.growth);
      else agg.maxGrowth ??= null;
      if (newest) agg.physicalEnd = p.physical;
      return agg;
  }
}

/**
 * The q-quantile of bucketed counts by linear interpolation inside the bucket
 * that holds it. `lower[i]` is bucket i's lower bound; the last bucket is open,
 * so a quantile falling there reports its lower bound. Null when empty.
 */
export function quantile(lower: number[], counts: number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && seen + c >= rank) {
      const lo = lower[i]!;
      const hi = lower[i + 1];
      if (hi === undefined) return lo;
      return lo + ((rank - seen) / c) * (hi - lo);
    }
    seen += c;
  }
  return lower[lower.length - 1] ?? null;
}
