/**
 * One tick's I/O: the planned commands sent pipelined on the VM's connection, their
 * replies and QMP errors collected into a `Tick`, then the host observations (sysfs).
 * A timeout or disconnect fails the tick; a QMP error reply is recorded in
 * `tick.errors` and the rest of the tick goes on. The per-VM loop (vmPoller.ts) owns
 * scheduling, staleness and publishing.
 */
import { observeHost, type HostReader } from '../host/sysfs.js';
import type { QmpSession } from '../qmp/session.js';
import { QmpExecuteError } from '../qmp/errors.js';
import type { Tick } from '../sample/tick.js';
import type { PollerOptions } from './options.js';
import { hostDevicePaths, planTick } from './tickPlan.js';

/** What one tick hands the next: query-stats targets, and host_device paths (slow group) measured every tick. */
export interface TickCarry {
  targets: string[];
  devicePaths: string[];
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

/** Sends the tick's commands pipelined, in order, and collects replies. A timeout fails the tick. */
export async function runTick(client: QmpSession, carry: TickCarry, slow: boolean, ctx: TickContext): Promise<Tick> {
  const plan = planTick({
    version: client.greeting.version,
    statsTargets: carry.targets,
    statsProviders: ctx.opts.statsProviders,
    blockstatsNodes: ctx.opts.blockstatsNodes,
    slow,
  });
  const tick: Tick = { t: ctx.now(), replies: {}, errors: [], host: { blockdevSizes: {}, net: [] } };
  let timeout: unknown;
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
        } else timeout ??= err;
      }
    }),
  );
  if (timeout) throw timeout;
  if (slow && 'query-named-block-nodes' in tick.replies) carry.devicePaths = hostDevicePaths(tick.replies['query-named-block-nodes']);
  tick.host = observeHost(ctx.hostReader, carry.devicePaths, ctx.net, ctx.onTraffic);
  if (ctx.deviceNames) tick.host.deviceNames = ctx.deviceNames;
  return tick;
}
