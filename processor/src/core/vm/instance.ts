/**
 * A new QEMU instance (instanceId changed: restart, migration): every counter of
 * the VM restarted from 0 (rule 2 of counterRules.ts). Cumulative slots are marked
 * so that their next value counts as a reset (no rate, increase from 0); chain
 * elements keep their last allocation as a warm-up floor (wr_highest_offset starts
 * low again); jobs, pauses and write thresholds died with the old process.
 */
import { nameTable } from '#common/names.js';
import { resolveWhere } from '../alerts/raise.js';
import { warmUpChains } from '../chain/chainStep.js';
import { layoutOfBlock } from '../context.js';
import type { RecordScope } from '../scope.js';
import { markInstanceReset, prevOf } from '../series/seriesBlock.js';

const DIED = new Set(['paused-enospc', 'block-job-error', 'commit-growth', 'threshold-crossed']);

export function resetInstance(scope: RecordScope, instanceId: string): void {
  const { state, vm, ctx } = scope;
  vm.instanceId = instanceId;
  for (const b of Object.values(vm.blocks)) {
    const layout = layoutOfBlock(ctx, state.snapshots, b.layout, prevOf(b));
    if (layout) markInstanceReset(b, layout);
  }
  warmUpChains(vm);
  resolveWhere(scope, (a) => DIED.has(a.type), `QEMU instance changed (${instanceId}): condition ended with the old process`);
  vm.jobs = nameTable();
  vm.pause = null;
  vm.shutdown = false;
  vm.running = true;
}
