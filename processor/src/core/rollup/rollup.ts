/**
 * Rollup accumulation: tumbling event-time windows per block of series, by index.
 * The hot loop folds samples into the finest window only; when it closes it is
 * emitted and merged into each coarser window (1 min → 1 h by default: every
 * resolution is a multiple of the finest, so windows nest). A VM's records are in
 * order on one partition, so a block's window closes when its next sample falls in a
 * later window, when the partition's watermark passes its end (watermark.ts: a VM
 * that went silent), when the VM is evicted, or when the input ends (`flush`). Rows:
 *   gauge:     count, min, max, avg, last
 *   counter:   increase (Σ deltas of rate intervals, plus the new value after a reset),
 *              meanRate = increase / time of rate intervals, peak per-interval rate, resets
 *   histogram: merged bucket deltas and p50/p90/p99
 * Values are scaled to their unit (base^exponent) only here, never in the hot loop.
 */
import { rollupRow } from './rollupRow.js';
import { QUANTILES, bucketQuantile } from '../stats/histogram.js';
import type { Layout, SlotGroup } from '../series/layout.js';
import type { Rollup } from '#schemas/outputs.js';
import { emptyWindow, finestIncrease, mergeWindow, openFinest, resetWindow, type SeriesBlock, type WindowAcc, type WindowBase } from '../series/seriesBlock.js';

/** Whose rows these are (a VmState fits: its name, uuid and host). */
export interface RollupTarget {
  name: string;
  uuid: string;
  host: string;
}

/**
 * The block's window of the r-th resolution (r ≥ 1). A block restored from a checkpoint
 * written under fewer resolutions (1 d added to the defaults) gets the missing ones empty.
 */
function coarseAt(block: SeriesBlock, r: number): WindowAcc {
  return (block.coarse[r - 1] ??= emptyWindow(block.minBase.length));
}

/** Start of the window of resolution `res` holding t. */
export function windowStart(t: number, res: number): number {
  return t - (((t % res) + res) % res);
}

/** Emits and merges the finest window if t has left it, then closes coarser windows t has left. */
export function rollWindows(block: SeriesBlock, layout: Layout, t: number, resolutions: readonly number[], to: RollupTarget, out: Rollup[]): void {
  if (t < block.end) return; // inside the finest window, hence inside every coarser one
  const res0 = resolutions[0]!;
  closeFinest(block, layout, resolutions, to, out, windowStart(t, res0));
  block.end = block.start + res0;
  for (let r = 1; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = coarseAt(block, r);
    if (w.start >= 0 && t < w.start + res) continue;
    if (w.start >= 0 && w.samples > 0) emitRows(block, layout, w, res, to, out);
    resetWindow(w, windowStart(t, res));
  }
}

function closeFinest(block: SeriesBlock, layout: Layout, resolutions: readonly number[], to: RollupTarget, out: Rollup[], next: number): void {
  if (block.start >= 0 && block.samples > 0) {
    emitRows(block, layout, block, resolutions[0]!, to, out, true);
    for (let r = 1; r < resolutions.length; r++) {
      const w = coarseAt(block, r);
      if (w.start < 0) resetWindow(w, windowStart(block.start, resolutions[r]!));
      mergeWindow(w, block, layout.kinds);
    }
  }
  openFinest(block, layout.kinds, next);
}

/** Closes every open window of the block (eviction, end of input). */
export function flushWindows(block: SeriesBlock, layout: Layout, resolutions: readonly number[], to: RollupTarget, out: Rollup[]): void {
  closeFinest(block, layout, resolutions, to, out, -1);
  block.end = -1;
  for (let r = 1; r < resolutions.length; r++) {
    const w = coarseAt(block, r);
    if (w.start >= 0 && w.samples > 0) emitRows(block, layout, w, resolutions[r]!, to, out);
    resetWindow(w, -1);
  }
}

