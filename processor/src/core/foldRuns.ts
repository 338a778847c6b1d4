/**
 * The fast path of foldValues (seriesBlock.ts) when nobody needs per-slot deltas:
 * the layout's runs of equal slot kinds, each with a tight loop of its own. Same
 * rules and the same resulting state as the generic loop (tested: a run emitting
 * rates, which takes the generic loop, ends in the same state). In KVM stats only a
 * handful of ~150 slots of a vCPU change per second, so the common step is a load,
 * a compare and `continue`.
 */
import { BUCKET, CUMULATIVE, PEAK, SKIP, type Layout } from './layout.js';
import type { WindowAcc } from './seriesBlock.js';

/** Same meaning as seriesBlock.RESET_PENDING (kept here to avoid an import cycle). */
const RESET_PENDING = -2;

function countReset(w: WindowAcc, i: number): void {
  w.resets[i] = (w.resets[i] ?? 0) + 1;
}

/** Cumulative or bucket slots [from, to). Returns resets. */
function foldCounters(prev: number[], values: readonly number[], w: WindowAcc, from: number, to: number, rateOk: boolean, perSecMilli: number, peak: boolean): number {
  const a = w.a;
  const b = w.b;
  let resets = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const p = prev[i]!;
    if (v === p) continue; // unchanged: nothing to add
    prev[i] = v;
    if (v < 0) continue; // missing
    if (p < 0 || v < p) {
      if (p >= 0 || p === RESET_PENDING) {
        resets++; // rule 2: a reset; the increase counts from 0
        a[i] += v;
        countReset(w, i);
      }
      continue; // rule 1: first sight
    }
    if (!rateOk) continue; // rule 3: a gap
    const d = v - p;
    a[i] += d;
    if (peak) {
      const r = d * perSecMilli;
      if (r > b[i]!) b[i] = Math.round(r);
    }
  }
  return resets;
}

/** Gauge and peak slots [from, to). Returns resets (a peak that decreased). */
function foldGauges(prev: number[], values: readonly number[], w: WindowAcc, from: number, to: number, isPeak: boolean): number {
  const { a, b, c } = w;
  let resets = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const p = prev[i]!;
    if (isPeak && v >= 0 && p >= 0 && v < p) resets++;
    const g = isPeak && v < 0 ? p : v;
    prev[i] = g;
    if (g < 0) continue;
    if (b[i]! < 0) {
      a[i] = g;
      b[i] = g;
    } else {
      if (g < a[i]!) a[i] = g;
      if (g > b[i]!) b[i] = g;
    }
    c[i] += g;
  }
  return resets;
}

export function foldRuns(prev: number[], layout: Layout, values: readonly number[], w: WindowAcc, rateOk: boolean, perSecMilli: number): number {
  const runs = layout.runs;
  let resets = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const k = runs[r]!;
    const from = runs[r + 1]!;
    const to = runs[r + 2]!;
    if (k === CUMULATIVE || k === BUCKET) resets += foldCounters(prev, values, w, from, to, rateOk, perSecMilli, k === CUMULATIVE);
    else if (k === SKIP) for (let i = from; i < to; i++) prev[i] = values[i]!;
    else resets += foldGauges(prev, values, w, from, to, k === PEAK);
  }
  return resets;
}
