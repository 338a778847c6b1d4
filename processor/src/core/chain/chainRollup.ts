/**
 * Rollup windows of one chain element: max allocation, min free, max growth and
 * physical at window end (series `block.<dev>.<backingIndex>`, type chain), with the
 * element's format node and image: a position can hold two images in one window
 * (a snapshot or a commit pivot flushes the old element's windows and opens new ones).
 */
import { rollupRow } from '../rollup/rollupRow.js';
import type { Rollup } from '#schemas/outputs.js';
import { windowStart } from '../rollup/rollup.js';
import type { RecordScope } from '../scope.js';
import { NO_FREE, type ChainState, type ChainWindow, type VmState } from '../state/state.js';

export function emptyChainWindow(): ChainWindow {
  return { start: -1, samples: 0, maxAllocation: -1, minFree: NO_FREE, maxGrowth: -1, physicalEnd: -1 };
}

function row(w: ChainWindow, res: number, series: string, cs: ChainState, vm: VmState): Rollup {
  return rollupRow(
    { resolutionMs: res, windowStart: w.start, vm, series, type: 'chain', unit: 'bytes', count: w.samples },
    {
      maxAllocation: w.maxAllocation < 0 ? null : w.maxAllocation,
      minFree: w.minFree === NO_FREE ? null : w.minFree,
      maxGrowth: w.maxGrowth < 0 ? null : w.maxGrowth,
      physicalEnd: w.physicalEnd < 0 ? null : w.physicalEnd,
      node: cs.formatNode,
      filename: cs.filename === '' ? null : cs.filename,
    },
  );
}

function clear(w: ChainWindow, start: number): void {
  w.start = start;
  w.samples = 0;
  w.maxAllocation = -1;
  w.minFree = NO_FREE;
  w.maxGrowth = -1;
  w.physicalEnd = -1;
}

/** What one sample says of a chain element, as its windows fold it (null: unknown). */
export interface ChainPoint {
  allocation: number | null;
  free: number | null;
  growth: number | null;
  physical: number | null;
}

/** Folds one sample of the element at `series` (block.<dev>.<backingIndex>) into every resolution's window. */
export function foldChainWindows(scope: RecordScope, cs: ChainState, series: string, p: ChainPoint): void {
  const { t } = scope;
  const resolutions = scope.ctx.resolutions;
  const allocation = p.allocation ?? -1;
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = (cs.win[r] ??= emptyChainWindow()); // a checkpoint written under fewer resolutions
    if (w.start < 0 || t >= w.start + res) {
      if (w.start >= 0 && w.samples > 0) scope.out.rollups.push(row(w, res, series, cs, scope.vm));
      clear(w, windowStart(t, res));
    }
    w.samples++;
    if (allocation > w.maxAllocation) w.maxAllocation = allocation;
    if (p.free !== null && p.free < w.minFree) w.minFree = p.free;
    if (p.growth !== null && p.growth > w.maxGrowth) w.maxGrowth = p.growth;
    w.physicalEnd = p.physical ?? -1;
  }
}

/** Closes every open window of the element (it left its position, or the VM is evicted or flushed). */
export function flushChainWindows(scope: RecordScope, cs: ChainState, series: string): void {
  const resolutions = scope.ctx.resolutions;
  for (let r = 0; r < resolutions.length; r++) {
    const w = (cs.win[r] ??= emptyChainWindow()); // a checkpoint written under fewer resolutions
    if (w.start >= 0 && w.samples > 0) scope.out.rollups.push(row(w, resolutions[r]!, series, cs, scope.vm));
    clear(w, -1);
  }
}

/** Closes the element's windows that end at or before `until` (the partition's watermark; see watermark.ts). */
export function closeChainWindowsUntil(scope: RecordScope, cs: ChainState, series: string, until: number): void {
  const resolutions = scope.ctx.resolutions;
  for (let r = 0; r < resolutions.length; r++) {
    const res = resolutions[r]!;
    const w = (cs.win[r] ??= emptyChainWindow()); // a checkpoint written under fewer resolutions
    if (w.start < 0 || w.start + res > until) continue;
    if (w.samples > 0) scope.out.rollups.push(row(w, res, series, cs, scope.vm));
    clear(w, -1);
  }
}

/** The series name of the element at (dev, backingIndex). */
export function chainSeries(dev: string, backingIndex: number): string {
  return `block.${dev}.${backingIndex}`;
}
