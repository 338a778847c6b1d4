/**
 * What the processor publishes, as TypeScript types: rates (schemas/avro/rate.avsc),
 * alert transitions (alert.avsc), rollup rows (the Parquet columns of
 * processor/src/sinks/parquet.ts) and dead letters (deadletter.avsc). Producers and
 * consumers of these share this one definition; codecs/outputs.ts encodes them.
 */
import type { AlertType } from './config/processor.js';

/** One derived value of one series at the end of one sample interval (rates and gauges alike). */
export interface Rate {
  kind: 'rate';
  /** Agent sample time (epoch ms) of the sample that completed the interval. */
  t: number;
  vm: string;
  vmUuid: string;
  /** libvirt domstats vocabulary: block.vda.wr.bytes, block.vda.1.allocation, vcpu.0.exits, vm.pages_4k, net.tap0.rx.bytes. */
  series: string;
  value: number;
  /** bytes/s, seconds/s, count/s, bytes, seconds, count, ratio… */
  unit: string;
  /** The VM's host (VmIdentity.host): whoever reads the rates topic sees the whole fleet. */
  host: string;
}

export type Severity = 'warning' | 'critical';

export interface AlertLabels {
  host: string;
  vm: string;
  vmUuid: string;
  /** qdev id (or node name) of the disk; '' for VM-level alerts. */
  device: string;
  /**
   * Where the image is now: its depth in the backing chain (0 = active layer); null when
   * not about one image. Not part of the alert's identity: a snapshot or pivot moves it.
   */
  backingIndex: number | null;
  /** Node name the alert is about (format node, or the storage node for thresholds); '' if none. Not part of the identity either. */
  node: string;
  /** Block job id, for job alerts; '' otherwise. */
  blockJob: string;
  /**
   * The image the alert is about: its filename, or its format node name when it has none
   * (or the node name when the node is in no known chain); '' when not about one image.
   * Part of the identity: it stays when a snapshot moves the image down the chain.
   */
  image: string;
}

/** A label every alert carries, from config (`alerts.routing.staticLabels`: cluster, region…). */
export interface StaticLabel {
  name: string;
  value: string;
}

/** A transition of an alert: it started firing, changed severity, or resolved. */
export interface Alert {
  kind: 'alert';
  /** Stable: a hash of the type, host, VM uuid, device, image and block job (never the chain position). */
  id: string;
  type: AlertType;
  state: 'firing' | 'resolved';
  severity: Severity;
  labels: AlertLabels;
  /** Time of the record that caused this transition. */
  t: number;
  startsAt: number;
  endsAt: number | null;
  value: number;
  threshold: number;
  message: string;
  /** time-to-full / commit-growth: when the element fills at the current growth (epoch ms). */
  eta: number | null;
  /** paused-enospc: how long the VM was paused (ms), when resolved. */
  pausedMs: number | null;
  /** The runbook of this alert type (`alerts.routing`); '' in records written before it. */
  runbookUrl: string;
  /** The configured static labels (`alerts.routing.staticLabels`), in config order; none in older records. */
  staticLabels: readonly StaticLabel[];
}

/** `records`: a VM's records in the window (count), those missing from its seq (increase), new agent runs (resets). */
export type RollupKind = 'gauge' | 'counter' | 'histogram' | 'chain' | 'records';

/** One series aggregated over one tumbling window (the row layout of issue 5's rollup objects). */
export interface Rollup {
  kind: 'rollup';
  resolutionMs: number;
  windowStart: number;
  vm: string;
  vmUuid: string;
  series: string;
  type: RollupKind;
  unit: string;
  /** Samples (gauges, chain) or intervals (counters, histograms) aggregated; records rows: the records that came. */
  count: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  last: number | null;
  increase: number | null;
  meanRate: number | null;
  peakRate: number | null;
  resets: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  buckets: number[] | null;
  maxAllocation: number | null;
  minFree: number | null;
  maxGrowth: number | null;
  physicalEnd: number | null;
  /**
   * Chain rows: the format node name and the image (file or device) at that position.
   * After a snapshot or a commit pivot one window can hold two rows of one position,
   * one per image: these tell them apart. Null for other rows.
   */
  node: string | null;
  filename: string | null;
  /** The agent's host the VM runs on; null in rollups-topic records of an older processor. */
  host: string | null;
}

/** A raw-topic message the processor could not use (schemas/avro/deadletter.avsc). */
export interface DeadLetter {
  code: string;
  reason: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}
