/**
 * Which QMP commands one tick sends, pure. Wire shapes:
 *
 *   fast  query-status                           when `status` (see below)
 *         query-stats {target, providers?}       per target (vm, vcpu, + any other the schemas offer);
 *                                                providers: the filters that name the target
 *         query-blockstats                       device mode: nested parent/backing
 *         query-blockstats {query-nodes:true}    flat node list (optional)
 *         query-block-jobs                       when `jobs` (see below)
 *   slow  query-block
 *         query-named-block-nodes {flat:true}    (`flat` since 5.0)
 *         query-balloon                          with a balloon device: its size, and
 *         qom-get {path, property: guest-stats}  the guest's memory figures (sample/memory.ts);
 *                                                the builder keeps them until the next slow tick
 *
 * The commands go out in this order on one connection (QMP runs in-band commands
 * in order), so a recorded transcript replays the same way.
 *
 * Status and jobs come from events (QmpSource decides, `statusAndJobs`): QEMU announces
 * every run-state change (STOP, RESUME, SHUTDOWN, ...) and every job transition
 * (JOB_STATUS_CHANGE, BLOCK_JOB_*) as an event, so query-status and query-block-jobs are
 * read on the slow grid (the first tick of a connection is on it), on the tick after any
 * event, and query-block-jobs on every tick while the last reply listed a job. Between,
 * the status is the last one read (the sample builder carries it) and there is no job.
 * Through libvirt each command costs libvirtd a job and a write of the domain's status
 * file: a quiet VM's tick is the query-stats targets and query-blockstats.
 */
import type { TickCommand } from '../sample/tick.js';
import { atLeast, type QemuVersion } from '../qmp/messages.js';

export interface PlannedCommand {
  key: TickCommand;
  execute: string;
  arguments?: Record<string, unknown>;
}

export interface TickPlanInput {
  version: QemuVersion;
  /** Targets to query with query-stats; empty when query-stats is unavailable. */
  statsTargets: readonly string[];
  /** Provider filters; each applies to the targets it lists (all targets without a list). */
  statsProviders?: ReadonlyArray<{ provider: string; names?: string[] | undefined; targets?: string[] | undefined }> | undefined;
  blockstatsNodes: boolean;
  slow: boolean;
  /** The balloon device's QOM path (identify.ts), when the VM has one. */
  balloonPath?: string | null | undefined;
  /** Read query-status this tick (default true). */
  status?: boolean;
  /** Read query-block-jobs this tick (default true). */
  jobs?: boolean;
}

/** Whether a tick reads query-status and query-block-jobs (see the header). Pure. */
export function statusAndJobs(slow: boolean, eventSinceLastTick: boolean, jobsListed: boolean): { status: boolean; jobs: boolean } {
  return { status: slow || eventSinceLastTick, jobs: slow || eventSinceLastTick || jobsListed };
}

export function planTick(p: TickPlanInput): PlannedCommand[] {
  const cmds: PlannedCommand[] = p.status === false ? [] : [{ key: 'query-status', execute: 'query-status' }];
  for (const target of p.statsTargets) {
    const args: Record<string, unknown> = { target };
    // A target that no filter names gets every provider (no `providers` argument).
    const filters = (p.statsProviders ?? []).filter((x) => !x.targets || x.targets.includes(target));
    if (filters.length > 0) args.providers = filters.map((x) => (x.names ? { provider: x.provider, names: x.names } : { provider: x.provider }));
    cmds.push({ key: `query-stats:${target}`, execute: 'query-stats', arguments: args });
  }
  cmds.push({ key: 'query-blockstats', execute: 'query-blockstats' });
  if (p.blockstatsNodes) cmds.push({ key: 'query-blockstats:nodes', execute: 'query-blockstats', arguments: { 'query-nodes': true } });
  if (p.jobs !== false) cmds.push({ key: 'query-block-jobs', execute: 'query-block-jobs' });
  if (p.slow) {
    cmds.push({ key: 'query-block', execute: 'query-block' });
    cmds.push(
      atLeast(p.version, 5, 0)
        ? { key: 'query-named-block-nodes', execute: 'query-named-block-nodes', arguments: { flat: true } }
        : { key: 'query-named-block-nodes', execute: 'query-named-block-nodes' },
    );
    if (p.balloonPath) {
      cmds.push({ key: 'query-balloon', execute: 'query-balloon' });
      cmds.push({ key: 'qom-get:guest-stats', execute: 'qom-get', arguments: { path: p.balloonPath, property: 'guest-stats' } });
    }
  }
  return cmds;
}

/**
 * query-stats targets: `auto` = vm and vcpu plus every other target in the
 * query-stats-schemas reply; an explicit list is used as is. No schemas (QEMU < 7.1)
 * → none.
 */
export function statsTargets(config: 'auto' | readonly string[], schemas: unknown): string[] {
  if (schemas === undefined) return [];
  if (config !== 'auto') return [...config];
  const found = new Set<string>(['vm', 'vcpu']);
  if (Array.isArray(schemas))
    for (const s of schemas)
      if (s && typeof s === 'object' && typeof (s as { target?: unknown }).target === 'string') found.add((s as { target: string }).target);
  return [...found];
}

/** Paths of `drv` nodes in a query-named-block-nodes reply: what to measure on the host. */
function nodePaths(namedNodes: unknown, drv: string): string[] {
  if (!Array.isArray(namedNodes)) return [];
  const paths = new Set<string>();
  for (const n of namedNodes) {
    if (!n || typeof n !== 'object') continue;
    const node = n as { drv?: unknown; file?: unknown; image?: { filename?: unknown } };
    if (node.drv !== drv) continue;
    const p = typeof node.file === 'string' ? node.file : node.image?.filename;
    if (typeof p === 'string' && p.startsWith('/')) paths.add(p);
  }
  return [...paths];
}

/** The block devices behind host_device nodes (their length is measured every tick). */
export function hostDevicePaths(namedNodes: unknown): string[] {
  return nodePaths(namedNodes, 'host_device');
}

/** The image files behind `file` nodes (their allocation is measured every tick). */
export function imageFilePaths(namedNodes: unknown): string[] {
  return nodePaths(namedNodes, 'file');
}

/**
 * Tick scheduling on a wall-clock grid: ticks fall on multiples of `intervalMs`
 * (epoch ms), so every VM of the host ticks at the same moments. The agent then
 * serves all sockets in one event-loop wake-up per interval instead of one per VM
 * (measurably less CPU), and samples of different VMs share timestamps.
 *
 * Returns the first grid point after `prevAt`; when the tick ran past it (`now`
 * later), the slots in between are skipped and counted.
 */
export function nextSlot(prevAt: number, now: number, intervalMs: number): { at: number; skipped: number } {
  let at = (Math.floor(prevAt / intervalMs) + 1) * intervalMs;
  let skipped = 0;
  if (at < now) {
    skipped = Math.ceil((now - at) / intervalMs);
    at += skipped * intervalMs;
  }
  return { at, skipped };
}
