/**
 * query-stats values of one Sample, normalized through the VM's schema snapshot.
 * Series prefixes follow libvirt: `vm.<stat>` for target vm and `vcpu.<n>.<stat>`
 * for target vcpu (other targets: `<target>.<object id>`; providers other than kvm
 * add `<provider>.`). `n` numbers the vCPUs' QOM paths in natural order of first
 * appearance (device[0] → 0, device[2] → 1, as query-cpus-fast's cpu-index does),
 * since the record carries QOM paths, not cpu indices.
 */
import type { StatsResult, StatsValues } from '../../../schemas/src/types.js';
import { stepBlock } from './blockStep.js';
import { statsLayoutFor, type CoreContext } from './context.js';
import type { StepOutputs } from './outputs.js';
import type { CoreState, VmState } from './state.js';

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Assigns vCPU numbers to QOM paths not seen yet (natural order). */
function numberVcpus(vm: VmState, results: StatsResult[]): void {
  const fresh: string[] = [];
  for (const r of results) if (r.target === 'vcpu' && r.qomPath !== null && !(r.qomPath in vm.vcpus)) fresh.push(r.qomPath);
  if (fresh.length === 0) return;
  let next = Object.keys(vm.vcpus).length;
  for (const p of fresh.sort(naturalCompare)) vm.vcpus[p] = next++;
}

function labelOf(vm: VmState, r: StatsResult): string {
  const provider = r.provider === 'kvm' ? '' : `${r.provider}.`;
  if (r.target === 'vm') return `vm.${provider}`.replace(/\.$/, '');
  if (r.target === 'vcpu' && r.qomPath !== null) return `${provider}vcpu.${vm.vcpus[r.qomPath]}`;
  const id = r.qomPath === null ? '' : `.${r.qomPath.slice(r.qomPath.lastIndexOf('/') + 1)}`;
  return `${provider}${r.target}${id}`;
}

export function stepStats(state: CoreState, vm: VmState, stats: StatsValues, t: number, ctx: CoreContext, out: StepOutputs): void {
  const snapshot = state.snapshots[stats.schemaHash];
  if (!snapshot) {
    state.counters.statsWithoutSnapshot++;
    return;
  }
  vm.schemaHash = stats.schemaHash;
  numberVcpus(vm, stats.results);
  for (const r of stats.results) {
    if (r.extra.length > 0) state.counters.extraStats += r.extra.length;
    const layout = statsLayoutFor(ctx, snapshot, r.provider, r.target, r.values);
    if (!layout) {
      state.counters.statsWithoutSnapshot++;
      continue;
    }
    const key = `s|${r.provider}|${r.target}|${r.qomPath ?? ''}`;
    stepBlock(state, vm, key, labelOf(vm, r), layout, r.values, t, ctx, out);
  }
}
