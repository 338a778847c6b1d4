/**
 * A SeriesBlock holds the state of every series of one block of values (one vCPU's
 * stats, the VM's stats, one device's counters, one interface): the previous raw
 * value per slot and the open rollup windows. `foldValues` is the hot loop: one pass
 * over the slots by index (no strings, no allocation): the counter-rule kernel of
 * counterRules.ts, which also accumulates the finest rollup window; coarser windows are
 * merged from it when it closes (rollup.ts). Per-interval deltas are left in a
 * scratch array for the emitters and the block rules.
 *
 * State is plain JSON: arrays of integers, -1 meaning unknown (raw values are ≥ 0).
 */
import { foldRuns, RESET_PENDING, type IntervalKind } from './counterRules.js';
import { BUCKET, CUMULATIVE, SKIP, type Layout } from './layout.js';

/** What every window has: its start, its samples and rate time, min/base and sum per slot, resets. */
export interface WindowBase {
  /** Window start (epoch ms); -1 = none open. */
  start: number;
  /** Samples folded (gauges). */
  samples: number;
  /** Milliseconds of the rate intervals folded (counters). */
  rateMs: number;
  /**
   * Per slot. gauge: the minimum. counter/bucket: in coarser windows the increase; in
   * the finest window (the block itself) a base, increase = (prev ≥ 0 ? prev : 0) − base,
   * so the common step (a delta on a rate interval) writes nothing here: only resets,
   * gaps, missing values and first sights move the base (see finestIncrease).
   */
  minBase: number[];
  /** Per slot. gauge: the sum of values (for the average). */
  sum: number[];
  /** Resets per slot in this window (sparse). */
  resets: Record<string, number>;
}

/** A coarser window (1 h by default), merged from the finest when that closes. */
export interface WindowAcc extends WindowBase {
  /** Per slot. counter: peak per-interval rate in raw milli-units/s (an integer: exact and short in checkpoints); gauge: max. -1 = none. */
  maxPeak: number[];
}

/**
 * A block is itself its finest window (folded every sample, one object hop away);
 * coarser windows are merged from it when it closes. `end` (when the finest window
 * ends) lets a sample skip all window bookkeeping with one compare: coarser windows
 * contain the finest, so none can end earlier. The previous values and the finest
 * window's peaks/maxima are interleaved in one array (`prevPeak`), so a changed slot touches
 * one cache line: with thousands of VMs a partition's state is far larger than the
 * CPU caches, and memory latency, not arithmetic, bounds the fold.
 */
export interface SeriesBlock extends WindowBase {
  layout: string;
  /** Series prefix: vm, vcpu.0, block.vda, net.tap0. */
  label: string;
  /** Time of the previous values (agent sample time), -1 before the first sample. */
  t: number;
  /** Per slot i: [2i] the previous raw value (-1 unknown), [2i+1] the finest window's peak (counters) or max (gauges), -1 none. */
  prevPeak: number[];
  /** End of the finest window (start + finest resolution); -1 when none is open. */
  end: number;
  /** Windows of the coarser resolutions. */
  coarse: WindowAcc[];
}

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
  return { start: -1, samples: 0, rateMs: 0, minBase: filled(length, 0), maxPeak: filled(length, -1), sum: filled(length, 0), resets: {} };
}

export function newBlock(layout: Layout, label: string, resolutions: number): SeriesBlock {
  const n = layout.length;
  const coarse: WindowAcc[] = [];
  for (let r = 1; r < resolutions; r++) coarse.push(emptyWindow(n));
  return {
    layout: layout.id,
    label,
    t: -1,
    prevPeak: filled(2 * n, -1),
    start: -1,
    samples: 0,
    rateMs: 0,
    minBase: filled(n, 0),
    sum: filled(n, 0),
    resets: {},
    end: -1,
    coarse,
  };
}

/** The previous raw values (de-interleaved; the shape of the values they came from). */
export function prevOf(block: SeriesBlock): number[] {
  const out: number[] = [];
  for (let i = 0; i < block.prevPeak.length; i += 2) out.push(block.prevPeak[i]!);
  return out;
}

/** Clears a coarser window for reuse at `start`. */
export function resetWindow(w: WindowAcc, start: number): void {
  w.start = start;
  w.samples = 0;
  w.rateMs = 0;
  w.minBase.fill(0);
  w.maxPeak.fill(-1);
  w.sum.fill(0);
  w.resets = {};
}

/** Opens the block's finest window at `start`: counter bases at the current values (increase 0), no peaks. */
export function openFinest(block: SeriesBlock, kinds: Uint8Array, start: number): void {
  block.start = start;
  block.samples = 0;
  block.rateMs = 0;
  block.sum.fill(0);
  block.resets = {};
  const { minBase: a, prevPeak: pv } = block;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    const p = pv[2 * i]!;
    a[i] = (k === CUMULATIVE || k === BUCKET) && p > 0 ? p : 0;
    pv[2 * i + 1] = -1;
  }
}

/** Increase of counter slot i in the block's finest window so far. */
export function finestIncrease(block: SeriesBlock, i: number): number {
  const p = block.prevPeak[2 * i]!;
  return Math.max(p, 0) - block.minBase[i]!;
}

/** Marks every known cumulative slot as reset (new instance), banking its increase so far. */
export function markInstanceReset(block: SeriesBlock, layout: { kinds: Uint8Array }): void {
  const { prevPeak: pv, minBase: a } = block;
  for (let i = 0; i < a.length; i++) {
    const k = layout.kinds[i];
    const p = pv[2 * i]!;
    if ((k === CUMULATIVE || k === BUCKET) && p >= 0) {
      a[i] -= p;
      pv[2 * i] = RESET_PENDING;
    }
  }
}

/**
 * Folds one sample's values into the block and its finest window (the counter-rule
 * kernel, counterRules.ts). With `deltas`, each slot's delta for this interval is
 * written there (-1 when it has none: first sight, reset, gap, gauge). Returns the
 * number of slots that reset.
 */
export function foldValues(
  block: SeriesBlock,
  layout: Layout,
  values: readonly number[],
  interval: IntervalKind,
  dtMs: number,
  deltas: Float64Array | null,
): number {
  const rateOk = interval === 'ok';
  block.samples++;
  if (rateOk) block.rateMs += dtMs;
  return foldRuns(block.prevPeak, layout, values, block, rateOk, 1e6 / dtMs, deltas);
}

/** Merges the block's closing finest window into a coarser one (every resolution is a multiple of the finest). */
export function mergeWindow(into: WindowAcc, from: SeriesBlock, kinds: Uint8Array): void {
  const { minBase: a, maxPeak: b, sum: c } = into;
  const pv = from.prevPeak;
  for (let i = 0; i < kinds.length; i++) {
    const k = kinds[i]!;
    if (k === SKIP) continue;
    const peak = pv[2 * i + 1]!;
    if (k === CUMULATIVE || k === BUCKET) {
      a[i] += finestIncrease(from, i);
      if (peak > b[i]!) b[i] = peak;
    } else if (peak >= 0) {
      if (b[i]! < 0 || from.minBase[i]! < a[i]!) a[i] = from.minBase[i]!;
      if (peak > b[i]!) b[i] = peak;
      c[i] += from.sum[i]!;
    }
  }
  into.samples += from.samples;
  into.rateMs += from.rateMs;
  for (const [slot, r] of Object.entries(from.resets)) into.resets[slot] = (into.resets[slot] ?? 0) + r;
}
