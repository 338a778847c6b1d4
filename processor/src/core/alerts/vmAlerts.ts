/**
 * Event- and VM-level alerts:
 * - paused-enospc (critical): BLOCK_IO_ERROR with nospace, or a sample in run state
 *   io-error with a device at io-status nospace (a missed event). Resolves on RESUME
 *   (or a running sample, if RESUME was missed), reporting how long the VM was paused
 *   (STOP → RESUME by QEMU's event clock).
 * - threshold-crossed (warning): BLOCK_WRITE_THRESHOLD. QEMU disarms the threshold
 *   when it fires (one-shot), so the alert holds until a slow-group sample shows it
 *   re-armed on that node; a second event while firing means it was re-armed and
 *   crossed again.
 * - io-errors (warning): Δfailed_wr_operations > 0; resolves after N quiet intervals.
 * - stale (warning): no Sample from a VM that did not shut down for N intervals of
 *   the partition's event-time clock.
 */
import type { Sample } from '#schemas/types.js';
import type { CoreEvent } from '../vm/events.js';
import { locateIoError, locateNode } from '../vm/locate.js';
import type { RecordScope } from '../scope.js';
import type { VmState } from '../state/state.js';
import { fmtBytes, fmtSeconds } from './levels.js';
import { CRITICAL, NONE, WARNING } from './machine.js';
import { VM_SUBJECT, current, hasAlerts, imageOf, raise, resolveWhere, type Subject } from './raise.js';

type IoError = Extract<CoreEvent, { event: 'BLOCK_IO_ERROR' }>;
type Threshold = Extract<CoreEvent, { event: 'BLOCK_WRITE_THRESHOLD' }>;

function hasType(vm: VmState, type: string): boolean {
  if (vm.firing === 0) return false;
  for (const k in vm.alerts) if (vm.alerts[k]!.type === type) return true;
  return false;
}

/** BLOCK_IO_ERROR with nospace (`us`: QEMU's event time, µs). */
export function pauseOnNospace(scope: RecordScope, ev: IoError, us: number): void {
  if (!ev.nospace) return;
  const vm = scope.vm;
  const loc = locateIoError(vm, ev.node, ev.device, ev.qomPath);
  const s: Subject = { device: loc?.dev ?? ev.device, backingIndex: loc?.backingIndex ?? null, node: ev.node, blockJob: '', image: loc?.image ?? ev.node };
  vm.pause ??= { t: scope.t, us };
  const msg = `${s.device || ev.qomPath}: ${ev.operation} to ${ev.node || 'the disk'} failed with ENOSPC (action ${ev.action}): the VM is paused until the volume is extended and the VM resumed`;
  raise(scope, 'paused-enospc', s, { level: CRITICAL, value: 0, threshold: 0, message: msg });
}

/** STOP: the pause starts now, if an ENOSPC error caused it. */
export function stopped(scope: RecordScope, us: number): void {
  const vm = scope.vm;
  vm.running = false;
  if (vm.pause) vm.pause = { t: scope.t, us };
}

/** RESUME (`us` 0: inferred from a running sample). */
export function resumed(scope: RecordScope, us: number): void {
  const vm = scope.vm;
  vm.running = true;
  const p = vm.pause;
  vm.pause = null;
  if (!p) return;
  const pausedMs = us > 0 && p.us > 0 ? Math.round((us - p.us) / 1000) : scope.t - p.t;
  resolveWhere(scope, (a) => a.type === 'paused-enospc', `resumed after ${fmtSeconds(pausedMs / 1000)} paused on ENOSPC`, {
    value: pausedMs / 1000,
    pausedMs,
  });
}

/** A sample's run state: io-error with io-status nospace fires (missed event); running resolves (missed RESUME). */
export function pauseFromSample(scope: RecordScope, s: Sample): void {
  const vm = scope.vm;
  if (vm.status !== s.status) vm.status = s.status;
  if (s.running) {
    if (vm.pause && hasType(vm, 'paused-enospc')) resumed(scope, 0);
    vm.running = true;
    return;
  }
  vm.running = false;
  if (s.status !== 'io-error' || hasType(vm, 'paused-enospc')) return;
  const d = s.blockDevices.find((x) => x.ioStatus === 'nospace');
  if (!d) return;
  vm.pause ??= { t: scope.t, us: scope.t * 1000 };
  const top = d.chain[0];
  const image = top ? imageOf(top.filename, top.formatNode) : (d.nodeName ?? '');
  const subject: Subject = { device: d.dev, backingIndex: 0, node: d.nodeName ?? '', blockJob: '', image };
  const msg = `${d.dev}: VM in run state io-error with io-status nospace: paused until the volume is extended and the VM resumed`;
  raise(scope, 'paused-enospc', subject, { level: CRITICAL, value: 0, threshold: 0, message: msg });
}

