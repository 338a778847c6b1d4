/**
 * Rollup windows of one chain element: max allocation, min free, max growth and
 * physical at window end (series `block.<dev>.<backingIndex>`, type chain), with the
 * element's format node and image: a position can hold two images in one window
 * (a snapshot or a commit pivot flushes the old element's windows and opens new ones).
 */
import type { Rollup } from '#schemas/outputs.js';
import { windowStart } from '../rollup/rollup.js';
import { NO_FREE, type ChainState, type ChainWindow, type VmState } from '../state/state.js';

export function emptyChainWindow(): ChainWindow {
  return { start: -1, n: 0, maxAllocation: -1, minFree: NO_FREE, maxGrowth: -1, physicalEnd: -1 };
}

function row(w: ChainWindow, res: number, series: string, cs: ChainState, vm: VmState): Rollup {
  return {
    kind: 'rollup',
    resolutionMs: res,
    windowStart: w.start,
    vm: vm.name,
    vmUuid: vm.uuid,
    series,
    type: 'chain',
    unit: 'bytes',
    count: w.n,
    min: null,
    max: null,
    avg: null,
    last: null,
    increase: null,
    meanRate: null,
    peakRate: null,
    resets: null,
    p50: null,
    p90: null,
    p99: null,
    buckets: null,
    maxAllocation: w.maxAllocation < 0 ? null : w.maxAllocation,
    minFree: w.minFree === NO_FREE ? null : w.minFree,
    maxGrowth: w.maxGrowth < 0 ? null : w.maxGrowth,
    physicalEnd: w.physicalEnd < 0 ? null : w.physicalEnd,
    node: cs.formatNode,
    filename: cs.filename === '' ? null : cs.filename,
  };
}

function clear(w: ChainWindow, start: number): void {
  w.start = start;
  w.n = 0;
  w.maxAllocation = -1;
  w.minFree = NO_FREE;
  w.maxGrowth = -1;
  w.physicalEnd = -1;
}

/** Folds one sample (allocation -1, free/growth/physical null when unknown) into every resolution's window. */
export function foldChainWindows(
  cs: ChainState,
  dev: string,
  backingIndex: number,
  t: number,
  allocation: number,
  free: number | null,
  growth: number | null,
  physical: number | null,
  resolutions: readonly number[],
  vm: VmState,
  out: Rollup[],
): void {
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = cs.win[r]!;
    if (w.start < 0 || t >= w.start + res) {
      if (w.start >= 0 && w.n > 0) out.push(row(w, res, `block.${dev}.${backingIndex}`, cs, vm));
      clear(w, windowStart(t, res));
    }
    w.n++;
    if (allocation > w.maxAllocation) w.maxAllocation = allocation;
    if (free !== null && free < w.minFree) w.minFree = free;
    if (growth !== null && growth > w.maxGrowth) w.maxGrowth = growth;
    w.physicalEnd = physical ?? -1;
  }
}

export function flushChainWindows(cs: ChainState, dev: string, backingIndex: number, resolutions: readonly number[], vm: VmState, out: Rollup[]): void {
  for (let r = 0; r < resolutions.length; r++) {
    const w = cs.win[r]!;
    if (w.start >= 0 && w.n > 0) out.push(row(w, resolutions[r]!, `block.${dev}.${backingIndex}`, cs, vm));
    clear(w, -1);
  }
}

/** Closes the element's windows that end at or before `until` (the partition's watermark; see watermark.ts). */
export function closeChainWindowsUntil(
  cs: ChainState,
  dev: string,
  backingIndex: number,
  until: number,
  resolutions: readonly number[],
  vm: VmState,
  out: Rollup[],
): void {
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = cs.win[r]!;
    if (w.start < 0 || w.start + res > until) continue;
    if (w.n > 0) out.push(row(w, res, `block.${dev}.${backingIndex}`, cs, vm));
    clear(w, -1);
  }
}
