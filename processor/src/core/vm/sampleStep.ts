/**
 * One Sample of one VM: the interval rules, then stats, block devices (counters,
 * latency, io-errors, backing chain), network, jobs and the run-state alerts.
 */
import type { BlockDevice, Sample } from '#schemas/types.js';
import { ioErrors, pauseFromSample, staleResolved, thresholdRearmed } from '../alerts/vmAlerts.js';
import { blockFor, dropBlock, foldBlock, stepBlock } from '../series/blockStep.js';
import { dropChain, stepChain } from '../chain/chainStep.js';
import { intern, vmCache, type CoreContext } from '../context.js';
import { classifyInterval } from '../series/counterRules.js';
import { emitLatencies } from '../series/emit.js';
import { BLOCK_LAYOUT, BLOCK_SLOT, NET_LAYOUT, blockValues, netValues } from '../series/fixedLayouts.js';
import { jobsFromSample, runningJobs } from './jobs.js';
import type { StepOutputs } from '../outputs.js';
import { stepStats } from '../stats/statsStep.js';
import type { SeriesBlock } from '../series/seriesBlock.js';
import type { CoreState, DeviceInfo, VmState } from '../state/state.js';
import type { JobsView } from '../alerts/chainRules.js';

function sameDevices(a: DeviceInfo[], b: BlockDevice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.dev !== b[i]!.dev || a[i]!.node !== (b[i]!.nodeName ?? '')) return false;
  return true;
}

function trackDevices(state: CoreState, vm: VmState, devices: BlockDevice[], t: number, ctx: CoreContext, out: StepOutputs): void {
  if (sameDevices(vm.devices, devices)) return;
  const present = new Set(devices.map((d) => d.dev));
  for (const dev of Object.keys(vm.chains).sort()) {
    if (present.has(dev)) continue;
    dropChain(state, vm, dev, t, ctx, out); // hot-unplug: the device's series go
    dropBlock(state, vm, `b|${dev}`, ctx, out);
  }
  vm.devices = devices.map((d) => ({
    dev: intern(ctx, d.dev),
    device: intern(ctx, d.device),
    qdev: intern(ctx, d.qdev ?? ''),
    node: intern(ctx, d.nodeName ?? ''),
  }));
}

/** The counter block of the device at position i (cached by position: no key building per sample). */
function deviceBlock(state: CoreState, vm: VmState, d: BlockDevice, i: number, ctx: CoreContext, out: StepOutputs): SeriesBlock | null {
  const slots = vmCache(vm).devs;
  const slot = slots[i];
  if (slot && slot.dev === d.dev) return slot.block;
  const block = blockFor(state, vm, `b|${d.dev}`, `block.${d.dev}`, BLOCK_LAYOUT, ctx, out);
  if (block) slots[i] = { dev: intern(ctx, d.dev), block };
  return block;
}

function stepDevice(state: CoreState, vm: VmState, d: BlockDevice, i: number, t: number, jobs: JobsView | null, ctx: CoreContext, out: StepOutputs): void {
  const block = deviceBlock(state, vm, d, i, ctx, out);
  if (block) {
    const failedBefore = block.pv[2 * BLOCK_SLOT.failedWr]!;
    const dtMs = foldBlock(state, vm, block, BLOCK_LAYOUT, blockValues(d.counters, ctx.blockValues), t, ctx, out);
    if (dtMs > 0) {
      if (ctx.emitRates) emitLatencies(block.label, ctx.scratch, t, vm, out.rates);
      // Δfailed_wr_operations of this interval, by the counter rules (none after first sight or a reset).
      const failed = d.counters.failedWrOps;
      ioErrors(ctx, vm, d.dev, failedBefore >= 0 && failed >= failedBefore ? failed - failedBefore : -1, t, out.alerts);
    }
  }
  stepChain(state, vm, d, t, jobs, ctx, out);
}

export function stepSample(state: CoreState, vm: VmState, s: Sample, t: number, ctx: CoreContext, out: StepOutputs): void {
  const interval = classifyInterval(vm.lastT, t, ctx.config.rates);
  if (interval === 'nonpositive') {
    state.counters.nonPositiveDt++; // rule 4: dropped and counted
    return;
  }
  if (interval === 'gap') state.counters.gaps++;
  state.counters.samples++;
  staleResolved(ctx, vm, t, out.alerts);
  vm.lastT = t;
  pauseFromSample(ctx, vm, s, t, out.alerts);
  if (s.stats) stepStats(state, vm, s.stats, t, ctx, out);
  trackDevices(state, vm, s.blockDevices, t, ctx, out);
  jobsFromSample(vm, s.jobs);
  const jobs = runningJobs(vm);
  for (let i = 0; i < s.blockDevices.length; i++) stepDevice(state, vm, s.blockDevices[i]!, i, t, jobs, ctx, out);
  for (const n of s.net) stepBlock(state, vm, `n|${n.name}`, `net.${n.name}`, NET_LAYOUT, netValues(n), t, ctx, out);
  thresholdRearmed(vm, s, t, out.alerts);
}
