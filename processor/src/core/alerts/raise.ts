/**
 * Glue between rules and the state machine: skips disabled alert types, builds
 * labels from the VM, and resolves alerts whose subject went away (an image left its
 * chain, a job ended, the VM was evicted).
 */
import type { AlertType } from '#schemas/config/processor.js';
import type { AlertLabels } from '#schemas/outputs.js';
import type { RecordScope } from '../scope.js';
import type { VmState } from '../state/state.js';
import { NONE, alertKey, observe, type AlertState, type Level, type Observation } from './machine.js';

/** What an alert is about, within its VM (device, image, blockJob), and where that is now (backingIndex, node). */
export type Subject = Pick<AlertLabels, 'device' | 'backingIndex' | 'node' | 'blockJob' | 'image'>;

export const VM_SUBJECT: Subject = { device: '', backingIndex: null, node: '', blockJob: '', image: '' };

/** The image's identity: its filename, else its format node name (an image opened without one). */
export function imageOf(filename: string, formatNode: string): string {
  return filename || formatNode;
}

export function labelsOf(vm: VmState, s: Subject): AlertLabels {
  return {
    host: vm.host,
    vm: vm.name,
    vmUuid: vm.uuid,
    device: s.device,
    backingIndex: s.backingIndex,
    node: s.node,
    blockJob: s.blockJob,
    image: s.image,
  };
}

/** Whether the VM has any alert firing (the common case is none: rules then skip key building). */
export function hasAlerts(vm: VmState): boolean {
  return vm.firing > 0;
}

/** Current level of the alert of this type and subject. */
export function currentLevel(vm: VmState, type: AlertType, s: Subject): Level {
  return hasAlerts(vm) ? (vm.alerts[alertKey(type, s)]?.level ?? NONE) : NONE;
}

export function current(vm: VmState, type: AlertType, s: Subject): AlertState | undefined {
  return vm.alerts[alertKey(type, s)];
}

/** Feeds an observation (or null: the rule does not apply, which resolves) to the alert's machine. */
export function raise(scope: RecordScope, type: AlertType, s: Subject, obs: Observation | null): AlertState | undefined {
  if (scope.ctx.disabled.has(type)) return undefined;
  const vm = scope.vm;
  if ((obs === null || obs.level === NONE) && !hasAlerts(vm)) return undefined;
  const key = alertKey(type, s);
  if (obs === null || obs.level === NONE) {
    if (!(key in vm.alerts)) return undefined;
    const last = vm.alerts[key]!;
    obs ??= { level: NONE, value: last.value, threshold: 0, message: 'no longer applies' };
  }
  const had = key in vm.alerts;
  const st = observe(vm.alerts, key, type, labelsOf(vm, s), obs, scope.t, scope.out.alerts, scope.ctx.routing);
  vm.firing += (st ? 1 : 0) - (had ? 1 : 0);
  return st;
}

/** Resolves the VM's alerts matching `pred`, in key order, with one message. */
export function resolveWhere(scope: RecordScope, pred: (a: AlertState) => boolean, message: string, extra: Partial<Observation> = {}): void {
  const vm = scope.vm;
  for (const key of Object.keys(vm.alerts).sort()) {
    const a = vm.alerts[key]!;
    if (!pred(a)) continue;
    observe(vm.alerts, key, a.type, a.labels, { level: NONE, value: a.value, threshold: 0, message, ...extra }, scope.t, scope.out.alerts, scope.ctx.routing);
    vm.firing--;
  }
}
