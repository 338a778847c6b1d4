/**
 * A SeriesBlock holds the state of every series of one block of values (one vCPU's
 * stats, the VM's stats, one device's counters, one interface): the previous raw
 * value per slot and the open rollup windows. `foldValues` is the hot loop: one pass
 * over the slots by index (no strings, no allocation) that applies the counter rules
 * of counterRules.ts and accumulates the finest rollup window; coarser windows are
 * merged from it when it closes (rollup.ts). Per-interval deltas are left in a
 * scratch array for the emitters and the block rules.
 *
 * State is plain JSON: arrays of integers, -1 meaning unknown (raw values are ≥ 0).
 */
import type { IntervalKind } from './counterRules.js';
import { foldRuns } from './foldRuns.js';
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
  /** counter: peak per-interval rate in raw milli-units/s (an integer: exact and short in checkpoints); gauge: max. -1 = none. */
  b: number[];
  /** gauge: sum. */
  c: number[];
  /** Resets per slot in this window (sparse). */
  resets: Record<string, number>;
}

/**
 * A block is itself its finest window (start, n, ms, a, b, c, resets: folded every
 * sample, one object hop from the block); coarser windows are merged from it when it
 * closes. `end` (when the finest window ends) lets a sample skip all window
 * bookkeeping with one compare: coarser windows contain the finest, so none can end
 * earlier. Fewer objects touched per sample matter: with thousands of VMs a
 * partition's state is far larger than the CPU caches.
 */
export interface SeriesBlock extends WindowAcc {
  layout: string;
  /** Series prefix: vm, vcpu.0, block.vda, net.tap0. */
  label: string;
  /** Time of `prev` (agent sample time), -1 before the first sample. */
  t: number;
  prev: number[];
  /** End of the finest window (start + finest resolution); -1 when none is open. */
  end: number;
  /** Windows of the coarser resolutions. */
  coarse: WindowAcc[];
}

/** prev value of a cumulative slot after a new QEMU instance: the next value is a reset (its increase counts from 0). */
export const RESET_PENDING = -2;

/**
 * An array of n copies of v with double elements from the start, so the hot loop's
 * loads and stores see one element kind whatever values later arrive.
 */
export function filled(n: number, v: number): number[] {
  const a: number[] = [0.5];
  a.pop();
  for (let i = 0; i < n; i++) a.push(v);
  return a;
}

export function emptyWindow(length: number): WindowAcc {
  return { start: -1, n: 0, ms: 0, a: filled(length, 0), b: filled(length, -1), c: filled(length, 0), resets: {} };
}

export function newBlock(layout: Layout, label: string, resolutions: number): SeriesBlock {
  const coarse: WindowAcc[] = [];
  for (let r = 1; r < resolutions; r++) coarse.push(emptyWindow(layout.length));
  return { layout: layout.id, label, t: -1, prev: filled(layout.length, -1), end: -1, ...emptyWindow(layout.length), coarse };
}

/** Clears a window for reuse at `start`. */
export function resetWindow(w: WindowAcc, start: number): void {
  w.start = start;
  w.n = 0;
  w.ms = 0;
  w.a.fill(0);
  w.b.fill(-1);
  w.c.fill(0);
  w.resets = {};
}

/** Marks every known cumulative slot as reset (new instance). */
export function markInstanceReset(block: SeriesBlock, layout: { kinds: Uint8Array }): void {
  const prev = block.prev;
  for (let i = 0; i < prev.length; i++) {
    const k = layout.kinds[i];
    if ((k === CUMULATIVE || k === BUCKET) && prev[i]! >= 0) prev[i] = RESET_PENDING;
  }
}

function countReset(w: WindowAcc, i: number): void {
  w.resets[i] = (w.resets[i] ?? 0) + 1;
}

/**
 * Folds one sample's values into the block and its finest window. With `deltas`,
 * writes each slot's delta for this interval there (-1 when it has none: first
 * sight, reset, gap, gauge); without, takes the run-wise fast path (foldRuns.ts),
 * which leaves the same state. Returns the number of slots that reset.
 */
export function foldValues(block: SeriesBlock, layout: Layout, values: readonly number[], interval: IntervalKind, dtMs: number, deltas: Float64Array | null): number {
  const kinds = layout.kinds;
  const prev = block.prev;
  const n = layout.length;
  const rateOk = interval === 'ok';
  const w = block;
  const { a, b, c } = w;
  w.n++;
  if (rateOk) w.ms += dtMs;
  const perSecMilli = 1e6 / dtMs;
  if (deltas === null) return foldRuns(prev, layout, values, w, rateOk, perSecMilli);
  deltas.fill(-1, 0, n);
  let resets = 0;
  for (let i = 0; i < n; i++) {
    const k = kinds[i]!;
    const v = values[i]!;
    const p = prev[i]!;
    if (k === CUMULATIVE || k === BUCKET) {
      if (v === p) {
        if (rateOk && v >= 0) deltas[i] = 0; // unchanged: the common case, nothing to add
        continue;
      }
      prev[i] = v;
      if (v < 0) continue; // missing
      if (p < 0 || v < p) {
        if (p >= 0 || p === RESET_PENDING) {
          // Rule 2: a decrease (or a new instance) is a reset: no rate, the increase counts from 0.
          resets++;
          a[i] += v;
          countReset(w, i);
        }
        continue; // rule 1: first sight emits nothing
      }
      if (!rateOk) continue; // rule 3: a gap breaks the rate
      const d = v - p;
      deltas[i] = d;
      a[i] += d;
      if (k === CUMULATIVE) {
        const r = d * perSecMilli;
        if (r > b[i]!) b[i] = Math.round(r);
      }
    } else if (k === SKIP) {
      prev[i] = v; // histogram sizes: prev keeps the shape of the values (layoutOfBlock)
    } else {
      // Gauges. Within one QEMU a peak stat only increases, so its value is the running
      // max; a decrease is a new process: counted as a reset, and the max restarts.
      if (k === PEAK && v >= 0 && p >= 0 && v < p) resets++;
      const g = k === PEAK && v < 0 ? p : v;
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
  }
  return resets;
}

/** Merges a closed finer window into a coarser one (every resolution is a multiple of the finest). */
export function mergeWindow(into: WindowAcc, from: WindowAcc, kinds: Uint8Array): void {
  const { a, b, c } = into;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    if (k === SKIP) continue;
    if (k === CUMULATIVE || k === BUCKET) {
      a[i] += from.a[i]!;
      if (from.b[i]! > b[i]!) b[i] = from.b[i]!;
    } else if (from.b[i]! >= 0) {
      if (b[i]! < 0 || from.a[i]! < a[i]!) a[i] = from.a[i]!;
      if (from.b[i]! > b[i]!) b[i] = from.b[i]!;
      c[i] += from.c[i]!;
    }
  }
  into.n += from.n;
  into.ms += from.ms;
  for (const [slot, r] of Object.entries(from.resets)) into.resets[slot] = (into.resets[slot] ?? 0) + r;
}
