/**
 * query-stats values of one Sample, normalized through the VM's schema snapshot.
 * Series prefixes follow libvirt: `vm.<stat>` for target vm and `vcpu.<n>.<stat>`
 * for target vcpu (other targets: `<target>.<object id>`; providers other than kvm
 * add `<provider>.`). `n` numbers the vCPUs' QOM paths in natural order of first
 * appearance (device[0] → 0, device[2] → 1, as query-cpus-fast's cpu-index does),
 * since the record carries QOM paths, not cpu indices.
 *
 * Hot path: the blocks of the previous sample's results are cached by position
 * (vmCache); a result that matches its cached slot (same snapshot, target,
 * QOM path and value shape) is folded without building a key or a label.
 */
import type { StatsResult, StatsValues } from '#schemas/types.js';
import { blockFor, foldBlock } from '../series/blockStep.js';
import { intern, statsLayoutFor, vmCache, type StatsSlot } from '../context.js';
import { fitsLayout } from '../series/layout.js';
import type { RecordScope } from '../scope.js';
import type { VmState } from '../state/state.js';

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

function fits(slot: StatsSlot | undefined, r: StatsResult): slot is StatsSlot {
  // Blocks are replaced only through blockFor/dropBlock, which drop this VM's cache.
  return slot !== undefined && slot.target === r.target && slot.qomPath === r.qomPath && slot.provider === r.provider && fitsLayout(slot.layout, r.values);
}

/** Binds result `r` to its block (slow path: layout, key, label, maybe a new block). */
function bind(scope: RecordScope, stats: StatsValues, r: StatsResult): StatsSlot | null {
  const { state, vm, ctx } = scope;
  const layout = statsLayoutFor(ctx, state.snapshots[stats.schemaHash]!, r.provider, r.target, r.values);
  if (!layout) {
    state.counters.statsWithoutSnapshot++;
    return null;
  }
  numberVcpus(vm, stats.results);
  const key = `s|${r.provider}|${r.target}|${r.qomPath ?? ''}`;
  const block = blockFor(scope, key, labelOf(vm, r), layout);
  const qomPath = r.qomPath === null ? null : intern(ctx, r.qomPath);
  return block ? { provider: intern(ctx, r.provider), target: intern(ctx, r.target), qomPath, key, layout, block } : null;
}

export function stepStats(scope: RecordScope, stats: StatsValues): void {
  const { state, vm, ctx } = scope;
  const cache = vmCache(ctx, vm);
  if (cache.statsHash !== stats.schemaHash) {
    // A new schema (or no bindings yet): the snapshot must be known.
    if (!state.snapshots[stats.schemaHash]) {
      state.counters.statsWithoutSnapshot++;
      return;
    }
    cache.statsHash = intern(ctx, stats.schemaHash);
    cache.stats = [];
    if (vm.schemaHash !== cache.statsHash) vm.schemaHash = cache.statsHash;
  }
  const slots = cache.stats;
  const results = stats.results;
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.extra.length > 0) state.counters.extraStats += r.extra.length;
    let slot = slots[i];
    if (!fits(slot, r)) {
      const bound = bind(scope, stats, r);
      if (!bound) continue;
      slot = slots[i] = bound;
    }
    foldBlock(scope, slot.block, slot.layout, r.values);
  }
}
