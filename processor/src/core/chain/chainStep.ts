/**
 * Backing-chain elements of one device (docs/qmp-notes.md §4, §7): per position (device,
 * depth) the series allocation, capacity, physical, free and growth, keyed by the
 * nodes there. A changed node name is a reset: the old node's alerts resolve, its
 * windows flush and growth restarts (a snapshot moves the base from depth 0 to 1).
 *
 * - allocation: the storage node's wr_highest_offset (highest host offset written).
 * - physical: from the host (device length for host_device, read by the agent) —
 *   never the storage node's virtual-size, which lags a grown device.
 * - free = physical − allocation, block devices only. Free and the alerts use the
 *   effective allocation: max(allocation, an offset a BLOCK_WRITE_THRESHOLD proved
 *   written (the event is authoritative over a lagging poll), the last allocation
 *   before a QEMU restart (warm-up: wr_highest_offset restarts at 0)).
 */
import type { BlockDevice, ChainElement } from '#schemas/types.js';
import { classifyInterval } from '../series/counterRules.js';
import { admitSeries, releaseSeries } from '../series/seriesCap.js';
import { intern, type CoreContext } from '../context.js';
import { point, rate } from '../series/emit.js';
import { clearGrowth, newGrowth, restartGrowth, updateGrowth } from './growth.js';
import type { RecordScope } from '../scope.js';
import { chainSeries, emptyChainWindow, flushChainWindows, foldChainWindows } from './chainRollup.js';
import { evaluateChainRules, resolveImageAlerts } from '../alerts/chainAlerts.js';
import { imageOf } from '../alerts/raise.js';
import type { ChainView, JobsView } from '../alerts/chainRules.js';
import type { ChainState, VmState } from '../state/state.js';

function newChainState(el: ChainElement, ctx: CoreContext): ChainState {
  const win = Array.from({ length: ctx.resolutions.length }, () => emptyChainWindow());
  return {
    formatNode: intern(ctx, el.formatNode),
    storageNode: intern(ctx, el.storageNode ?? ''),
    filename: el.filename,
    t: -1,
    allocation: -1,
    growth: newGrowth(),
    eventFloor: -1,
    warmFloor: -1,
    win,
  };
}

/** Growth after this sample (null: none yet), applying the reset and gap rules. */
function nextGrowth(scope: RecordScope, cs: ChainState, raw: number): number | null {
  const { t, ctx } = scope;
  const interval = classifyInterval(cs.t, t, ctx.config.rates);
  if (raw < 0) {
    clearGrowth(cs.growth);
    return null;
  }
  if (cs.allocation >= 0 && raw < cs.allocation) scope.state.counters.counterResets++; // a decrease: new node or process
  if (interval !== 'ok' || cs.allocation < 0 || raw < cs.allocation) {
    restartGrowth(cs.growth, t, raw);
    return null;
  }
  return updateGrowth(cs.growth, t, raw, ctx.config.growth);
}

function effectiveAllocation(cs: ChainState, raw: number): number {
  if (raw < 0) return -1;
  if (cs.eventFloor >= 0 && raw >= cs.eventFloor) cs.eventFloor = -1;
  if (cs.warmFloor >= 0 && raw >= cs.warmFloor) cs.warmFloor = -1;
  return Math.max(raw, cs.eventFloor, cs.warmFloor);
}

/** Rates of one element: the raw allocation (what QEMU reports), capacity, physical, free and growth. */
function emitElement(scope: RecordScope, series: string, el: ChainElement, raw: number, v: ChainView): void {
  const { t, vm } = scope;
  const r = scope.out.rates;
  if (raw >= 0) r.push(rate(t, vm, `${series}.allocation`, raw, 'bytes'));
  if (el.capacity !== null) r.push(rate(t, vm, `${series}.capacity`, el.capacity, 'bytes'));
  if (el.physical !== null) r.push(rate(t, vm, `${series}.physical`, el.physical, 'bytes'));
  if (v.free !== null) r.push(rate(t, vm, `${series}.free`, v.free, 'bytes'));
  if (v.growth !== null) r.push(rate(t, vm, `${series}.growth`, v.growth, 'bytes/s'));
  if (scope.ctx.emitPoints) {
    const p = scope.out.points;
    const node = el.formatNode;
    if (raw >= 0) p.push(point(t, vm, `${series}.allocation`, raw, 'bytes', 'gauge', node, false));
    if (el.capacity !== null) p.push(point(t, vm, `${series}.capacity`, el.capacity, 'bytes', 'gauge', node, false));
    if (el.physical !== null) p.push(point(t, vm, `${series}.physical`, el.physical, 'bytes', 'gauge', node, false));
    if (v.free !== null) p.push(point(t, vm, `${series}.free`, v.free, 'bytes', 'gauge', node, false));
    if (v.growth !== null) p.push(point(t, vm, `${series}.growth`, v.growth, 'bytes/s', 'gauge', node, false));
  }
}

