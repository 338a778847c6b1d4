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
 * its span is ≥ W (at 10 s polling it is one interval), in a ring of at most RING
 * samples (sub-second polling shortens the window to RING samples). Both methods
 * restart on a reset or a gap (counterRules.ts): the first interval after either
 * emits nothing.
 */
import type { ProcessorConfig } from '#schemas/config/processor.js';

const RING = 16;

export interface GrowthState {
  /** Ring of [t, allocation] pairs (2·RING numbers, fixed size: no allocation per sample). */
  pts: number[];
  /** Index (in pairs) of the oldest sample, and how many there are. */
  head: number;
  count: number;
  /** EWMA value (bytes/s); -1 = none yet. */
  ewma: number;
}

export function newGrowth(): GrowthState {
  const pts: number[] = [0.5];
  pts.pop();
  for (let i = 0; i < 2 * RING; i++) pts.push(0);
  return { pts, head: 0, count: 0, ewma: -1 };
}

/** Forgets everything (in place): the next point is a first sight. */
export function clearGrowth(g: GrowthState): void {
  g.head = 0;
  g.count = 0;
  g.ewma = -1;
}

/** Forgets history: the next point starts a new series. */
export function restartGrowth(g: GrowthState, t: number, allocation: number): void {
  g.head = 0;
  g.count = 1;
  g.pts[0] = t;
  g.pts[1] = allocation;
  g.ewma = -1;
}

function at(g: GrowthState, k: number): number {
  return 2 * ((g.head + k) % RING);
}

/**
 * Adds (t, allocation) and returns the smoothed growth in bytes/s, or null when
 * there is no estimate yet. The caller restarts the estimator on resets and gaps.
 */
export function updateGrowth(g: GrowthState, t: number, allocation: number, cfg: ProcessorConfig['growth']): number | null {
  if (g.count === 0) {
    restartGrowth(g, t, allocation);
    return null;
  }
  if (cfg.method === 'ewma') return updateEwma(g, t, allocation, cfg.ewmaAlpha);
  const pts = g.pts;
  if (g.count === RING) {
    g.head = (g.head + 1) % RING;
    g.count--;
  }
  const w = at(g, g.count);
  pts[w] = t;
  pts[w + 1] = allocation;
  g.count++;
  const horizon = t - cfg.windowSeconds * 1000;
  // Keep one base sample at or before the horizon: drop the oldest while the next one also is.
  while (g.count > 2 && pts[at(g, 1)]! <= horizon) {
    g.head = (g.head + 1) % RING;
    g.count--;
  }
  const o = at(g, 0);
  const dt = t - pts[o]!;
  return dt > 0 ? ((allocation - pts[o + 1]!) * 1000) / dt : null;
}

function updateEwma(g: GrowthState, t: number, allocation: number, alpha: number): number | null {
  const o = at(g, 0);
  const t0 = g.pts[o]!;
  const a0 = g.pts[o + 1]!;
  restartGrowthKeep(g, t, allocation);
  if (t <= t0) return g.ewma < 0 ? null : g.ewma;
  const r = ((allocation - a0) * 1000) / (t - t0);
  g.ewma = g.ewma < 0 ? r : alpha * r + (1 - alpha) * g.ewma;
  return g.ewma;
}

/** Keeps only the newest point, leaving the EWMA as is. */
function restartGrowthKeep(g: GrowthState, t: number, allocation: number): void {
  g.head = 0;
  g.count = 1;
  g.pts[0] = t;
  g.pts[1] = allocation;
}
