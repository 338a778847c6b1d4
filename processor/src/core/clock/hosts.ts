/**
 * Host clocks and the watermark rollup windows close by.
 *
 * Every host keeps its own clock (the latest record time admitted from it). Windows
 * close by the slowest host that is keeping up: the watermark boundary is the finest
 * window start of (min clock of the hosts not lagging) − allowed lateness, so a host
 * running 30 s late still lands in its windows. A host more than `clock.hostLagMs`
 * behind the partition's clock (silent, or far behind) is `lagging` and windows stop
 * waiting for it; lagging is re-judged at each sweep and at each of the host's records,
 * and kept in the state, so a restored state closes windows at the same records. With
 * one host the boundary is that of the partition's clock minus the lateness, as before.
 *
 * Eviction and the `stale` alert are per host too (sweep.ts, `hostNow`): a VM is judged by
 * its host's clock, moved on by the partition's since the host was last heard from, so a
 * host whose clock runs behind does not see its VMs evicted or reported silent, and a
 * silent host's VMs still age.
 *
 * The minimum over hosts is kept in a derived index (counts of hosts per boundary,
 * rebuilt from the state when missing), so a record costs O(1) and a sweep O(hosts).
 */
import type { CoreContext } from '../context.js';
import { windowStart } from '../rollup/rollup.js';
import type { CoreState, HostClock } from '../state/state.js';

interface HostIndex {
  lateness: number;
  res0: number;
  /** Hosts not lagging, by the boundary of their clock. */
  counts: Map<number, number>;
  /** The smallest key of `counts` (NaN: none). */
  min: number;
}

const indexes = new WeakMap<CoreState, HostIndex>();

function boundaryOf(clock: number, lateness: number, ctx: CoreContext): number {
  return windowStart(clock - lateness, ctx.resolutions[0]!);
}

function add(ix: HostIndex, key: number, n: number): void {
  const c = (ix.counts.get(key) ?? 0) + n;
  if (c > 0) ix.counts.set(key, c);
  else ix.counts.delete(key);
  if (n > 0 && !(key >= ix.min)) ix.min = key;
  else if (c <= 0 && key === ix.min) {
    ix.min = Number.NaN;
    for (const k of ix.counts.keys()) if (!(k >= ix.min)) ix.min = k;
  }
}

function index(state: CoreState, ctx: CoreContext, lateness: number): HostIndex {
  let ix = indexes.get(state);
  if (ix && ix.lateness === lateness && ix.res0 === ctx.resolutions[0]) return ix;
  ix = { lateness, res0: ctx.resolutions[0]!, counts: new Map(), min: Number.NaN };
  for (const h of Object.values(state.hosts)) if (!h.lagging) add(ix, boundaryOf(h.clock, lateness, ctx), 1);
  indexes.set(state, ix);
  return ix;
}

/** Windows that end at or before this have closed (a multiple of the finest resolution). */
export function watermarkBoundary(state: CoreState, ctx: CoreContext, lateness: number): number {
  const ix = index(state, ctx, lateness);
  return Number.isNaN(ix.min) ? boundaryOf(state.clock, lateness, ctx) : ix.min;
}

/**
 * After a record from `host` at `t` was admitted (and the partition's clock moved to
 * include it). Returns whether the watermark boundary may have moved (never when
 * `lateness` < 0: no watermark).
 */
export function noteHost(state: CoreState, ctx: CoreContext, host: string, t: number, lateness: number): boolean {
  const ix = lateness >= 0 ? index(state, ctx, lateness) : null; // before the host changes: a rebuilt index must not count it yet
  let h = state.hosts[host];
  if (!h) {
    h = { clock: t, seenAt: state.clock, lagging: true };
    state.hosts[host] = h;
  }
  const wasIn = !h.lagging;
  const from = h.clock;
  if (t > h.clock) h.clock = t;
  h.seenAt = state.clock;
  h.lagging = isLagging(state, ctx, h);
  if (!ix) return false;
  if (wasIn && !h.lagging && h.clock === from) return Number.isNaN(ix.min); // this host's clock did not move
  const oldKey = wasIn ? boundaryOf(from, lateness, ctx) : Number.NaN;
  const newKey = h.lagging ? Number.NaN : boundaryOf(h.clock, lateness, ctx);
  if (oldKey !== newKey) {
    if (wasIn) add(ix, oldKey, -1);
    if (!h.lagging) add(ix, newKey, 1);
    return true;
  }
  return Number.isNaN(ix.min); // no host keeping up: the boundary follows the partition's clock
}

function isLagging(state: CoreState, ctx: CoreContext, h: HostClock): boolean {
  return h.clock < state.clock - ctx.config.clock.hostLagMs;
}

/** At a sweep: re-judges which hosts lag, and forgets hosts with no VM left. */
export function sweepHosts(state: CoreState, ctx: CoreContext, lateness: number, withVms: ReadonlySet<string>): void {
  const ix = lateness >= 0 ? index(state, ctx, lateness) : null;
  for (const [name, h] of Object.entries(state.hosts)) {
    const lagging = isLagging(state, ctx, h);
    const keep = withVms.has(name);
    if (ix && !h.lagging && (lagging || !keep)) add(ix, boundaryOf(h.clock, lateness, ctx), -1);
    if (ix && h.lagging && !lagging && keep) add(ix, boundaryOf(h.clock, lateness, ctx), 1);
    h.lagging = lagging;
    if (!keep) delete state.hosts[name];
  }
}

/**
 * "Now" for a VM of `host`: its host's clock, moved on by as much as the partition's
 * clock has since the host was last heard from. A host running behind is judged by its
 * own time; a silent host's VMs age with the partition. With one host: the partition's clock.
 */
export function hostNow(state: CoreState, host: string): number {
  const h = state.hosts[host];
  return h ? h.clock + (state.clock - h.seenAt) : state.clock;
}

/** A restored state of an earlier release has no host clocks: each host's is its VMs' latest record. */
export function hostsFromVms(state: CoreState): Record<string, HostClock> {
  const hosts: Record<string, HostClock> = {};
  for (const vm of Object.values(state.vms)) {
    const h = (hosts[vm.host] ??= { clock: vm.lastRecordT, seenAt: state.clock, lagging: false });
    if (vm.lastRecordT > h.clock) h.clock = vm.lastRecordT;
  }
  return hosts;
}
