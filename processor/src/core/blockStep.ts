/**
 * One sample of one block of values: find or create the block (within the
 * cardinality cap), close windows the sample has left, fold the values, emit.
 */
import { classifyInterval } from './counterRules.js';
import { layoutOfBlock, scratchFor, type CoreContext } from './context.js';
import { emitBlockRates } from './emit.js';
import type { Layout } from './layout.js';
import type { StepOutputs } from './outputs.js';
import { flushWindows, rollWindows } from './rollup.js';
import { foldValues, newBlock, type SeriesBlock } from './seriesBlock.js';
import type { CoreState, VmState } from './state.js';

/** The result of folding one block: its deltas sit in ctx.scratch until the next fold. */
export interface Folded {
  block: SeriesBlock;
  deltas: Float64Array;
  /** Δt of the interval (ms) when it allows rates, else -1. */
  dtMs: number;
}

/** Drops a block: flushes its windows and releases its series. */
export function dropBlock(state: CoreState, vm: VmState, key: string, ctx: CoreContext, out: StepOutputs): void {
  const b = vm.blocks[key];
  if (!b) return;
  const layout = layoutOfBlock(ctx, state.snapshots, b.layout, b.prev);
  if (layout) flushWindows(b, layout, ctx.resolutions, { vm: vm.name, vmUuid: vm.uuid }, out.rollups);
  const n = layout?.seriesCount ?? b.prev.length;
  vm.series -= n;
  state.series -= n;
  delete vm.blocks[key];
}

function blockFor(state: CoreState, vm: VmState, key: string, label: string, layout: Layout, ctx: CoreContext, out: StepOutputs): SeriesBlock | null {
  const cur = vm.blocks[key];
  if (cur && cur.layout === layout.id) return cur;
  if (cur) {
    // A new value shape under the same key (new snapshot): a new series, counted as a reset.
    state.counters.counterResets++;
    dropBlock(state, vm, key, ctx, out);
  }
  if (state.series + layout.seriesCount > ctx.config.state.maxSeries) {
    state.counters.seriesOverflow += layout.seriesCount;
    return null;
  }
  const b = newBlock(layout, label, ctx.resolutions.length);
  vm.blocks[key] = b;
  vm.series += layout.seriesCount;
  state.series += layout.seriesCount;
  return b;
}

export function stepBlock(state: CoreState, vm: VmState, key: string, label: string, layout: Layout, values: readonly number[], t: number, ctx: CoreContext, out: StepOutputs): Folded | null {
  const block = blockFor(state, vm, key, label, layout, ctx, out);
  if (!block) return null;
  const interval = classifyInterval(block.t, t, ctx.config.rates);
  if (interval === 'nonpositive') return null; // the VM-level check counted it
  const dtMs = t - block.t;
  rollWindows(block, layout, t, ctx.resolutions, { vm: vm.name, vmUuid: vm.uuid }, out.rollups);
  const deltas = scratchFor(ctx, layout.length);
  state.counters.counterResets += foldValues(block, layout, values, interval, dtMs, deltas);
  block.t = t;
  if (ctx.emitRates) emitBlockRates(block, layout, deltas, dtMs, t, vm.name, out.rates);
  return { block, deltas, dtMs: interval === 'ok' ? dtMs : -1 };
}
