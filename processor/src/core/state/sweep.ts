/**
 * The periodic sweep, run when the partition's event-time clock crosses a sweep
 * boundary (so it happens at the same records whatever the batching): stale
 * detection, and eviction of VMs with no record for the TTL (their windows flush,
 * their alerts resolve, their series are released, unused snapshots dropped).
 */
import { resolveAll } from '../alerts/machine.js';
import { staleCheck } from '../alerts/vmAlerts.js';
import { chainSeries, flushChainWindows } from '../chain/chainRollup.js';
import { layoutOfBlock, type CoreContext } from '../context.js';
import type { StepOutputs } from '../outputs.js';
import type { RecordScope } from '../scope.js';
import { flushWindows, windowStart } from '../rollup/rollup.js';
import { prevOf } from '../series/seriesBlock.js';
import type { CoreState, VmState } from './state.js';
import { hostNow, sweepHosts } from '../clock/hosts.js';
import { sweepSkews } from '../clock/skew.js';
import { closeSequenceWindows } from '../vm/sequence.js';

/** Closes every window of the VM; unless `keep`, also resolves its alerts and forgets it (TTL eviction). */
export function evictVm(state: CoreState, vm: VmState, ctx: CoreContext, out: StepOutputs, opts: { keep: boolean }): void {
  const scope: RecordScope = { state, vm, t: state.clock, ctx, out };
  for (const b of Object.values(vm.blocks)) {
    const layout = layoutOfBlock(ctx, state.snapshots, b.layout, prevOf(b));
    if (layout) flushWindows(b, layout, ctx.resolutions, vm, out.rollups);
  }
  for (const [dev, list] of Object.entries(vm.chains)) {
    list.forEach((cs, i) => flushChainWindows(scope, cs, chainSeries(dev, i)));
  }
  closeSequenceWindows(scope);
  if (opts.keep) return;
  resolveAll(vm.alerts, `VM evicted: no record for ${ctx.config.state.ttlSeconds} s`, state.clock, out.alerts, ctx.routing);
  vm.firing = 0;
  state.series -= vm.series;
  state.counters.evictedVms++;
  delete state.vms[vm.uuid];
}

/** Drops schema snapshots no VM refers to any more (after evictions). */
export function dropUnusedSnapshots(state: CoreState): void {
  const used = new Set<string>();
  for (const vm of Object.values(state.vms)) used.add(vm.schemaHash);
  for (const h of Object.keys(state.snapshots)) if (!used.has(h)) delete state.snapshots[h];
}

/**
 * Run before the record that crossed the sweep boundary is applied (`recordHost` is
 * its host). `lateness` < 0: no closing by the watermark. VMs are judged at their host's
 * time (clock/hosts.ts `hostNow`; with one host, the partition's clock).
 */
export function sweep(state: CoreState, ctx: CoreContext, out: StepOutputs, lateness: number, recordHost: string): void {
  const clock = state.clock;
  const every = ctx.config.state.sweepIntervalMs;
  state.nextSweep = windowStart(clock, every) + every;
  const ttl = ctx.config.state.ttlSeconds * 1000;
  let evicted = false;
  const withVms = new Set<string>([recordHost]); // the record being stepped may be its host's first VM
  for (const vm of Object.values(state.vms)) {
    const now = hostNow(state, vm.host);
    if (now - vm.lastRecordT > ttl) {
      evictVm(state, vm, ctx, out, { keep: false });
      evicted = true;
    } else {
      withVms.add(vm.host);
      staleCheck({ state, vm, t: now, ctx, out });
    }
  }
  if (evicted) dropUnusedSnapshots(state);
  sweepHosts(state, ctx, lateness, withVms);
  sweepSkews(state, ctx, out.alerts);
}