/**
 * The element's state after this sample; undefined when a new element is refused by the
 * series caps (one series each). `chain`: the device's chain in this sample.
 */
function stepElement(
  scope: RecordScope,
  dev: string,
  el: ChainElement,
  prior: ChainState | undefined,
  jobs: JobsView | null,
  chain: readonly ChainElement[],
): ChainState | undefined {
  const { t, ctx } = scope;
  let cs = prior;
  if (!cs || cs.formatNode !== el.formatNode || cs.storageNode !== (el.storageNode ?? '')) {
    const old = cs;
    if (old) retireElement(scope, dev, el.backingIndex, old, chain);
    if (!admitSeries(scope, 1)) return undefined;
    cs = newChainState(el, ctx);
    if (old && old.filename === el.filename) cs.warmFloor = old.warmFloor; // same image under new node names
  }
  if (cs.t >= 0 && t <= cs.t) return cs; // Δt ≤ 0: counted at VM level
  const raw = el.allocationValid ? el.allocation : -1;
  const growth = nextGrowth(scope, cs, raw);
  cs.allocation = raw;
  cs.t = t;
  const eff = effectiveAllocation(cs, raw);
  const view: ChainView = {
    dev,
    backingIndex: el.backingIndex,
    image: imageOf(el.filename, el.formatNode),
    formatNode: el.formatNode,
    formatDriver: el.formatDriver,
    storageDriver: el.storageDriver,
    allocation: eff >= 0 ? eff : null,
    capacity: el.capacity,
    physical: el.physical,
    free: el.storageDriver === 'host_device' && el.physical !== null && eff >= 0 ? el.physical - eff : null,
    growth,
    t,
  };
  const series = chainSeries(dev, el.backingIndex);
  if (ctx.emitRates) emitElement(scope, series, el, raw, view);
  foldChainWindows(scope, cs, series, view);
  evaluateChainRules(scope, view, jobs);
  return cs;
}

/**
 * A node left its chain position (or the position vanished): flush, count the reset,
 * release its series; its image's alerts resolve unless the image is still in `kept`,
 * the device's chain as followed now (moved by a snapshot, commit or pivot).
 */
function retireElement(scope: RecordScope, dev: string, backingIndex: number, cs: ChainState, kept: readonly ChainElement[]): void {
  scope.state.counters.counterResets++;
  releaseSeries(scope, 1);
  flushChainWindows(scope, cs, chainSeries(dev, backingIndex));
  const image = imageOf(cs.filename, cs.formatNode);
  if (!kept.some((el) => imageOf(el.filename, el.formatNode) === image)) resolveImageAlerts(scope, dev, backingIndex, image, cs.formatNode);
}

export function stepChain(scope: RecordScope, d: BlockDevice, jobs: JobsView | null): void {
  const vm = scope.vm;
  let list = vm.chains[d.dev];
  if (!list) vm.chains[d.dev] = list = [];
  let n = 0;
  for (; n < d.chain.length; n++) {
    const cs = stepElement(scope, d.dev, d.chain[n]!, list[n], jobs, d.chain);
    if (!cs) break; // refused (series caps): deeper elements are not followed either
    if (list[n] !== cs) list[n] = cs;
  }
  if (list.length <= n) return;
  const kept = d.chain.slice(0, n);
  for (let i = n; i < list.length; i++) retireElement(scope, d.dev, i, list[i]!, kept);
  list.length = n;
}

/** Drops a device's chain (device gone). */
export function dropChain(scope: RecordScope, dev: string): void {
  const list = scope.vm.chains[dev] ?? [];
  for (let i = 0; i < list.length; i++) retireElement(scope, dev, i, list[i]!, []);
  delete scope.vm.chains[dev];
}

/** After a QEMU restart: growth restarts; the last allocation becomes the warm-up floor of the same image. */
export function warmUpChains(vm: VmState): void {
  for (const list of Object.values(vm.chains)) {
    for (const cs of list) {
      if (cs.allocation >= 0) cs.warmFloor = Math.max(cs.warmFloor, cs.allocation, cs.eventFloor);
      cs.allocation = -1;
      cs.t = -1;
      cs.eventFloor = -1;
      clearGrowth(cs.growth);
    }
  }
}
