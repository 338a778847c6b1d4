/**
 * Rollup windows of one chain element: max allocation, min free, max growth and
 * physical at window end (series `block.<dev>.<backingIndex>`, type chain).
 */
import type { Rollup } from './outputs.js';
import { windowStart } from './rollup.js';
import type { ChainState, ChainWindow, VmState } from './state.js';

export interface ChainPoint {
  allocation: number;
  free: number | null;
  growth: number | null;
  physical: number | null;
}

function row(w: ChainWindow, res: number, series: string, vm: VmState): Rollup {
  return {
    kind: 'rollup', resolutionMs: res, windowStart: w.start, vm: vm.name, vmUuid: vm.uuid, series, type: 'chain', unit: 'bytes', count: w.n,
    min: null, max: null, avg: null, last: null, increase: null, meanRate: null, peakRate: null, resets: null,
    p50: null, p90: null, p99: null, buckets: null,
    maxAllocation: w.maxAllocation, minFree: w.minFree, maxGrowth: w.maxGrowth, physicalEnd: w.physicalEnd,
  };
}

function clear(w: ChainWindow, start: number): void {
  Object.assign(w, { start, n: 0, maxAllocation: null, minFree: null, maxGrowth: null, physicalEnd: null });
}

const max = (a: number | null, b: number | null): number | null => (b === null ? a : a === null ? b : Math.max(a, b));
const min = (a: number | null, b: number | null): number | null => (b === null ? a : a === null ? b : Math.min(a, b));

export function foldChainWindows(cs: ChainState, series: string, t: number, p: ChainPoint, resolutions: readonly number[], vm: VmState, out: Rollup[]): void {
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = cs.win[r]!;
    const start = windowStart(t, res);
    if (w.start !== start) {
      if (w.start >= 0 && w.n > 0) out.push(row(w, res, series, vm));
      clear(w, start);
    }
    w.n++;
    w.maxAllocation = max(w.maxAllocation, p.allocation >= 0 ? p.allocation : null);
    w.minFree = min(w.minFree, p.free);
    w.maxGrowth = max(w.maxGrowth, p.growth);
    w.physicalEnd = p.physical;
  }
}

export function flushChainWindows(cs: ChainState, series: string, resolutions: readonly number[], vm: VmState, out: Rollup[]): void {
  for (let r = 0; r < resolutions.length; r++) {
    const w = cs.win[r]!;
    if (w.start >= 0 && w.n > 0) out.push(row(w, resolutions[r]!, series, vm));
    clear(w, -1);
  }
}
