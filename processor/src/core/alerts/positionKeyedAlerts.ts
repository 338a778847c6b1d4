/**
 * Firing alerts of a checkpoint written before core state version 6, made current. They
 * were keyed by chain position and node (`type|device|backingIndex|node|job`), their
 * block job was `labels.job`, and they had no image. Each is re-keyed by what it is
 * about (machine.ts alertKey) and gets its image from the restored chain: the element
 * at its device and position whose format or storage node it names (else the node name
 * itself, as vmAlerts.ts does for a node in no chain).
 *
 * It keeps the id it fired under, so its next transitions (severity change, resolved)
 * reach the same alert downstream; once resolved, it fires again under the id of this
 * release (a hash of the image, not the position).
 */
import type { AlertLabels } from '#schemas/outputs.js';
import type { CoreState, VmState } from '../state/state.js';
import { alertKey, type AlertState, type AlertTable } from './machine.js';
import { imageOf } from './raise.js';

type PositionLabels = Omit<AlertLabels, 'blockJob' | 'image'> & { job?: string };

function imageAt(vm: VmState | null, l: PositionLabels): string {
  const cs = vm && l.backingIndex !== null ? vm.chains[l.device]?.[l.backingIndex] : undefined;
  if (cs && (cs.formatNode === l.node || cs.storageNode === l.node)) return imageOf(cs.filename, cs.formatNode);
  return l.node;
}

function upgradeTable(table: AlertTable, vm: VmState | null): AlertTable {
  const out: AlertTable = Object.create(null) as AlertTable;
  for (const old of Object.values(table)) {
    const { job, ...rest } = old.labels as PositionLabels;
    const labels: AlertLabels = { ...rest, blockJob: job ?? '', image: imageAt(vm, rest) };
    const a: AlertState = { ...old, labels };
    out[alertKey(a.type, labels)] = a;
  }
  return out;
}

/** Upgrades, in place, the alert tables of a state parsed from a version 1–5 checkpoint (before its name tables are rebuilt). */
export function rekeyPositionKeyedAlerts(state: CoreState): void {
  for (const uuid of Object.keys(state.vms)) {
    const vm = state.vms[uuid]!;
    vm.alerts = upgradeTable(vm.alerts, vm);
  }
  for (const s of state.skews ?? []) s.alerts = upgradeTable(s.alerts, null);
}
