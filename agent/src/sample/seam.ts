/**
 * The seam between the poller (I/O shell) and the pure sample building
 * (agent/src/sample/**, owned separately). The poller only moves raw QMP JSON
 * across it; every mapping to Avro records happens on the other side.
 *
 * Contract: the methods are pure and synchronous, and are never called
 * concurrently for one VM. `connect` runs once per (re)connection, before any
 * `build` on that connection; `build` runs once per fast tick.
 */
import type { QmpEvent, Sample, StatsSchemaSnapshot, VmIdentity } from '#schemas/types.js';
import type { QmpEventMessage, QmpGreeting } from '../qmp/messages.js';
import type { QemuProcess } from './identity.js';
import type { QemuThreads, Tick } from './tick.js';

/** What the poller read right after negotiating capabilities. */
export interface ConnectInfo {
  host: string;
  /** Socket base name, the VM name of last resort. */
  socketName: string;
  greeting: QmpGreeting;
  /** Raw `return` values; undefined when the command failed. */
  uuid: unknown;
  name: unknown;
  cpus: unknown;
  /** The QEMU process of those vCPU threads, read on the host; undefined when it cannot be. */
  process: QemuProcess | undefined;
  /** The QEMU process's pid and vCPU threads, read on the host; absent when they cannot be (each tick reads their CPU time). */
  threads?: QemuThreads;
  /** query-memory-size-summary; undefined when it failed. */
  memorySize?: unknown;
  /** The balloon device's QOM path; null when QEMU listed its devices and none is a balloon; undefined when unknown. */
  balloonPath?: string | null | undefined;
  /** query-stats-schemas; undefined when QEMU lacks it (< 7.1). */
  statsSchemas: unknown;
  /** Epoch ms when the connection was made. */
  connectedAt: number;
}

export interface SampleBuilder<S = unknown> {
  /** Identity (a new instance id only when the QEMU process changed) and the connection's first state. */
  connect(info: ConnectInfo, previous: S | undefined): { identity: VmIdentity; state: S; snapshot?: StatsSchemaSnapshot };
  /** One fast tick → one Sample; `snapshot` when the stats schema changed and must be published first. */
  build(state: S, tick: Tick): { state: S; sample: Sample; snapshot?: StatsSchemaSnapshot };
  /** A QMP event → its Avro record body. */
  event(msg: QmpEventMessage): QmpEvent;
}
