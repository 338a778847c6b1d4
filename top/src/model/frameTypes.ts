/**
 * The shapes of a `qmpipe top` frame (frame.ts builds them): what `--json` prints and the
 * screen reads. Values in base units (bytes, seconds, per second); null where unknown.
 */
import type { StatLineView } from '#tools/stats/statLines.js';

export interface ChainRow {
  backingIndex: number;
  node: string | null;
  filename: string | null;
  allocation: number | null;
  capacity: number | null;
  physical: number | null;
  /** physical − allocation (block devices only), the core's value when it has one. */
  free: number | null;
  /** Smoothed allocation growth, bytes/s (the core's). */
  growth: number | null;
  /** allocation / physical. */
  fill: number | null;
  /** free / growth; 0 when full; null when not growing (or not a block device). */
  timeToFullSeconds: number | null;
}

export interface DiskFrame extends IoRates {
  device: string;
  chain: ChainRow[];
}

export interface IoRates {
  readBytesPerSecond: number | null;
  writeBytesPerSecond: number | null;
  readIops: number | null;
  writeIops: number | null;
  readLatencySeconds: number | null;
  writeLatencySeconds: number | null;
}

export interface Quantiles {
  /** vcpu.0.halt_wait_hist, vm.<hist>. */
  series: string;
  unit: string;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface VcpuFrame {
  vcpu: number;
  exitsPerSecond: number | null;
  haltPollSuccess: number | null;
}

export interface FiringFrame {
  id: string;
  type: string;
  severity: string;
  device: string;
  backingIndex: number | null;
  node: string;
  job: string;
  since: number;
  message: string;
}

export interface FullestFrame {
  device: string;
  backingIndex: number;
  node: string | null;
  fill: number;
  growth: number | null;
  timeToFullSeconds: number | null;
}

/** The latest query-stats values as `qmpipe stats` has them; `note` says why there are none. */
export interface QueryStatsFrame {
  /** Every stat of the last Sample's replies ([]: QEMU gave none, e.g. TCG); null when not known. */
  lines: StatLineView[] | null;
  note: string | null;
}

export interface VmFrame extends IoRates {
  vm: string;
  uuid: string;
  host: string;
  state: string;
  t: number;
  vcpuCount: number;
  /** CPUs busy: the rate of cpu.time (1 = one CPU's worth; QEMU's every thread). */
  cpu: number | null;
  /** balloon.current and balloon.rss, bytes. */
  memoryBytes: number | null;
  rssBytes: number | null;
  exitsPerSecond: number | null;
  haltPollSuccess: number | null;
  rxBytesPerSecond: number | null;
  txBytesPerSecond: number | null;
  fullest: FullestFrame | null;
  disks: DiskFrame[];
  vcpus: VcpuFrame[];
  quantiles: Quantiles[];
  queryStats: QueryStatsFrame;
  events: Array<{ t: number; event: string }>;
  firing: FiringFrame[];
  /** Recent transitions, oldest first. */
  alertHistory: Array<{ t: number; type: string; state: string; severity: string; target: string; message: string }>;
}

export interface Frame {
  /** The frame's moment: the newest record time seen (epoch ms); null before any. */
  t: number | null;
  vms: VmFrame[];
}
