/**
 * Runs the chain-element rules (chainRules.ts) through the alert machine, and
 * resolves an image's alerts when it leaves its device's chain. An image that only
 * moves within the chain (a snapshot pushes it down; a commit or pivot brings it up)
 * keeps its alerts: they are about the image, not its position.
 */
import type { RecordScope } from '../scope.js';
import { commitGrowth, improbableAllocation, timeToFull, watermark, type ChainView, type JobsView } from './chainRules.js';
import { currentLevel, hasAlerts, raise, resolveWhere, type Subject } from './raise.js';
import { NONE, type Level } from './machine.js';
import type { AlertType } from '#schemas/config/processor.js';

export function evaluateChainRules(scope: RecordScope, v: ChainView, jobs: JobsView | null): void {
  const a = scope.ctx.config.alerts;
  const vm = scope.vm;
  const s: Subject = { device: v.dev, backingIndex: v.backingIndex, node: v.formatNode, blockJob: '', image: v.image };
  const firing = hasAlerts(vm);
  const cur = (type: AlertType): Level => (firing ? currentLevel(vm, type, s) : NONE);
  raise(scope, 'watermark', s, watermark(v, cur('watermark'), a.watermark));
  raise(scope, 'time-to-full', s, timeToFull(v, cur('time-to-full'), a.timeToFull));
  raise(scope, 'improbable-allocation', s, improbableAllocation(v, cur('improbable-allocation'), a.improbable, a.watermark.chunkMiB));
  raise(scope, 'commit-growth', s, commitGrowth(v, cur('commit-growth'), jobs, a.commitGrowth, a.timeToFull));
}

/** The image left the chain of `dev` (it was at `backingIndex`, under `formatNode`). */
export function resolveImageAlerts(scope: RecordScope, dev: string, backingIndex: number, image: string, formatNode: string): void {
  resolveWhere(
    scope,
    (al) => al.type !== 'paused-enospc' && al.labels.device === dev && al.labels.image === image,
    `${formatNode} left ${dev}[${backingIndex}]`,
  );
}
