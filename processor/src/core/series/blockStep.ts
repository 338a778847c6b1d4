/**
 * One sample of one block of values: find or create the block (within the
 * cardinality cap), close windows the sample has left, fold the values, emit.
 */
import { classifyInterval } from './counterRules.js';
import { clearVmCache, layoutOfBlock, scratchFor } from '../context.js';
import { emitBlockRates } from './emit.js';
import type { Layout } from './layout.js';
import type { RecordScope } from '../scope.js';
import { admitSeries, releaseSeries } from './seriesCap.js';
import { flushWindows, rollWindows } from '../rollup/rollup.js';
import { foldValues, newBlock, prevOf, type SeriesBlock } from './seriesBlock.js';

/**
 * What folding a block returns: Δt of the interval (ms) when it allows rates, -1 when
 * it does not, NOT_FOLDED when the block was refused (cap) or the sample dropped.
 * The interval's deltas sit in ctx.scratch until the next fold.
 */
export const NOT_FOLDED = -2;

/** Drops a block: flushes its windows and releases its series. */
export function dropBlock(scope: RecordScope, key: string): void {
  const { state, vm, ctx, out } = scope;
  const b = vm.blocks[key];
  if (!b) return;
  const layout = layoutOfBlock(ctx, state.snapshots, b.layout, prevOf(b));
  if (layout) flushWindows(b, layout, ctx.resolutions, vm, out.rollups);
  clearVmCache(ctx, vm); // cached bindings may point at this block
  releaseSeries(scope, layout?.seriesCount ?? b.minBase.length);
  delete vm.blocks[key];
}

/** The VM's block under `key` with this layout, created (within the cardinality caps) when missing; null when refused. */
export function blockFor(scope: RecordScope, key: string, label: string, layout: Layout): SeriesBlock | null {
  const { state, vm, ctx } = scope;
  const cur = vm.blocks[key];
  if (cur && cur.layout === layout.id) return cur;
  if (cur) {
    // A new value shape under the same key (new snapshot): a new series, counted as a reset.
    state.counters.counterResets++;
    dropBlock(scope, key);
  }
  if (!admitSeries(scope, layout.seriesCount)) return null;
  const b = newBlock(layout, label, ctx.resolutions.length);
  vm.blocks[key] = b;
  return b;
}

/** One sample of the block under `key` (see foldBlock). */
export function stepBlock(scope: RecordScope, key: string, label: string, layout: Layout, values: readonly number[]): number {
  const block = blockFor(scope, key, label, layout);
  return block ? foldBlock(scope, block, layout, values) : NOT_FOLDED;
}

/**
 * Folds one sample into a block known to have this layout. The interval's deltas go
 * to ctx.scratch when the caller needs them (`needDeltas`) or rates are emitted.
 */
export function foldBlock(scope: RecordScope, block: SeriesBlock, layout: Layout, values: readonly number[], needDeltas = false): number {
  const { state, ctx, t } = scope;
  const interval = classifyInterval(block.t, t, ctx.config.rates);
  if (interval === 'nonpositive') return NOT_FOLDED; // the VM-level check counted it
  const dtMs = t - block.t;
  rollWindows(block, layout, t, ctx.resolutions, scope.vm, scope.out.rollups);
  const deltas = needDeltas || ctx.emitRates ? scratchFor(ctx, layout.length) : null;
  state.counters.counterResets += foldValues(block, layout, values, interval, dtMs, deltas);
  block.t = t;
  if (deltas !== null && ctx.emitRates) emitBlockRates(block, layout, deltas, dtMs, t, scope.vm, scope.out.rates, ctx.emitPoints ? scope.out.points : null);
  return interval === 'ok' ? dtMs : -1;
}
