/**
 * Smoothed growth of a backing-chain element's allocation (bytes/s), for
 * time-to-full and commit-growth.
 *
 * Why a window and not an EWMA (measured on thin-lv-enospc-commit.jsonl, 1 s ticks;
 * see test/unit/processor-growth.test.ts):
 * - The guest writes 8 MiB/s but stalls for single ticks (t≈9 s, at the pause, at
 *   the snapshot). A 5 s window stays at 6.3–8.0 MiB/s through a one-tick stall;
 *   EWMA(α=0.5) halves to 3.5 MiB/s on each, so time-to-full would jump 2× and flap.
 * - The block-commit copies in 16 MiB bursts every 3–4 ticks (true mean ≈ 4 MiB/s).
 *   The 5 s window reads 3.2–6.3 MiB/s and never reaches 0 while the job runs;
 *   EWMA(0.5) swings 1.1–8.8 MiB/s, and commit-growth would flap with it.
 * - Ramp-up: the window reaches 95 % of a new steady rate after W seconds, EWMA(0.5)
 *   after ~4 ticks: a small price for the above.
 * The window keeps the samples of the last W seconds plus one older base sample, so
 * its span is ≥ W (at 10 s polling it is one interval). Both methods restart on a
 * reset or a gap (counterRules.ts): the first interval after either emits nothing.
 */
import type { ProcessorConfig } from '../../../schemas/src/config/processor.js';

export interface GrowthState {
  /** Window: flat [t0, a0, t1, a1, …], oldest first. EWMA: the last [t, a]. */
  pts: number[];
  /** EWMA value (bytes/s); -1 = none yet. */
  ewma: number;
}

export function newGrowth(): GrowthState {
  return { pts: [], ewma: -1 };
}

/** Forgets history: the next point starts a new series. */
export function restartGrowth(g: GrowthState, t: number, allocation: number): void {
  g.pts = [t, allocation];
  g.ewma = -1;
}

/**
 * Adds (t, allocation) and returns the smoothed growth in bytes/s, or null when
 * there is no estimate yet. The caller restarts the estimator on resets and gaps.
 */
export function updateGrowth(g: GrowthState, t: number, allocation: number, cfg: ProcessorConfig['growth']): number | null {
  const pts = g.pts;
  if (pts.length === 0) {
    restartGrowth(g, t, allocation);
    return null;
  }
  if (cfg.method === 'ewma') return updateEwma(g, t, allocation, cfg.ewmaAlpha);
  pts.push(t, allocation);
  const horizon = t - cfg.windowSeconds * 1000;
  // Keep one base sample at or before the horizon: drop the oldest while the next one also is.
  let drop = 0;
  while (pts.length - drop > 4 && pts[drop + 2]! <= horizon) drop += 2;
  if (drop > 0) {
    pts.copyWithin(0, drop);
    pts.length -= drop;
  }
  const dt = t - pts[0]!;
  return dt > 0 ? ((allocation - pts[1]!) * 1000) / dt : null;
}

function updateEwma(g: GrowthState, t: number, allocation: number, alpha: number): number | null {
  const [t0, a0] = g.pts as [number, number];
  g.pts = [t, allocation];
  if (t <= t0) return g.ewma < 0 ? null : g.ewma;
  const r = ((allocation - a0) * 1000) / (t - t0);
  g.ewma = g.ewma < 0 ? r : alpha * r + (1 - alpha) * g.ewma;
  return g.ewma;
}
