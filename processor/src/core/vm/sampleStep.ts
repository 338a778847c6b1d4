/**
 * One Sample of one VM: the interval rules, then the run state (state.state/.reason),
 * stats, block devices (counters, latency, io-errors, backing chain), network, CPU and
 * memory (resourceStep.ts), jobs and the run-state alerts.
 */
import type { BlockDevice, Sample } from '#schemas/types.js';
import { ioErrors, pauseFromSample, staleResolved, thresholdRearmed } from '../alerts/vmAlerts.js';
import { blockFor, dropBlock, foldBlock, stepBlock } from '../series/blockStep.js';
import { domainStateOf } from './domainState.js';
import { dropChain, stepChain } from '../chain/chainStep.js';
import { intern, vmCache } from '../context.js';
import { classifyInterval } from '../series/counterRules.js';
import { emitLatencies } from '../series/emit.js';
import { BLOCK_LAYOUT, BLOCK_SLOT, NET_LAYOUT, STATE_LAYOUT, blockValues, netValues } from '../series/fixedLayouts.js';
import { jobsFromSample, runningJobs } from './jobs.js';
import { stepCpu, stepMemory } from './resourceStep.js';
import type { RecordScope } from '../scope.js';
import { stepStats } from '../stats/statsStep.js';
import type { SeriesBlock } from '../series/seriesBlock.js';
import type { DeviceInfo } from '../state/state.js';
import type { JobsView } from '../alerts/chainRules.js';

function sameDevices(a: DeviceInfo[], b: BlockDevice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.dev !== b[i]!.dev || a[i]!.node !== (b[i]!.nodeName ?? '')) return false;
  return true;
}

function trackDevices(scope: RecordScope, devices: BlockDevice[]): void {
  const { vm, ctx } = scope;
  if (sameDevices(vm.devices, devices)) return;
  const present = new Set(devices.map((d) => d.dev));
  for (const dev of Object.keys(vm.chains).sort()) {
    if (present.has(dev)) continue;
    dropChain(scope, dev); // hot-unplug: the device's series go
    dropBlock(scope, `b|${dev}`);
  }
  vm.devices = devices.map((d) => ({
    dev: intern(ctx, d.dev),
    device: intern(ctx, d.device),
    qdev: intern(ctx, d.qdev ?? ''),
    node: intern(ctx, d.nodeName ?? ''),
  }));
}

/** The counter block of the device at position i (cached by position: no key building per sample). */
function deviceBlock(scope: RecordScope, d: BlockDevice, i: number): SeriesBlock | null {
  const slots = vmCache(scope.ctx, scope.vm).devs;
  const slot = slots[i];
  if (slot && slot.dev === d.dev) return slot.block;
  const block = blockFor(scope, `b|${d.dev}`, `block.${d.dev}`, BLOCK_LAYOUT);
  if (block) slots[i] = { dev: intern(scope.ctx, d.dev), block };
  return block;
}

function stepDevice(scope: RecordScope, d: BlockDevice, i: number, jobs: JobsView | null): void {
  const { ctx } = scope;
  const block = deviceBlock(scope, d, i);
  if (block) {
    const failedBefore = block.prevPeak[2 * BLOCK_SLOT.failedWr]!;
    const dtMs = foldBlock(scope, block, BLOCK_LAYOUT, blockValues(d.counters, ctx.blockValues));
    if (dtMs > 0) {
      if (ctx.emitRates) emitLatencies(block.label, ctx.scratch, scope.t, scope.vm, scope.out.rates);
      // Δfailed_wr_operations of this interval, by the counter rules (none after first sight or a reset).
      const failed = d.counters.failedWrOps;
      ioErrors(scope, d.dev, failedBefore >= 0 && failed >= failedBefore ? failed - failedBefore : -1);
    }
  }
  stepChain(scope, d, jobs);
}

/** state.state and state.reason: libvirt's own when the Sample carries them (stats mode), else from the QMP run state (and the previous ones). */
function stepDomainState(scope: RecordScope, s: Sample): void {
  const block = blockFor(scope, 'state', 'state', STATE_LAYOUT);
  const lv = s.libvirtState;
  if (block) foldBlock(scope, block, STATE_LAYOUT, lv ? [lv.state, lv.reason] : domainStateOf(s.status, block.prevPeak[0]!, block.prevPeak[2]!));
}

export function stepSample(scope: RecordScope, s: Sample): void {
  const { state, vm, ctx } = scope;
  const interval = classifyInterval(vm.lastT, scope.t, ctx.config.rates);
  if (interval === 'nonpositive') {
    state.counters.nonPositiveDt++; // rule 4: dropped and counted
    return;
  }
  if (interval === 'gap') state.counters.gaps++;
  state.counters.samples++;
  staleResolved(scope);
  vm.lastT = scope.t;
  stepDomainState(scope, s);
  pauseFromSample(scope, s);
  if (s.stats) stepStats(scope, s.stats);
  trackDevices(scope, s.blockDevices);
  jobsFromSample(vm, s.jobs);
  const jobs = runningJobs(vm);
  for (let i = 0; i < s.blockDevices.length; i++) stepDevice(scope, s.blockDevices[i]!, i, jobs);
  for (const n of s.net) stepBlock(scope, `n|${n.name}`, `net.${n.name}`, NET_LAYOUT, netValues(n));
  if (s.cpu) stepCpu(scope, s.cpu);
  if (s.memory) stepMemory(scope, s.memory);
  thresholdRearmed(scope, s);
}
