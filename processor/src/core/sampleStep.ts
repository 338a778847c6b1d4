/**
 * One Sample of one VM: the interval rules, then stats, block devices (counters,
 * latency, io-errors, backing chain), network, jobs and the run-state alerts.
 */
import type { BlockDevice, Sample } from '../../../schemas/src/types.js';
import { ioErrors, pauseFromSample, staleResolved, thresholdRearmed } from './alerts/vmAlerts.js';
import { dropBlock, stepBlock } from './blockStep.js';
import { dropChain, stepChain } from './chainStep.js';
import type { CoreContext } from './context.js';
import { classifyInterval } from './counterRules.js';
import { emitLatencies } from './emit.js';
import { BLOCK_LAYOUT, BLOCK_SLOT, NET_LAYOUT, blockValues, netValues } from './fixedLayouts.js';
import { jobsFromSample, runningJobs } from './jobs.js';
import type { StepOutputs } from './outputs.js';
import { stepStats } from './statsStep.js';
import type { CoreState, DeviceInfo, VmState } from './state.js';
import type { JobsView } from './alerts/chainRules.js';

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
  vm.devices = devices.map((d) => ({ dev: d.dev, device: d.device, qdev: d.qdev ?? '', node: d.nodeName ?? '' }));
}

function stepDevice(state: CoreState, vm: VmState, d: BlockDevice, t: number, jobs: JobsView | null, ctx: CoreContext, out: StepOutputs): void {
  const label = `block.${d.dev}`;
  const folded = stepBlock(state, vm, `b|${d.dev}`, label, BLOCK_LAYOUT, blockValues(d.counters), t, ctx, out);
  if (folded && folded.dtMs > 0) {
    if (ctx.emitRates) emitLatencies(label, folded.deltas, t, vm.name, out.rates);
    ioErrors(ctx, vm, d.dev, folded.deltas[BLOCK_SLOT.failedWr]!, t, out.alerts);
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
  for (const d of s.blockDevices) stepDevice(state, vm, d, t, jobs, ctx, out);
  for (const n of s.net) stepBlock(state, vm, `n|${n.name}`, `net.${n.name}`, NET_LAYOUT, netValues(n), t, ctx, out);
  thresholdRearmed(vm, s, t, out.alerts);
}
