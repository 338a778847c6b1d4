/**
 * Window closing by the partition's watermark: the partition's event-time clock
 * (`state.clock`, the largest record time seen) minus the allowed lateness, the same
 * watermark the rollup buffer (processor/src/partition/rollupBuffer.ts) writes a window's object by.
 *
 * A series' window otherwise closes only when its own next sample falls in a later
 * window, so a VM that went silent kept its last windows open until it sent again or
 * was evicted, long after the buffer had written them: its rows came late and were
 * lost. Here, when the watermark crosses a boundary of the finest resolution, the
 * windows of every series (blocks and chain elements of every VM) that end at or
 * before it close, input or not, so their rows reach the buffer in the batch that
 * writes their window. Every resolution's windows end on a finest boundary, so
 * crossing those is enough.
 *
 * A row emitted later for a window the watermark had already passed (a record more
 * than the lateness behind the partition's clock re-opened it) would be a second row
 * for that window: it is left out and counted (`outputs.lateRollups`).
 *
 * Deterministic: driven record by record by record times, and nothing is added to
 * the state (whether a record crosses a boundary follows from the clock before and
 * after it), so checkpoints keep their format. Cost: one visit of every block and
 * chain element per finest window of event time (a compare each; 1 min by default),
 * never per record; layouts are looked up only for blocks with a window to close.
 */
import { chainSeries, closeChainWindowsUntil } from '../chain/chainRollup.js';
import { layoutOfBlock, type CoreContext } from '../context.js';
import type { Rollup } from '#schemas/outputs.js';
import type { StepOutputs } from '../outputs.js';
import { closeWindowsUntil, hasWindowDue } from './rollup.js';
import { prevOf } from '../series/seriesBlock.js';
import type { RecordScope } from '../scope.js';
import type { CoreState } from '../state/state.js';
import { closeSequenceWindows } from '../vm/sequence.js';

/**
 * Run after a record moved the watermark boundary (clock/hosts.ts: the finest window
 * start of the slowest keeping-up host's clock minus the lateness) from `before` to
 * `after`: if it advanced, closes every window that ended by it.
 */
export function closeByWatermark(state: CoreState, ctx: CoreContext, before: number, after: number, out: StepOutputs): void {
  if (after <= before) return;
  for (const vm of Object.values(state.vms)) closeVmWindows({ state, vm, t: state.clock, ctx, out }, after);
}

function closeVmWindows(scope: RecordScope, until: number): void {
  const { state, vm, ctx } = scope;
  const resolutions = ctx.resolutions;
  for (const b of Object.values(vm.blocks)) {
    if (!hasWindowDue(b, until, resolutions)) continue;
    const layout = layoutOfBlock(ctx, state.snapshots, b.layout, prevOf(b));
    if (layout) closeWindowsUntil(b, layout, until, resolutions, vm, scope.out.rollups);
  }
  for (const dev of Object.keys(vm.chains)) {
    const list = vm.chains[dev]!;
    for (let i = 0; i < list.length; i++) closeChainWindowsUntil(scope, list[i]!, chainSeries(dev, i), until);
  }
  closeSequenceWindows(scope, until);
}

/**
 * Leaves out the rows from index `from` on whose window ended at or before
 * `watermark` (the watermark boundary before the record that emitted them): those
 * windows were closed, and their rows emitted, when the watermark passed them. Returns how many.
 */
export function dropLateRows(rows: Rollup[], from: number, watermark: number): number {
  let k = from;
  for (let i = from; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.windowStart + r.resolutionMs > watermark) rows[k++] = r;
  }
  const late = rows.length - k;
  rows.length = k;
  return late;
}
