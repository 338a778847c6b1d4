/**
 * Which records may move the partition's clocks. The agent stamps records with its
 * host's wall clock, and one wrong clock must not silence a partition: a record far
 * ahead of the partition's clock would drag it (and with it every VM's eviction, every
 * window's closing) into the future; one far before its VM's last record would make
 * every later sample of the VM look like time running backwards.
 *
 * Such a record is refused before it touches anything: the caller counts it and the
 * partition step dead-letters it with the reason. Its VM's later records are judged on
 * their own, so a clock that jumps for one poll costs that poll only.
 *
 * Limit: the first record of a fresh partition sets its clock; if that one is far ahead,
 * the hosts behind it run late (their rows come late) until real time catches up.
 */
import type { ClockConfig } from '#schemas/config/processor.js';
import type { RawRecord } from '#schemas/types.js';
import type { CoreState, VmState } from '../state/state.js';

/** CLOCK_SKEW: the record's host is beyond clock.maxSkewMs (skew.ts). */
export type Refusal = { code: 'CLOCK_AHEAD' | 'CLOCK_BEHIND' | 'CLOCK_SKEW'; reason: string };

/** `vm`: the record's VM, if the partition holds it. */
export function refusal(state: CoreState, rec: RawRecord, vm: VmState | undefined, cfg: ClockConfig): Refusal | null {
  const t = rec.t;
  if (state.clock >= 0 && t > state.clock + cfg.maxAheadMs) {
    return { code: 'CLOCK_AHEAD', reason: `record time ${iso(t)} is ${seconds(t - state.clock)} ahead of the partition's clock ${iso(state.clock)}` };
  }
  if (vm && vm.lastRecordT >= 0 && t < vm.lastRecordT - cfg.maxBehindMs) {
    return { code: 'CLOCK_BEHIND', reason: `record time ${iso(t)} is ${seconds(vm.lastRecordT - t)} before the VM's last record ${iso(vm.lastRecordT)}` };
  }
  return null;
}

function iso(t: number): string {
  return Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
