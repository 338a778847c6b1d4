/**
 * The fast path of foldValues (seriesBlock.ts) when nobody needs per-slot deltas:
 * the layout's runs of equal slot kinds, each with a tight loop of its own. Same
 * rules and the same resulting state as the generic loop (tested: a run emitting
 * rates, which takes the generic loop, ends in the same state). In KVM stats only a
 * handful of ~150 slots of a vCPU change per second, so the common step is a load,
 * a compare and `continue`. `pv` interleaves previous values ([2i]) with the finest
 * window's peak or max ([2i+1]).
 */
import { BUCKET, CUMULATIVE, PEAK, SKIP, type Layout } from './layout.js';
import { countReset, RESET_PENDING, type WindowBase } from './seriesBlock.js';

/** Same meaning as seriesBlock.RESET_PENDING (kept here to avoid an import cycle). */

/** Cumulative or bucket slots [from, to) (a = the finest window's bases, see seriesBlock.ts). Returns resets. */
function foldCounters(pv: number[], values: readonly number[], w: WindowBase, from: number, to: number, rateOk: boolean, perSecMilli: number, peak: boolean): number {
  const a = w.a;
  let resets = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const j = 2 * i;
    const p = pv[j]!;
    if (v === p) continue; // unchanged: nothing to add
    pv[j] = v;
    if (v < 0) {
      if (p > 0) a[i] -= p; // missing: bank the increase so far
      continue;
    }
    if (p < 0) {
      if (p === RESET_PENDING) {
        resets++; // rule 2: a new instance (base already banked)
        countReset(w, i);
      } else a[i] += v; // rule 1: first sight; the base moves with the value
      continue;
    }
    if (v < p) {
      resets++; // rule 2: a decrease is a reset; the increase counts from 0
      a[i] -= p;
      countReset(w, i);
      continue;
    }
    const d = v - p;
    if (!rateOk) {
      a[i] += d; // rule 3: a gap is left out of the increase
      continue;
    }
    // A rate interval: the increase is implied by prev − base; only the peak may move.
    if (peak) {
      const r = d * perSecMilli;
      if (r > pv[j + 1]!) pv[j + 1] = Math.round(r);
    }
  }
  return resets;
}

/** Gauge and peak slots [from, to). Returns resets (a peak that decreased). */
function foldGauges(pv: number[], values: readonly number[], w: WindowBase, from: number, to: number, isPeak: boolean): number {
  const { a, c } = w;
  let resets = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const j = 2 * i;
    const p = pv[j]!;
    if (isPeak && v >= 0 && p >= 0 && v < p) resets++;
    const g = isPeak && v < 0 ? p : v;
    pv[j] = g;
    if (g < 0) continue;
    if (pv[j + 1]! < 0) {
      a[i] = g;
      pv[j + 1] = g;
    } else {
      if (g < a[i]!) a[i] = g;
      if (g > pv[j + 1]!) pv[j + 1] = g;
    }
    c[i] += g;
  }
  return resets;
}

export function foldRuns(pv: number[], layout: Layout, values: readonly number[], w: WindowBase, rateOk: boolean, perSecMilli: number): number {
  const runs = layout.runs;
  let resets = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const k = runs[r]!;
    const from = runs[r + 1]!;
    const to = runs[r + 2]!;
    if (k === CUMULATIVE || k === BUCKET) resets += foldCounters(pv, values, w, from, to, rateOk, perSecMilli, k === CUMULATIVE);
    else if (k === SKIP) for (let i = from; i < to; i++) pv[2 * i] = values[i]!;
    else resets += foldGauges(pv, values, w, from, to, k === PEAK);
  }
  return resets;
}
