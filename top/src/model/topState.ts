/**
 * What `qmpipe top` knows about every VM, folded from what the pipeline already
 * produces: the agent's records (Samples and QMP events, for the `--socket` and
 * `--replay` sources) and the processor core's outputs (Rate values and Alert
 * transitions; the `--kafka` source has only these). No rate or alert is computed
 * here: they all come from the core (processor/src/core), as everywhere else.
 *
 * Pure apart from updating the state in place (like the core: a fleet's worth of
 * series is too many to copy per value); no clock, no I/O. Times are record times.
 *
 *   applyRecord  a RawRecord: identity, run state, backing chains and query-stats values
 *                (a Sample), stats schema snapshots, events
 *   applyRate    a Rate: the latest value of its series
 *   applyAlert   an Alert transition: the firing set and the VM's alert history
 */
import { nameTable, type NameTable } from '#common/names.js';
import type { Alert, Rate } from '#schemas/outputs.js';
import type { ChainElement, RawRecord, Sample, StatsSchemaSnapshot, StatsValues } from '#schemas/types.js';

/** One backing-chain element as a Sample (or, without samples, the rates) shows it. */
export interface ElementTop {
  backingIndex: number;
  /** Format node name; null when only rates were seen (they do not carry it). */
  node: string | null;
  filename: string | null;
  /** wr_highest_offset; null when QEMU did not report a valid one. */
  allocation: number | null;
  capacity: number | null;
  physical: number | null;
  /** Physical is a block device's length (thin LV): free space and time to full mean something. */
  blockDevice: boolean;
}

export interface DiskTop {
  device: string;
  chain: ElementTop[];
}

export interface SeriesValue {
  value: number;
  unit: string;
  t: number;
}

export interface EventMark {
  t: number;
  event: string;
  data: string;
}

export interface VmTop {
  uuid: string;
  vm: string;
  host: string;
  /** QMP run state of the last Sample (running, paused, io-error…), or of a later STOP, RESUME or SHUTDOWN; null when no Sample was seen. */
  status: string | null;
  /** Newest record, rate or alert time of this VM. */
  t: number;
  /** Time of the last Sample; null when the chain comes from rates only. */
  sampleT: number | null;
  /** Time of the newest Rate: series older than this (by more than a poll or two) are gone. */
  rateT: number;
  /** Disks and chains of the last Sample, in the Sample's order. */
  disks: DiskTop[];
  /** query-stats values of the last Sample (null: none, or QEMU < 7.1). */
  stats: StatsValues | null;
  /** The VM's stats schema snapshots by hash, newest last (at most MAX_SNAPSHOTS). */
  snapshots: Map<string, StatsSchemaSnapshot>;
  /** Latest value of every series the core emitted for this VM. */
  series: NameTable<SeriesValue>;
  /** Recent QMP events, oldest first (at most MAX_EVENTS). */
  events: EventMark[];
  /** Recent alert transitions, oldest first (at most MAX_HISTORY). */
  history: Alert[];
}

export interface TopState {
  /** By VM uuid (names are data: tables keyed by outside names have no prototype). */
  vms: NameTable<VmTop>;
  /** Alerts firing now, by id. */
  firing: NameTable<Alert>;
  /** Newest time seen (the frame's moment); null before anything. */
  t: number | null;
}

export const MAX_EVENTS = 20;
export const MAX_HISTORY = 30;
/** Snapshots kept per VM: a Sample refers to the newest, older ones only across a QEMU restart. */
export const MAX_SNAPSHOTS = 4;

export function initialTopState(): TopState {
  return { vms: nameTable(), firing: nameTable(), t: null };
}

function vmOf(s: TopState, uuid: string, name: string, host: string, t: number): VmTop {
  let v = s.vms[uuid];
  if (!v) {
    v = {
      uuid,
      vm: name,
      host,
      status: null,
      t,
      sampleT: null,
      rateT: -1,
      disks: [],
      stats: null,
      snapshots: new Map(),
      series: nameTable(),
      events: [],
      history: [],
    };
    s.vms[uuid] = v;
  }
  if (name && v.vm !== name) v.vm = name;
  if (host && v.host !== host) v.host = host;
  if (t > v.t) v.t = t;
  if (s.t === null || t > s.t) s.t = t;
  return v;
}

function elementOf(e: ChainElement): ElementTop {
  return {
    backingIndex: e.backingIndex,
    node: e.formatNode,
    filename: e.filename,
    allocation: e.allocationValid ? e.allocation : null,
    capacity: e.capacity,
    physical: e.physical,
    blockDevice: e.physicalSource === 'HOST_DEVICE_SIZE',
  };
}

function applySample(v: VmTop, t: number, sample: Sample): void {
  v.status = sample.status;
  v.sampleT = t;
  v.disks = sample.blockDevices.map((d) => ({ device: d.dev, chain: d.chain.map(elementOf) }));
  v.stats = sample.stats;
}

function applySnapshot(v: VmTop, snapshot: StatsSchemaSnapshot): void {
  v.snapshots.delete(snapshot.hash);
  v.snapshots.set(snapshot.hash, snapshot);
  for (const hash of v.snapshots.keys()) if (v.snapshots.size > MAX_SNAPSHOTS) v.snapshots.delete(hash);
}

function pushCapped<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/** The run state QEMU is in after a lifecycle event (query-status would say so until the next Sample). */
const STATUS_AFTER_EVENT = new Map([
  ['STOP', 'paused'],
  ['RESUME', 'running'],
  ['SHUTDOWN', 'shutdown'],
]);

export function applyRecord(s: TopState, rec: RawRecord): void {
  const v = vmOf(s, rec.vm.uuid, rec.vm.name, rec.vm.host, rec.t);
  const body = rec.body;
  if (body.kind === 'Sample') applySample(v, rec.t, body.value);
  else if (body.kind === 'StatsSchemaSnapshot') applySnapshot(v, body.value);
  else if (body.kind === 'QmpEvent') {
    pushCapped(v.events, { t: rec.t, event: body.value.event, data: body.value.data }, MAX_EVENTS);
    const after = STATUS_AFTER_EVENT.get(body.value.event);
    if (after !== undefined && v.sampleT !== null && rec.t >= v.sampleT) v.status = after;
  }
}

export function applyRate(s: TopState, r: Rate): void {
  const v = vmOf(s, r.vmUuid, r.vm, r.host, r.t);
  const cur = v.series[r.series];
  if (cur && cur.t > r.t) return; // out of order: keep the newer value
  if (cur) {
    cur.value = r.value;
    cur.t = r.t;
    cur.unit = r.unit;
  } else v.series[r.series] = { value: r.value, unit: r.unit, t: r.t };
  if (r.t > v.rateT) v.rateT = r.t;
}

export function applyAlert(s: TopState, a: Alert): void {
  const v = vmOf(s, a.labels.vmUuid, a.labels.vm, a.labels.host, a.t);
  if (a.state === 'firing') s.firing[a.id] = a;
  else delete s.firing[a.id];
  pushCapped(v.history, a, MAX_HISTORY);
}

/** Whether the core emitted a rate over an interval for this VM (a counter's per-second value): two samples were seen. */
export function hasRateInterval(v: VmTop): boolean {
  for (const x of Object.values(v.series)) if (x.unit.endsWith('/s')) return true;
  return false;
}

/** Series of a VM updated within `freshMs` of its newest rate (series of a gone element or device drop out). */
export function freshSeries(v: VmTop, freshMs = 2_500): Array<[string, SeriesValue]> {
  return Object.entries(v.series).filter(([, x]) => x.t >= v.rateT - freshMs);
}