/** Whether one of the block's windows ends at or before `until`. */
export function hasWindowDue(block: SeriesBlock, until: number, resolutions: readonly number[]): boolean {
  if (block.end >= 0 && block.end <= until) return true;
  for (let r = 1; r < resolutions.length; r++) {
    const w = coarseAt(block, r);
    if (w.start >= 0 && w.start + resolutions[r]! <= until) return true;
  }
  return false;
}

/**
 * Closes the block's windows that end at or before `until` (the partition's
 * watermark), whether or not its series had new input: the finest is emitted and
 * merged into the coarser ones, then every coarser one that ended is emitted. The
 * series' next sample opens new windows (its interval counts in the window it ends
 * in, as when the sample itself closes the window).
 */
export function closeWindowsUntil(block: SeriesBlock, layout: Layout, until: number, resolutions: readonly number[], to: RollupTarget, out: Rollup[]): void {
  if (block.end >= 0 && block.end <= until) {
    closeFinest(block, layout, resolutions, to, out, -1);
    block.end = -1;
  }
  for (let r = 1; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = coarseAt(block, r);
    if (w.start < 0 || w.start + res > until) continue;
    if (w.samples > 0) emitRows(block, layout, w, res, to, out);
    resetWindow(w, -1);
  }
}

/** `finest`: w is the block's own window (counter bases in a, peaks/maxima in pv), else a coarser one. */
function emitRows(block: SeriesBlock, layout: Layout, w: WindowBase, res: number, to: RollupTarget, out: Rollup[], finest = false): void {
  for (const g of layout.groups) out.push(rowOf(block, g, w, res, to, finest));
}

function increaseAt(block: SeriesBlock, w: WindowBase, i: number, finest: boolean): number {
  return finest ? finestIncrease(block, i) : w.minBase[i]!;
}

function peakAt(block: SeriesBlock, w: WindowBase, i: number, finest: boolean): number {
  return finest ? block.prevPeak[2 * i + 1]! : (w as WindowAcc).maxPeak[i]!;
}

function rowOf(block: SeriesBlock, g: SlotGroup, w: WindowBase, res: number, to: RollupTarget, finest: boolean): Rollup {
  const i = g.offset;
  const s = g.scale;
  let min = null,
    max = null,
    avg = null,
    last = null,
    increase = null,
    meanRate = null,
    peakRate = null,
    resets = null;
  let p50 = null,
    p90 = null,
    p99 = null,
    buckets = null;
  if (g.type === 'gauge') {
    const top = peakAt(block, w, i, finest);
    if (top >= 0) {
      const lastRaw = block.prevPeak[2 * i]!;
      min = w.minBase[i]! * s;
      max = top * s;
      avg = (w.sum[i]! / w.samples) * s;
      last = lastRaw >= 0 ? lastRaw * s : null;
    }
  } else if (g.type === 'counter') {
    const inc = increaseAt(block, w, i, finest);
    increase = inc * s;
    meanRate = w.rateMs > 0 ? ((inc * 1000) / w.rateMs) * s : null;
    const peak = peakAt(block, w, i, finest);
    peakRate = peak >= 0 ? (peak / 1000) * s : null;
    resets = w.resets[i] ?? 0;
  } else {
    buckets = Array.from({ length: g.size }, (_, k) => increaseAt(block, w, i + k, finest));
    resets = w.resets[i] ?? 0;
    const q = QUANTILES.map(([, p]) => bucketQuantile(g.lower!, buckets!, 0, p));
    [p50, p90, p99] = q.map((v) => (v === null ? null : v * s)) as [number | null, number | null, number | null];
  }
  return rollupRow(
    { resolutionMs: res, windowStart: w.start, vm: to, series: `${block.label}.${g.name}`, type: g.type, unit: g.unit, count: w.samples },
    { min, max, avg, last, increase, meanRate, peakRate, resets, p50, p90, p99, buckets },
  );
}
