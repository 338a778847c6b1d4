/**
 * KVM histogram buckets (Linux Documentation/virt/kvm/api.rst; QEMU passes them on
 * unchanged), with zero-based index i and n buckets:
 * - log2:   i = 0 is [0, 1); 1 ≤ i ≤ n−2 is [2^(i−1), 2^i); i = n−1 is [2^(n−2), +∞).
 * - linear: i < n−1 is [bs·i, bs·(i+1)); the last bucket is [bs·(n−1), +∞).
 * Bucket values are cumulative counts; the processor works on per-interval deltas.
 */

/** Raw lower bounds of a log2 histogram's n buckets. */
export function log2Lower(n: number): number[] {
  const lower = new Array<number>(n);
  for (let i = 0; i < n; i++) lower[i] = i === 0 ? 0 : 2 ** (i - 1);
  return lower;
}

/** Raw lower bounds of a linear histogram's n buckets of width bucketSize. */
export function linearLower(n: number, bucketSize: number): number[] {
  const lower = new Array<number>(n);
  for (let i = 0; i < n; i++) lower[i] = bucketSize * i;
  return lower;
}

/**
 * The q-quantile (0 < q ≤ 1) of bucketed counts `counts[from .. from+n)`, interpolating
 * linearly inside the bucket that holds the rank. A quantile in the open last bucket
 * reports that bucket's lower bound. Null when the counts are all zero.
 */
export function bucketQuantile(lower: readonly number[], counts: ArrayLike<number>, from: number, q: number): number | null {
  const n = lower.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += counts[from + i]!;
  if (total <= 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const c = counts[from + i]!;
    if (c > 0 && seen + c >= rank) {
      const lo = lower[i]!;
      if (i === n - 1) return lo;
      return lo + ((rank - seen) / c) * (lower[i + 1]! - lo);
    }
    seen += c;
  }
  return lower[n - 1]!;
}

/** The quantiles every histogram reports. */
export const QUANTILES: ReadonlyArray<readonly [string, number]> = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
];
