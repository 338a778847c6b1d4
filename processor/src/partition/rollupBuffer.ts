/**
 * Groups the core's Rollup rows into one object per input partition per window.
 *
 * The core closes a VM's window when that VM's next sample falls in a later window,
 * or, for every VM at once, when the partition's watermark passes its end (the core
 * is given the same allowed lateness: core/rollup/watermark.ts), so rows of one window arrive
 * VM by VM. This buffer holds them until the partition's watermark (max event time
 * seen − allowed lateness) passes the window's end, then releases the whole window at
 * once: one object per partition per window, never one per series. A row for a window
 * already released is late: it is counted and left out, never rewriting an object that
 * was already committed (the core leaves such rows out itself and counts them).
 *
 * Pure and plain-JSON (it is part of the partition checkpoint). The state is owned
 * by the caller and updated in place.
 */
import type { Rollup } from '#schemas/outputs.js';

export interface RollupBufferConfig {
  allowedLatenessMs: number;
  /**
   * The core's watermark boundary (core/clock/hosts.ts: windows ending by it are closed),
   * when it is known: it waits for a host running late. Without it, the latest event time
   * minus the lateness.
   */
  closedUntil?: number;
}

export interface RollupBufferState {
  maxEventT: number | null;
  /** End of the newest released window, by resolution (ms as a string key). */
  closedUpTo: Record<string, number>;
  pending: Record<string, Rollup[]>;
  late: number;
}

export interface ClosedWindow {
  resolutionMs: number;
  windowStart: number;
  rows: Rollup[];
}

export function initialRollupBuffer(): RollupBufferState {
  return { maxEventT: null, closedUpTo: {}, pending: {}, late: 0 };
}

/** Adds rows, advances the latest event time to `eventT`, and releases the windows the watermark passed. */
export function bufferRollups(
  state: RollupBufferState,
  rows: readonly Rollup[],
  eventT: number | null,
  cfg: RollupBufferConfig,
): { state: RollupBufferState; due: ClosedWindow[] } {
  for (const r of rows) {
    if (r.windowStart + r.resolutionMs <= (state.closedUpTo[String(r.resolutionMs)] ?? -Infinity)) {
      state.late++;
      continue;
    }
    (state.pending[`${r.resolutionMs}:${r.windowStart}`] ??= []).push(r);
  }
  if (eventT !== null && (state.maxEventT === null || eventT > state.maxEventT)) state.maxEventT = eventT;
  const watermark = cfg.closedUntil ?? (state.maxEventT === null ? -Infinity : state.maxEventT - cfg.allowedLatenessMs);
  return { state, due: release(state, (res, start) => start + res <= watermark) };
}

/** Releases every pending window (input ended: a replay, or the demo's last flush). */
export function releaseAll(state: RollupBufferState): { state: RollupBufferState; due: ClosedWindow[] } {
  return { state, due: release(state, () => true) };
}

function release(state: RollupBufferState, isDue: (res: number, start: number) => boolean): ClosedWindow[] {
  const due: ClosedWindow[] = [];
  for (const [key, rows] of Object.entries(state.pending)) {
    const [res, start] = key.split(':').map(Number) as [number, number];
    if (!isDue(res, start)) continue;
    delete state.pending[key];
    state.closedUpTo[String(res)] = Math.max(state.closedUpTo[String(res)] ?? -Infinity, start + res);
    due.push({ resolutionMs: res, windowStart: start, rows: rows.sort(byVmSeries) });
  }
  return due.sort((a, b) => a.windowStart - b.windowStart || a.resolutionMs - b.resolutionMs);
}

/** By VM, series, then node (a chain position can hold two images in one window). */
function byVmSeries(a: Rollup, b: Rollup): number {
  if (a.vm !== b.vm) return a.vm < b.vm ? -1 : 1;
  if (a.series !== b.series) return a.series < b.series ? -1 : 1;
  const an = a.node ?? '';
  const bn = b.node ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}