export function thresholdCrossed(scope: RecordScope, ev: Threshold): void {
  const vm = scope.vm;
  const loc = locateNode(vm, ev.node);
  const s: Subject = { device: loc?.dev ?? '', backingIndex: loc?.backingIndex ?? null, node: ev.node, blockJob: '', image: loc?.image ?? ev.node };
  const offset = ev.threshold + ev.exceeded;
  if (loc) {
    const cs = vm.chains[loc.dev]![loc.backingIndex]!;
    cs.eventFloor = Math.max(cs.eventFloor, offset);
  }
  const again = current(vm, 'threshold-crossed', s) !== undefined;
  if (again) {
    const message = `${ev.node}: threshold was re-armed and crossed again`;
    raise(scope, 'threshold-crossed', s, { level: NONE, value: offset, threshold: ev.threshold, message });
  }
  const msg =
    `${ev.node}: write reached ${fmtBytes(offset)}, ${fmtBytes(ev.exceeded)} past the write threshold ${fmtBytes(ev.threshold)}; ` +
    `QEMU disarmed it (one-shot): ${again ? 'it had been re-armed, ' : ''}not re-armed since: re-arm it after extending`;
  raise(scope, 'threshold-crossed', s, { level: WARNING, value: offset, threshold: ev.threshold, message: msg });
}

/** Resolves threshold-crossed alerts whose node shows a threshold again in a fresh slow-group sample. */
export function thresholdRearmed(scope: RecordScope, s: Sample): void {
  if (!s.slowRefresh || !hasType(scope.vm, 'threshold-crossed')) return;
  const t = scope.t;
  for (const d of s.blockDevices) {
    for (const el of d.chain) {
      if (el.writeThreshold <= 0) continue;
      resolveWhere(
        scope,
        (a) => a.type === 'threshold-crossed' && a.startsAt < t && (a.labels.node === el.storageNode || a.labels.node === el.formatNode),
        `${el.storageNode ?? el.formatNode}: write threshold re-armed at ${fmtBytes(el.writeThreshold)}`,
      );
    }
  }
}

/** Δfailed_wr_operations of one device over the interval (-1: none, after first sight or a reset). */
export function ioErrors(scope: RecordScope, dev: string, delta: number): void {
  if (delta < 0) return;
  const s: Subject = { device: dev, backingIndex: null, node: '', blockJob: '', image: '' };
  if (delta > 0) {
    const message = `${dev}: ${delta} failed write operations in the last interval`;
    const a = raise(scope, 'io-errors', s, { level: WARNING, value: delta, threshold: 0, message });
    if (a) a.memo.quiet = 0;
    return;
  }
  const a = current(scope.vm, 'io-errors', s);
  if (!a) return;
  a.memo.quiet = (a.memo.quiet ?? 0) + 1;
  if (a.memo.quiet >= scope.ctx.config.alerts.ioErrorsClearIntervals) {
    raise(scope, 'io-errors', s, { level: NONE, value: 0, threshold: 0, message: `${dev}: no failed writes for ${a.memo.quiet} intervals` });
  }
}

/** The sweep's check, at the partition's clock (scope.t). */
export function staleCheck(scope: RecordScope): void {
  const { vm, ctx } = scope;
  if (vm.lastT < 0) return;
  const limit = ctx.config.alerts.staleIntervals * ctx.config.rates.sampleIntervalMs;
  const silent = scope.t - vm.lastT;
  if (vm.shutdown || silent <= limit) return;
  const msg = `no sample for ${fmtSeconds(silent / 1000)} (more than ${ctx.config.alerts.staleIntervals} intervals): agent, QMP socket or VM unresponsive`;
  raise(scope, 'stale', VM_SUBJECT, { level: WARNING, value: silent / 1000, threshold: limit / 1000, message: msg });
}

export function staleResolved(scope: RecordScope): void {
  const vm = scope.vm;
  if (!hasAlerts(vm)) return;
  const a = current(vm, 'stale', VM_SUBJECT);
  if (a) raise(scope, 'stale', VM_SUBJECT, { level: NONE, value: (scope.t - vm.lastT) / 1000, threshold: 0, message: 'samples arrive again' });
}
