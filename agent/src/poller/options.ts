/** VmPoller's options (from the agent config) and dependencies (the I/O seams). */
import type { Logger } from '#common/log.js';
import type { RetryPolicy } from '#common/retry.js';
import type { HostReader } from '../host/sysfs.js';
import type { Allowlist } from '../qmp/allowlist.js';
import type { AgentTelemetry } from '../telemetry.js';
import type { SampleBuilder } from '../sample/seam.js';
import type { RecordSink } from './sink.js';

export interface PollerOptions {
  host?: string;
  fastIntervalMs: number;
  slowIntervalMs: number;
  statsTargets: 'auto' | string[];
  statsProviders?: Array<{ provider: string; names?: string[] | undefined }> | undefined;
  blockstatsNodes: boolean;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxLineBytes: number;
  staleAfterMissedTicks: number;
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
