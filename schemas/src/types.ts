/**
 * TypeScript mirror of schemas/avro/raw.avsc. Kept in sync by a round-trip test
 * (schemas/src/codecs/avro.test.ts) that encodes and decodes a value of every type.
 * BlockCounters is derived from the block counter table (blockCounters.ts), which a test
 * checks against the avsc's BlockCounters record; MemoryStats likewise (memoryStats.ts).
 */
import type { BlockCounters } from './blockCounters.js';
import type { MemoryStats } from './memoryStats.js';

export type { BlockCounters, MemoryStats };

export interface VmIdentity {
  host: string;
  uuid: string;
  name: string;
  instanceId: string;
  qemuVersion: string;
}

export interface NamedStat {
  name: string;
  values: number[];
}

export interface StatsResult {
  target: string;
  provider: string;
  qomPath: string | null;
  /** Values in the snapshot's order; see raw.avsc StatsResult.values. */
  values: number[];
  extra: NamedStat[];
}

export interface StatsValues {
  schemaHash: string;
  results: StatsResult[];
}

export type PhysicalSource = 'HOST_DEVICE_SIZE' | 'ACTUAL_SIZE' | 'CAPACITY' | 'UNKNOWN';

export interface ChainElement {
  backingIndex: number;
  formatNode: string;
  formatDriver: string;
  storageNode: string | null;
  storageDriver: string | null;
  filename: string;
  allocation: number;
  allocationValid: boolean;
  /** The format node's virtual size; null while the agent has not read it (a new image before the slow group). */
  capacity: number | null;
  physical: number | null;
  physicalSource: PhysicalSource;
  actualSize: number | null;
  storageVirtualSize: number | null;
  writeThreshold: number;
}

export interface BlockDevice {
  dev: string;
  device: string;
  qdev: string | null;
  nodeName: string | null;
  ioStatus: string | null;
  counters: BlockCounters;
  extra: Record<string, number>;
  chain: ChainElement[];
}

export interface BlockJob {
  id: string;
  type: string;
  status: string;
  len: number;
  offset: number;
  ioStatus: string | null;
  ready: boolean;
  paused: boolean;
}

export interface NetInterface {
  name: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/** One vCPU's time (raw.avsc VcpuTime). */
export interface VcpuTime {
  index: number;
  timeUs: number;
}

/** CPU time of the QEMU process in µs, cumulative within one instance (raw.avsc CpuTimes: where each comes from). */
export interface CpuTimes {
  timeUs: number | null;
  userUs: number | null;
  systemUs: number | null;
  vcpus: VcpuTime[];
}

/** libvirt's state.state and state.reason (raw.avsc LibvirtState). */
export interface LibvirtState {
  state: number;
  reason: number;
}

export interface Sample {
  status: string;
  running: boolean;
  stats: StatsValues | null;
  blockDevices: BlockDevice[];
  jobs: BlockJob[];
  net: NetInterface[];
  slowRefresh: boolean;
  errors: string[];
  /** Null when not read (and in records of older agents). */
  cpu: CpuTimes | null;
  /** Null when nothing of it was read (and in records of older agents); each figure null when unknown. */
  memory: MemoryStats | null;
  /** libvirt's own state and reason (stats mode); null elsewhere and in records of older agents. */
  libvirtState: LibvirtState | null;
}

export type StatType = 'cumulative' | 'instant' | 'peak' | 'linear-histogram' | 'log2-histogram' | (string & {});

export interface StatDescriptor {
  name: string;
  type: StatType;
  unit: string | null;
  base: number;
  exponent: number;
  bucketSize: number | null;
}

export interface StatsSchema {
  provider: string;
  target: string;
  stats: StatDescriptor[];
}

export interface StatsSchemaSnapshot {
  hash: string;
  schemas: StatsSchema[];
}

export interface QmpEvent {
  event: string;
  qemuTimeUs: number;
  data: string;
}

export interface AgentNotice {
  kind: string;
  message: string;
  count: number;
}

export type RawBody =
  | { kind: 'Sample'; value: Sample }
  | { kind: 'StatsSchemaSnapshot'; value: StatsSchemaSnapshot }
  | { kind: 'QmpEvent'; value: QmpEvent }
  | { kind: 'AgentNotice'; value: AgentNotice };

/** The decoded record of the raw topic. */
export interface RawRecord {
  vm: VmIdentity;
  /** Per VM and agent run: 0, 1, 2, ... with no gap (agent/src/poller/recordStream.ts). */
  seq: number;
  /** The agent run that numbered `seq` (random per poll loop); absent from agents before run ids. */
  runId?: string;
  t: number;
  body: RawBody;
}
