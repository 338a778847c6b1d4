/**
 * A Layout says, for each value slot of a block of values (one StatsResult, one
 * device's counters, one interface), what kind of series it is, its unit and scale.
 * Layouts are derived data, built once per schema snapshot (or fixed for block and
 * net counters) and shared by every VM that uses them: the hot loop works on slot
 * indices and never builds a string per value.
 */

/** Slot kinds. A histogram is a SKIP slot (its bucket count n) followed by n BUCKET slots. */
export const SKIP = 0;
export const CUMULATIVE = 1;
export const GAUGE = 2;
export const PEAK = 3;
export const BUCKET = 4;

/** One named series of a layout: a scalar (one slot) or a histogram (n bucket slots). */
export interface SlotGroup {
  /** Series suffix: a KVM stat name, or `rd.bytes` for block counters. */
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** First value slot (for a histogram, its first bucket). */
  offset: number;
  size: number;
  /** Unit of the scaled value: bytes, seconds, cycles, boolean, count. */
  unit: string;
  /** Raw value × scale = value in `unit` (base^exponent). */
  scale: number;
  /** Histograms: raw lower bound of each bucket (the last bucket is open). */
  lower: number[] | null;
}

export interface Layout {
  /** Cache key: snapshot hash, provider, target and value shape; or 'block' / 'net'. */
  id: string;
  /** Number of value slots. */
  length: number;
  kinds: Uint8Array;
  groups: SlotGroup[];
  /** Pairs (slot, n): histogram count slots and the bucket count they must hold. */
  checks: number[];
  /** Series held per block of this layout (scalars + histogram buckets). */
  seriesCount: number;
  /** Runs of equal kinds as flat triples [kind, from, to): the fast fold walks these. */
  runs: number[];
}

/** Maximal runs of equal slot kinds, as flat [kind, from, to) triples. */
export function kindRuns(kinds: Uint8Array): number[] {
  const runs: number[] = [];
  for (let i = 0; i < kinds.length; ) {
    let j = i + 1;
    while (j < kinds.length && kinds[j] === kinds[i]) j++;
    runs.push(kinds[i]!, i, j);
    i = j;
  }
  return runs;
}

/** Whether `values` has the shape this layout was built for (cheap: length and histogram sizes). */
export function fitsLayout(layout: Layout, values: readonly number[]): boolean {
  if (values.length !== layout.length) return false;
  const c = layout.checks;
  for (let i = 0; i < c.length; i += 2) if (values[c[i]!] !== c[i + 1]) return false;
  return true;
}

/** Builds a layout from its groups (offsets and sizes must tile [0, length)). */
export function layoutOf(id: string, length: number, groups: SlotGroup[], kindOf: (g: SlotGroup) => number): Layout {
  const kinds = new Uint8Array(length);
  const checks: number[] = [];
  let seriesCount = 0;
  for (const g of groups) {
    if (g.type === 'histogram') {
      kinds[g.offset - 1] = SKIP;
      checks.push(g.offset - 1, g.size);
    }
    for (let i = 0; i < g.size; i++) kinds[g.offset + i] = kindOf(g);
    seriesCount += g.size;
  }
  return { id, length, kinds, groups, checks, seriesCount, runs: kindRuns(kinds) };
}

/** base^exponent, as query-stats-schemas describes (base absent = exponent 0). */
export function scaleOf(base: number, exponent: number): number {
  if (exponent === 0 || (base !== 10 && base !== 2)) return 1;
  return base ** exponent;
}

/** Unit of a rate of `unit`. */
export function rateUnit(unit: string): string {
  return `${unit}/s`;
}
