/**
 * One tick's I/O: the planned commands sent pipelined on the VM's connection, their
 * replies and QMP errors collected into a `Tick`, then the host observations (sysfs,
 * stat). A timeout or disconnect fails the tick; a QMP error reply is recorded in
 * `tick.errors` and the rest of the tick goes on. The per-VM loop (vmPoller.ts) owns
 * scheduling, staleness and publishing.
 *
 * Topology (topology.ts): a fast tick whose query-blockstats names a node the last
 * slow group did not have reads the slow group too, right after the fast replies, so
 * the sample joins the new node with its own facts.
 */
import type { Histogram } from '#common/metrics.js';
import { observeHost, type HostReader } from '../host/sysfs.js';
import type { QmpSession } from '../qmp/session.js';
import { QmpExecuteError } from '../qmp/errors.js';
import type { QemuThreads, Tick } from '../sample/tick.js';
import type { PollerOptions } from './options.js';
import { hostDevicePaths, imageFilePaths, planTick, statusAndJobs, type PlannedCommand } from './tickPlan.js';
import { blockstatsNodeNames, namedNodeNames, namesUnknownNode } from './topology.js';

/** What one tick hands the next: query-stats targets, what the last slow group found. */
export interface TickCarry {
  targets: string[];
  /** host_device paths (length measured every tick). */
  devicePaths: string[];
  /** Image file paths (allocation measured every tick). */
  filePaths?: string[];
  /** Node names the last slow group knew (plus what query-blockstats showed then); null before the first. */
  knownNodes?: ReadonlySet<string> | null;
  /** The taps found on the host (QmpSource, host/taps.ts); undefined: the context's hand-listed `net`. */
  net?: readonly string[];
  /** The QEMU process and its vCPU threads (identify.ts), whose CPU time and memory each tick reads; absent when unknown. */
  threads?: QemuThreads | undefined;
  /** The balloon device's QOM path (identify.ts), whose figures the slow group reads; absent without one. */
  balloonPath?: string | null | undefined;
  /** A QMP event came since the last tick read status and jobs (the source sets it): this tick reads them. */
  eventSeen?: boolean;
  /** The last query-block-jobs reply listed a job: every tick reads it until it lists none. */
  jobsListed?: boolean;
}

export interface TickContext {
  opts: Pick<PollerOptions, 'statsProviders' | 'blockstatsNodes'>;
  now: () => number;
  hostReader: HostReader;
  net: readonly string[];
  /** Device names from the management layer (libvirt's disk targets by qdev id), if any. */
  deviceNames?: Readonly<Record<string, string>> | undefined;
  /** Latency observer for one QMP command name. */
  latency: (command: string) => (seconds: number) => void;
  /** Called with the class of every QMP error reply. */
  onErrorReply: (errorClass: string) => void;
  onTraffic?: ((dir: 'host', msg: unknown) => void) | undefined;
}

/** Sends the commands pipelined, in order, into `tick`. Returns the first failure (timeout, disconnect), if any. */
async function send(client: QmpSession, plan: readonly PlannedCommand[], tick: Tick, ctx: TickContext): Promise<unknown> {
  let failure: unknown;
  await Promise.all(
    plan.map(async (c) => {
      const t0 = performance.now();
      try {
        tick.replies[c.key] = await client.execute(c.execute, c.arguments);
        if (c.key === 'query-blockstats') tick.t = ctx.now();
        ctx.latency(c.execute)((performance.now() - t0) / 1000);
      } catch (err) {
        if (err instanceof QmpExecuteError) {
          tick.errors.push({ command: c.key, errorClass: err.errorClass, desc: err.desc });
          ctx.onErrorReply(err.errorClass);
        } else failure ??= err;
      }
    }),
  );
  return failure;
}

/** Sends the tick's commands pipelined, in order, and collects replies. A timeout fails the tick. */
export async function runTick(client: QmpSession, carry: TickCarry, slow: boolean, ctx: TickContext): Promise<Tick> {
  const event = carry.eventSeen === true;
  carry.eventSeen = false; // an event during this tick makes the next one read status and jobs again
  const input = {
    version: client.greeting.version,
    statsTargets: carry.targets,
    statsProviders: ctx.opts.statsProviders,
    blockstatsNodes: ctx.opts.blockstatsNodes,
    balloonPath: carry.balloonPath,
    ...statusAndJobs(slow, event, carry.jobsListed === true),
  };
  const tick: Tick = { t: ctx.now(), replies: {}, errors: [], host: { blockdevSizes: {}, net: [] } };
  let failure = await send(client, planTick({ ...input, slow }), tick, ctx);
  const stats = [tick.replies['query-blockstats'], tick.replies['query-blockstats:nodes']];
  if (!failure && !slow && carry.knownNodes && namesUnknownNode(carry.knownNodes, ...stats)) {
    const fast = new Set(planTick({ ...input, slow: false }).map((c) => c.key));
    failure = await send(
      client,
      planTick({ ...input, slow: true }).filter((c) => !fast.has(c.key)),
      tick,
      ctx,
    );
  }
  if (failure) {
    carry.eventSeen ||= event; // not published: the next tick reads them again
    throw failure;
  }
  if ('query-block-jobs' in tick.replies) {
    const jobs = tick.replies['query-block-jobs'];
    carry.jobsListed = Array.isArray(jobs) && jobs.length > 0;
  }
  if ('query-named-block-nodes' in tick.replies) {
    const named = tick.replies['query-named-block-nodes'];
    carry.devicePaths = hostDevicePaths(named);
    carry.filePaths = imageFilePaths(named);
    // What blockstats showed now counts as known too: a node the slow group never lists must not re-read it every tick.
    carry.knownNodes = new Set([...namedNodeNames(named), ...blockstatsNodeNames(...stats)]);
  }
  tick.host = observeHost(
    ctx.hostReader,
    { devices: carry.devicePaths, files: carry.filePaths ?? [], threads: carry.threads },
    carry.net ?? ctx.net,
    ctx.onTraffic,
  );
  if (ctx.deviceNames) tick.host.deviceNames = ctx.deviceNames;
  return tick;
}

/** One bound latency observer per QMP command name, made on first use (a tick observes 5–8 of them). */
export function latencyObservers(histogram: Histogram): (command: string) => (seconds: number) => void {
  const byCommand = new Map<string, (seconds: number) => void>();
  return (command) => {
    let obs = byCommand.get(command);
    if (!obs) byCommand.set(command, (obs = histogram.child({ command })));
    return obs;
  };
}
