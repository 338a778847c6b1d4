/**
 * The counter rules every rate in the processor follows (docs/qmp-notes.md §6–7,
 * docs/style.md §7), and the one kernel that applies them to a block of values:
 *
 * 1. First sight emits nothing. A series seen for the first time (a new VM, vCPU,
 *    device, chain element, or a slot that was missing) only records its value: its
 *    base is unknown, so there is no delta and no rate. This makes restarts safe.
 * 2. A reset emits nothing for its first interval, and is counted. A reset is any of:
 *    - a decrease of a cumulative value (a new process, node or device: BlockAcctStats,
 *      wr_highest_offset and KVM stats are per-process memory);
 *    - a new `instanceId` (QEMU restarted or migrated): every series of the VM resets;
 *    - a changed node name under the same chain position: that element's series reset.
 *    A reset never yields a negative or huge rate. For rollups the increase after a
 *    reset is the new value (it counted up from 0, as in Prometheus' increase()).
 * 3. A gap breaks the rate: when Δt > gapMultiple × sampleInterval, values are
 *    recorded but no rate is emitted for that interval (no averaging across missing data).
 * 4. Δt ≤ 0 (a duplicate or out-of-order sample) is dropped and counted.
 *
 * Time always comes from the records (the agent's sample time), never from a clock.
 *
 * `foldRuns` is the hot loop (seriesBlock.ts calls it for every block of every
 * sample): the layout's runs of equal slot kinds, each with a tight loop of its own,
 * by index, with no strings and no allocation. In KVM stats only a handful of ~150
 * slots of a vCPU change per second, so the common step is a load, a compare and
 * `continue`. `pv` interleaves the previous raw values ([2i], -1 unknown) with the
 * finest window's peak or max ([2i+1]); `w.minBase` holds counter bases (seriesBlock.ts).
 * With `deltas`, each counter slot's delta for this interval is written there (-1
 * when it has none: first sight, gap, missing; RESET_DELTA after a reset); callers that only accumulate
 * rollups pass null and the same state results.
 */
import type { ProcessorConfig } from '#schemas/config/processor.js';
import { BUCKET, CUMULATIVE, PEAK, SKIP, type Layout } from './layout.js';

/** What one sample interval allows. */
export type IntervalKind = 'first' | 'ok' | 'gap' | 'nonpositive';

/** Classifies the interval (prevT, t]; prevT < 0 means no previous sample (rules 1, 3, 4). */
export function classifyInterval(prevT: number, t: number, rates: ProcessorConfig['rates']): IntervalKind {
  if (prevT < 0) return 'first';
  const dt = t - prevT;
  if (dt <= 0) return 'nonpositive';
  if (dt > rates.gapMultiple * rates.sampleIntervalMs) return 'gap';
  return 'ok';
}

/** prev value of a cumulative slot after a new QEMU instance: the next value is a reset (its increase counts from 0). */
export const RESET_PENDING = -2;

/** The delta written for a slot that reset in this interval (other slots without a delta get -1). */
export const RESET_DELTA = -2;

/** What the kernel folds into: the finest window's bases (counters) or minima (gauges), sums, and resets per slot. */
export interface FoldTarget {
  minBase: number[];
  sum: number[];
  resets: Record<string, number>;
}

export function countReset(w: FoldTarget, i: number): void {
  w.resets[i] = (w.resets[i] ?? 0) + 1;
}

/** Cumulative or bucket slots [from, to): rules 1–3. `peak`: track the peak per-interval rate (cumulative only). Returns resets. */
function foldCounters(
  pv: number[],
  values: readonly number[],
  w: FoldTarget,
  from: number,
  to: number,
  rateOk: boolean,
  perSecMilli: number,
  peak: boolean,
  deltas: Float64Array | null,
): number {
  const a = w.minBase;
  let resets = 0;
  for (let i = from; i < to; i++) {
    const v = values[i]!;
    const j = 2 * i;
    const p = pv[j]!;
    if (v === p) {
      if (deltas !== null && rateOk && v >= 0) deltas[i] = 0; // unchanged: the common case, nothing to add
      continue;
    }
    pv[j] = v;
    if (v < 0) {
      if (p > 0) a[i] -= p; // missing: bank the increase so far (the base follows prev, now unknown)
      continue;
    }
    if (p < 0) {
      if (p === RESET_PENDING) {
        resets++; // rule 2: a new instance: no rate; the increase counts from 0 (base already banked)
        countReset(w, i);
        if (deltas !== null) deltas[i] = RESET_DELTA;
      } else a[i] += v; // rule 1: first sight emits nothing; the base moves with the value
      continue;
    }
    if (v < p) {
      resets++; // rule 2: a decrease is a reset: no rate; the increase counts from 0
      a[i] -= p;
      countReset(w, i);
      if (deltas !== null) deltas[i] = RESET_DELTA;
      continue;
    }
    const d = v - p;
    if (!rateOk) {
      a[i] += d; // rule 3: a gap breaks the rate, and its increase is left out
      continue;
    }
    // A rate interval: the increase is implied by prev − base; only the peak may move.
    if (deltas !== null) deltas[i] = d;
    if (peak) {
      const r = d * perSecMilli;
      if (r > pv[j + 1]!) pv[j + 1] = Math.round(r);
    }
  }
  return resets;
}

/**
 * Gauge and peak slots [from, to): the window's min (a), max (pv[2i+1]) and sum (c).
 * Within one QEMU a peak stat only increases, so its value is the running max; a
 * decrease is a new process: counted as a reset, and the max restarts. Returns resets.
 */
function foldGauges(pv: number[], values: readonly number[], w: FoldTarget, from: number, to: number, isPeak: boolean): number {
  const { minBase: a, sum: c } = w;
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

/** Applies the rules to one sample's values, run by run. Returns the number of slots that reset. */
export function foldRuns(
  pv: number[],
  layout: Layout,
  values: readonly number[],
  w: FoldTarget,
  rateOk: boolean,
  perSecMilli: number,
  deltas: Float64Array | null,
): number {
  if (deltas !== null) deltas.fill(-1, 0, layout.length);
  const runs = layout.runs;
  let resets = 0;
  for (let r = 0; r < runs.length; r += 3) {
    const k = runs[r]!;
    const from = runs[r + 1]!;
    const to = runs[r + 2]!;
    if (k === CUMULATIVE || k === BUCKET) resets += foldCounters(pv, values, w, from, to, rateOk, perSecMilli, k === CUMULATIVE, deltas);
    else if (k === SKIP)
      for (let i = from; i < to; i++) pv[2 * i] = values[i]!; // histogram sizes: prev keeps the shape of the values
    else resets += foldGauges(pv, values, w, from, to, k === PEAK);
  }
  return resets;
}
