/**
 * The `--socket PATH|GLOB` source: one agent poller per QMP socket (the agent's own
 * VmPoller, read-only allowlist, and sample building), its records through the raw
 * topic's Avro encode and decode (what the processor would read), handed over as they
 * are published. Chain elements are refreshed every poll (the slow group at the fast
 * interval), since a person watches.
 */
import { sysfsReader } from '#agent/host/sysfs.js';
import { expandGlob } from '#agent/discovery/discovery.js';
import { pollerOptions, type PollerOptions } from '#agent/poller/options.js';
import { VmPoller } from '#agent/poller/vmPoller.js';
import { unixTarget, type VmTarget } from '#agent/poller/vmTarget.js';
import { sampleBuilder } from '#agent/sample/sampleBuilder.js';
import { createTelemetry } from '#agent/telemetry.js';
import { AgentConfig } from '#schemas/config/agent.js';
import { decodeRaw, encodeRaw } from '#schemas/codecs/raw.js';
import type { RawRecord } from '#schemas/types.js';

/** Socket paths: each argument a path, or a glob (`*`, `?` in its last segment) of sockets. */
export function resolveSockets(args: readonly string[]): string[] {
  const out = new Set<string>();
  for (const a of args) {
    if (/[*?]/.test(a)) for (const p of expandGlob(a)) out.add(p);
    else out.add(a);
  }
  return [...out];
}

/** The agent's defaults, at top's refresh interval (both groups) and with its --host. */
function topPollerOptions(intervalMs: number, host: string | undefined): PollerOptions {
  const opts = pollerOptions(AgentConfig.parse({ kafka: { brokers: ['127.0.0.1:9'] }, ...(host === undefined ? {} : { host }) }));
  return { ...opts, fastIntervalMs: intervalMs, slowIntervalMs: intervalMs };
}

/** Pollers over a changing set of targets (sockets, libvirt domains). */
export interface TargetWatch {
  /** Targets polled now. */
  readonly targets: number;
  /** Stops every poller (a tick in flight finishes). */
  stop(): Promise<void>;
}

/** One agent poller per target added; records through the Avro round trip to `onRecord`. */
export function pollTargets(onRecord: (rec: RawRecord) => void, o: { intervalMs: number; host?: string | undefined }) {
  const opts = topPollerOptions(o.intervalMs, o.host);
  const sink = { publish: (_key: string, rec: RawRecord) => onRecord(decodeRaw(encodeRaw(rec))) };
  const deps = { builder: sampleBuilder, sink, hostReader: sysfsReader(), telemetry: createTelemetry() };
  const pollers = new Map<string, VmPoller>();
  return {
    get targets() {
      return pollers.size;
    },
    add(t: VmTarget): void {
      if (pollers.has(t.id)) return;
      const p = new VmPoller(t, opts, deps);
      pollers.set(t.id, p);
      p.start();
    },
    async remove(id: string): Promise<void> {
      const p = pollers.get(id);
      pollers.delete(id);
      await p?.stop(2_000);
    },
    stop: async (): Promise<void> => void (await Promise.all([...pollers.values()].map((p) => p.stop(2_000)))),
  };
}

export function watchSockets(
  sockets: readonly string[],
  onRecord: (rec: RawRecord) => void,
  o: { intervalMs: number; host?: string | undefined },
): TargetWatch {
  const watch = pollTargets(onRecord, o);
  for (const p of sockets) watch.add(unixTarget(p));
  return watch;
}
