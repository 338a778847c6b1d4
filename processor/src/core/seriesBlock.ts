/**
 * A SeriesBlock holds the state of every series of one block of values (one vCPU's
 * stats, the VM's stats, one device's counters, one interface): the previous raw
 * value per slot and the open rollup windows. `foldValues` is the hot loop: it
 * walks slots by index (no strings, no allocation), applies the counter rules of
 * counterRules.ts, accumulates the windows and leaves the per-interval deltas in a
 * scratch array for the emitters and the block rules.
 *
 * State is plain JSON: arrays of numbers, -1 meaning unknown (raw values are ≥ 0).
 */
import type { IntervalKind } from './counterRules.js';
import { BUCKET, CUMULATIVE, PEAK, SKIP, type Layout } from './layout.js';

/** One open tumbling window of one resolution over a block's slots. */
export interface WindowAcc {
  /** Window start (epoch ms); -1 = none open. */
  start: number;
  /** Samples folded (gauges). */
  n: number;
  /** Milliseconds of the rate intervals folded (counters). */
  ms: number;
  /** counter/bucket: increase; gauge: min. */
  a: number[];
  /** counter: peak per-interval rate in raw milli-units/s (an integer: exact and short in checkpoints); gauge: max. */
  b: number[];
  /** gauge: sum. */
  c: number[];
  /** Resets per slot in this window (sparse). */
  resets: Record<string, number>;
}

export interface SeriesBlock {
  layout: string;
  /** Series prefix: vm, vcpu.0, block.vda, net.tap0. */
  label: string;
  /** Time of `prev` (agent sample time), -1 before the first sample. */
  t: number;
  prev: number[];
  win: WindowAcc[];
}

/** prev value of a cumulative slot after a new QEMU instance: the next value is a reset (its increase counts from 0). */
export const RESET_PENDING = -2;

/** Marks every known cumulative slot as reset (new instance). */
export function markInstanceReset(block: SeriesBlock, layout: { kinds: Uint8Array }): void {
  const prev = block.prev;
  for (let i = 0; i < prev.length; i++) {
    const k = layout.kinds[i];
    if ((k === CUMULATIVE || k === BUCKET) && prev[i]! >= 0) prev[i] = RESET_PENDING;
  }
}

function filled(n: number, v: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(v);
  return a;
}

export function emptyWindow(length: number): WindowAcc {
  return { start: -1, n: 0, ms: 0, a: filled(length, 0), b: filled(length, 0), c: filled(length, 0), resets: {} };
}

export function newBlock(layout: Layout, label: string, resolutions: number): SeriesBlock {
  const win: WindowAcc[] = [];
  for (let r = 0; r < resolutions; r++) win.push(emptyWindow(layout.length));
  return { layout: layout.id, label, t: -1, prev: filled(layout.length, -1), win };
}

/** Clears a window for reuse at `start`. */
export function resetWindow(w: WindowAcc, start: number): void {
  w.start = start;
  w.n = 0;
  w.ms = 0;
  w.a.fill(0);
  w.b.fill(0);
  w.c.fill(0);
  w.resets = {};
}

/**
 * Folds one sample's values into the block. Writes each slot's delta for this
 * interval to `deltas` (-1 when the slot has none: first sight, reset, gap, gauge).
 * Returns the number of slots that reset (counted by the caller).
 */
export function foldValues(block: SeriesBlock, layout: Layout, values: readonly number[], interval: IntervalKind, dtMs: number, deltas: Float64Array): number {
  const kinds = layout.kinds;
  const prev = block.prev;
  const n = layout.length;
  const rateOk = interval === 'ok';
  let resets = 0;
  for (let i = 0; i < n; i++) {
    const k = kinds[i]!;
    const v = values[i]!;
    const p = prev[i]!;
    deltas[i] = -1;
    if (k === SKIP) {
      prev[i] = v; // histogram sizes: prev keeps the shape of the values (layoutOfBlock)
      continue;
    }
    if (k === CUMULATIVE || k === BUCKET) {
      prev[i] = v;
      if (v < 0) continue; // missing
      if (p < 0) {
        if (p !== RESET_PENDING) continue; // rule 1: first sight
        resets++; // a new QEMU instance: counted from 0 again
        deltas[i] = -2 - v;
        continue;
      }
      if (v < p) {
        resets++; // rule 2: a decrease is a reset
        deltas[i] = -2 - v; // marks "reset, increase v" for the windows
        continue;
      }
      if (rateOk) deltas[i] = v - p; // rule 3: a gap (or dt ≤ 0) keeps no delta
    } else if (k === PEAK) {
      // Within one QEMU a peak stat only increases, so its value is the running max;
      // a decrease is a new process: counted as a reset, and the max restarts.
      if (v >= 0 && p >= 0 && v < p) resets++;
      prev[i] = v < 0 ? p : v;
    } else {
      prev[i] = v;
    }
  }
  foldWindows(block, layout, interval, dtMs, deltas);
  return resets;
}

function foldWindows(block: SeriesBlock, layout: Layout, interval: IntervalKind, dtMs: number, deltas: Float64Array): void {
  const kinds = layout.kinds;
  const prev = block.prev;
  const n = layout.length;
  const perSecMilli = 1e6 / dtMs;
  for (const w of block.win) {
    const { a, b, c } = w;
    const first = w.n === 0;
    w.n++;
    if (interval === 'ok') w.ms += dtMs;
    for (let i = 0; i < n; i++) {
      const k = kinds[i]!;
      if (k === CUMULATIVE || k === BUCKET) {
        const d = deltas[i]!;
        if (d >= 0) {
          a[i] += d;
          if (k === CUMULATIVE) {
            const r = Math.round(d * perSecMilli);
            if (r > b[i]!) b[i] = r;
          }
        } else if (d <= -2) {
          a[i] += -2 - d;
          w.resets[i] = (w.resets[i] ?? 0) + 1;
        }
      } else if (k !== SKIP) {
        const v = prev[i]!;
        if (v < 0) continue;
        if (first || v < a[i]!) a[i] = v;
        if (first || v > b[i]!) b[i] = v;
        c[i] += v;
      }
    }
  }
}
