/** The poller's options (from the agent config) and dependencies (the I/O seams). */
import { hostname } from 'node:os';
import type { Logger } from '#common/log.js';
import type { RetryPolicy } from '#common/retry.js';
import type { HostReader } from '../host/sysfs.js';
import { createAllowlist, type Allowlist } from '../qmp/allowlist.js';
import type { AgentConfig } from '#schemas/config/agent.js';
import type { AgentTelemetry } from '../telemetry.js';
import type { SampleBuilder } from '../sample/seam.js';
import type { RecordSink } from './sink.js';
import type { VmTarget } from './vmTarget.js';
import type { VmIdentity } from '#schemas/types.js';

export interface PollerOptions {
  host?: string;
  fastIntervalMs: number;
  slowIntervalMs: number;
  statsTargets: 'auto' | string[];
  statsProviders?: Array<{ provider: string; names?: string[] | undefined; targets?: string[] | undefined }> | undefined;
  blockstatsNodes: boolean;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Initial QMP line limit of a VM. */
  maxLineBytes: number;
  /** How far a VM's line limit may grow when its replies are longer (default: maxLineBytes, no growth). */
  maxLineBytesCeiling?: number;
  staleAfterMissedTicks: number;
  /** Per-VM cap on QMP events published per second (eventBudget.ts); default 100. */
  maxEventsPerSecond?: number;
  reconnect: RetryPolicy;
  allowlist?: Allowlist;
}

export interface PollerDeps<S> {
  builder: SampleBuilder<S>;
  sink: RecordSink;
  hostReader: HostReader;
  telemetry: AgentTelemetry;
  logger?: Logger;
  now?: () => number;
  /** Monotonic milliseconds (default performance.now), to notice the wall clock jumping. */
  monotonic?: () => number;
  /** Sees every QMP message and host observation (for `qmpipe record`). */
  onTraffic?: (dir: 'in' | 'out' | 'host', msg: unknown) => void;
}

export type PollerState = 'connecting' | 'up' | 'stale' | 'stopped';

/** What the agent does with a poller: the poll loop (pollLoop.ts) over any source (QMP, libvirt's bulk stats). */
export interface Poller {
  readonly target: VmTarget;
  state: PollerState;
  identity: VmIdentity | undefined;
  start(): void;
  stop(graceMs?: number): Promise<void>;
  /** Publishes an AgentNotice about this VM if it is identified as `uuid`; returns whether it did. */
  notice(uuid: string, kind: string, message: string, count: number): boolean;
}

/** The poller options an agent config gives (the agent, and the one-shot tools with the defaults). */
export function pollerOptions(cfg: AgentConfig): PollerOptions {
  return {
    host: cfg.host ?? hostname(),
    fastIntervalMs: cfg.sampling.fastIntervalMs,
    slowIntervalMs: cfg.sampling.slowIntervalMs,
    statsTargets: cfg.sampling.statsTargets,
    statsProviders: cfg.sampling.statsProviders,
    blockstatsNodes: cfg.sampling.blockstatsNodes === 'on',
    commandTimeoutMs: cfg.qmp.commandTimeoutMs,
    connectTimeoutMs: cfg.qmp.connectTimeoutMs,
    handshakeTimeoutMs: cfg.qmp.handshakeTimeoutMs,
    maxLineBytes: cfg.qmp.maxLineBytes,
    maxLineBytesCeiling: cfg.qmp.maxLineBytesCeiling,
    staleAfterMissedTicks: cfg.qmp.staleAfterMissedTicks,
    maxEventsPerSecond: cfg.qmp.maxEventsPerSecond,
    reconnect: cfg.qmp.reconnect,
    allowlist: createAllowlist(cfg.qmp.writeThreshold === 'on' ? ['block-set-write-threshold'] : []),
  };
}
