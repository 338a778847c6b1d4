/**
 * The seam between the one per-VM poll loop (pollLoop.ts) and where a VM's numbers come
 * from. Three sources sit behind it: QEMU's QMP socket and QEMU's monitor through libvirt
 * (`qmp` mode), both a QmpSession (qmpSource.ts), and libvirt's bulk stats (`stats` mode,
 * libvirt/statsSource.ts). The loop owns everything else: backoff, `seq`, stale and
 * recovered, the per-VM event cap, clock jumps, the schedule, stop.
 *
 * Contract:
 * - `connect` opens one connection and identifies the VM; events may arrive through
 *   `hooks.onEvent` before it resolves (the loop holds them until the VM is identified).
 *   A rejection is a failed attempt: the loop backs off and calls `connect` again.
 * - `read` is called at most once at a time per connection, never after `close`, and
 *   returns one tick mapped to a Sample. A rejection is a missed tick, unless `classify`
 *   says it ended the connection. It may be served from a host-wide batch (one libvirt
 *   call for all domains of a tick): the loop only awaits it.
 * - `hooks.onClose` (once) wakes the loop when the connection ends on its own (EOF, libvirt
 *   lost); `closed` then holds.
 * - `close` is idempotent; after it no hook is called.
 */
import type { QmpEvent, Sample, StatsSchemaSnapshot, VmIdentity } from '#schemas/types.js';

export interface SourceHooks {
  /** One event of this VM, mapped to its record body. */
  onEvent(event: QmpEvent): void;
  /** The connection ended on its own. */
  onClose(): void;
}

/** What a connection announces, published in this order: `connected`, the snapshot, each `degraded`. */
export interface Opened {
  identity: VmIdentity;
  /** Epoch ms when the connection was made. */
  at: number;
  /** The `connected` notice's message (what, where). */
  connected: string;
  snapshot?: StatsSchemaSnapshot | undefined;
  /** One `degraded` notice each: what this VM cannot be sampled for. */
  degraded: string[];
}

/** One tick, read and mapped. */
export interface SourceTick {
  /** Epoch ms the numbers were read at. */
  t: number;
  sample: Sample;
  /** The stats schema the sample refers to, published before it when not yet seen. */
  snapshot?: StatsSchemaSnapshot | null | undefined;
}

export interface SourceConnection {
  readonly opened: Opened;
  readonly closed: boolean;
  /** One tick; `slow` when the loop's slow grid is due (a source without a slow group ignores it). */
  read(slow: boolean): Promise<SourceTick>;
  close(): Promise<void>;
}

/** How a failure reads in `qmpipe_agent_poll_errors_total{class}`, and whether it ended the connection. */
export interface FailureClass {
  errorClass: string;
  disconnected: boolean;
}

export interface VmSource {
  /** What answers, for notices and logs: `QMP`, `libvirt stats`. */
  readonly via: string;
  /** Opens a connection; `stop` aborts when the loop stops (an attempt in progress may end early). */
  connect(hooks: SourceHooks, stop: AbortSignal): Promise<SourceConnection>;
  classify(err: unknown): FailureClass;
  /**
   * A failure the source answered by changing itself (QMP: a reply over the line limit,
   * limit raised): true to reconnect at once, without backoff.
   */
  adapt?(err: unknown): boolean;
}
