/**
 * Runs the chain-element rules (chainRules.ts) through the alert machine, and
 * resolves an element's alerts when its node leaves the position.
 */
import type { CoreContext } from '../context.js';
import type { Alert } from '#schemas/outputs.js';
import type { VmState } from '../state/state.js';
import { commitGrowth, improbableAllocation, timeToFull, watermark, type ChainView, type JobsView } from './chainRules.js';
import { currentLevel, hasAlerts, raise, resolveWhere, type Subject } from './raise.js';
import { NONE, type Level } from './machine.js';
import type { AlertType } from '#schemas/config/processor.js';

export function evaluateChainRules(ctx: CoreContext, vm: VmState, v: ChainView, jobs: JobsView | null, t: number, out: Alert[]): void {
  const a = ctx.config.alerts;
  const s: Subject = { device: v.dev, backingIndex: v.backingIndex, node: v.formatNode, job: '' };
  const firing = hasAlerts(vm);
  const cur = (type: AlertType): Level => (firing ? currentLevel(vm, type, s) : NONE);
  raise(ctx, vm, 'watermark', s, watermark(v, cur('watermark'), a.watermark), t, out);
  raise(ctx, vm, 'time-to-full', s, timeToFull(v, cur('time-to-full'), a.timeToFull), t, out);
  raise(ctx, vm, 'improbable-allocation', s, improbableAllocation(v, cur('improbable-allocation'), a.improbable, a.watermark.chunkMiB), t, out);
  raise(ctx, vm, 'commit-growth', s, commitGrowth(v, cur('commit-growth'), jobs, a.commitGrowth, a.timeToFull), t, out);
}

/** The element at (dev, backingIndex) holding these nodes went away. */
export function resolveElementAlerts(vm: VmState, dev: string, backingIndex: number, formatNode: string, storageNode: string, t: number, out: Alert[]): void {
  resolveWhere(
    vm,
    (al) =>
      al.type !== 'paused-enospc' &&
      al.labels.device === dev &&
      al.labels.backingIndex === backingIndex &&
      (al.labels.node === formatNode || al.labels.node === storageNode),
    `${formatNode} left ${dev}[${backingIndex}]`,
    t,
    out,
  );
}
