/**
 * Rollup accumulation: tumbling event-time windows per block of series, by index.
 * A VM's records are in order on one partition, so a window of a block closes when
 * that block's next sample falls in a later window (or when the VM is evicted, or the
 * input ends: `flush`). Closing turns the accumulators into one Rollup per series:
 *   gauge:     count, min, max, avg, last
 *   counter:   increase (Σ deltas of rate intervals, plus the new value after a reset),
 *              meanRate = increase / seconds of rate intervals, peak per-interval rate, resets
 *   histogram: merged bucket deltas and p50/p90/p99
 * Values are scaled to their unit (base^exponent) only here, never in the hot loop.
 */
import { QUANTILES, bucketQuantile } from './histogram.js';
import type { Layout, SlotGroup } from './layout.js';
import type { Rollup } from './outputs.js';
import { resetWindow, type SeriesBlock, type WindowAcc } from './seriesBlock.js';

export interface RollupTarget {
  vm: string;
  vmUuid: string;
}

/** Start of the window of resolution `res` holding t. */
export function windowStart(t: number, res: number): number {
  return t - (((t % res) + res) % res);
}

/** Closes the block's windows that `t` has left, emitting their rows; opens the windows holding t. */
export function rollWindows(block: SeriesBlock, layout: Layout, t: number, resolutions: readonly number[], to: RollupTarget, out: Rollup[]): void {
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = block.win[r]!;
    const start = windowStart(t, res);
    if (w.start === start) continue;
    if (w.start >= 0 && w.n > 0) emitRows(block, layout, w, res, to, out);
    resetWindow(w, start);
  }
}

/** Closes every open window of the block (eviction, end of input). */
export function flushWindows(block: SeriesBlock, layout: Layout, resolutions: readonly number[], to: RollupTarget, out: Rollup[]): void {
  for (let r = 0; r < resolutions.length; r++) {
    const w = block.win[r]!;
    if (w.start >= 0 && w.n > 0) emitRows(block, layout, w, resolutions[r]!, to, out);
    resetWindow(w, -1);
  }
}

function emitRows(block: SeriesBlock, layout: Layout, w: WindowAcc, res: number, to: RollupTarget, out: Rollup[]): void {
  for (const g of layout.groups) out.push(rowOf(block, g, w, res, to));
}

function blank(block: SeriesBlock, g: SlotGroup, w: WindowAcc, res: number, to: RollupTarget): Rollup {
  return {
    kind: 'rollup', resolutionMs: res, windowStart: w.start, vm: to.vm, vmUuid: to.vmUuid,
    series: `${block.label}.${g.name}`, type: g.type === 'histogram' ? 'histogram' : g.type, unit: g.unit, count: w.n,
    min: null, max: null, avg: null, last: null, increase: null, meanRate: null, peakRate: null, resets: null,
    p50: null, p90: null, p99: null, buckets: null, maxAllocation: null, minFree: null, maxGrowth: null, physicalEnd: null,
  };
}

function rowOf(block: SeriesBlock, g: SlotGroup, w: WindowAcc, res: number, to: RollupTarget): Rollup {
  const row = blank(block, g, w, res, to);
  const i = g.offset;
  const s = g.scale;
  if (g.type === 'gauge') {
    const last = block.prev[i]!;
    if (last >= 0) Object.assign(row, { min: w.a[i]! * s, max: w.b[i]! * s, avg: (w.c[i]! / w.n) * s, last: last * s });
    return row;
  }
  if (g.type === 'counter') {
    const inc = w.a[i]!;
    row.increase = inc * s;
    row.meanRate = w.ms > 0 ? ((inc * 1000) / w.ms) * s : null;
    row.peakRate = (w.b[i]! / 1000) * s;
    row.resets = w.resets[i] ?? 0;
    return row;
  }
  const merged = w.a.slice(i, i + g.size);
  row.buckets = merged;
  row.resets = w.resets[i] ?? 0;
  const lower = g.lower!;
  const q = QUANTILES.map(([, p]) => bucketQuantile(lower, merged, 0, p));
  [row.p50, row.p90, row.p99] = q.map((v) => (v === null ? null : v * s)) as [number | null, number | null, number | null];
  return row;
}
